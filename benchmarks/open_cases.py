"""Open-case scale: many open cases, each with its live timers, and a burst of warnings falling due.

The open cases are received through the Temporal client (faster than the API,
and the API is not what is measured here): the service's limit, every material
at hand, so each waits on its warning timer days ahead. With them open, the
worker's and the server's memory is read, then a burst of probe cases is
received whose warning falls due at one instant a minute or two ahead: their
office hours are a single minute-long period starting shortly (in UTC), and a
one-day limit warns at half its office time, which is that period's end. How
late the warnings come is read three ways: when the server fired the timer,
the time the workflow recorded on the ``deadline.warning`` event, and when the
read model first showed the case warned.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from benchmarks.flows import APPLICANT, MATERIALS, SERVICE
from benchmarks.histories import count_histories, first_timer_fired, history
from benchmarks.stack import CASE_QUEUE, CENTER, CLERK, Stack
from projections.calendar import load_calendar
from projections.center import load_directory
from projections.db import create_pool
from workdays.calendar import OfficeHours
from workflows.case import CaseWorkflow
from workflows.client import case_workflow_id
from workflows.model import (
    DEFAULT_CALENDAR,
    Actor,
    Applicant,
    CaseInput,
    CaseState,
    ClockPolicy,
    OfficeCalendar,
    Role,
    ServiceSnapshot,
)

# Each start waits for its case's intake, so the worker is never handed more new cases than
# it can take before their first workflow task times out.
_IN_FLIGHT = 10
_PROGRESS_EVERY = 1000
_POLL_SECONDS = 0.1
_PROBE_LEAD = timedelta(seconds=40)  # the burst is received well before its period opens
_GIVE_UP_AFTER_DUE = timedelta(minutes=5)
_HISTORY_SAMPLE = 20


@dataclass
class OpenFigures:
    cases: int
    open_seconds: float  # from the first start until the read model held every case
    rss_before: dict[str, float]
    rss_open: dict[str, float]
    rss_after: dict[str, float]
    events_per_open_case: float
    probes: int = 0
    probes_on_plan: int = 0  # received before their period opened, so warned at its end
    server_late: list[float] = dataclasses.field(default_factory=list)
    event_late: list[float] = dataclasses.field(default_factory=list)
    read_late: list[float] = dataclasses.field(default_factory=list)
    due_at: datetime | None = None


def _case_input(case_id: str, service: ServiceSnapshot, calendar: OfficeCalendar,
                policy: ClockPolicy) -> CaseInput:  # fmt: skip
    return CaseInput(
        case_id=case_id,
        service=service,
        applicant=Applicant(APPLICANT["name"], APPLICANT["id_number"], APPLICANT["phone"]),
        materials=MATERIALS,
        urgent=False,
        actor=Actor(CLERK, Role.CLERK, service.window),
        calendar=calendar,
        request_hash="benchmark",
        policy=policy,
    )


async def _start_all(stack: Stack, inputs: list[CaseInput], *, progress: bool = False) -> None:
    todo = iter(inputs)
    started = time.perf_counter()
    done = 0

    async def lane() -> None:
        nonlocal done
        for inp in todo:
            handle = await stack.client.start_workflow(
                CaseWorkflow.run,
                inp,
                id=case_workflow_id(inp.calendar.center, inp.case_id),
                task_queue=CASE_QUEUE,
            )
            await handle.execute_update("intake", result_type=CaseState)
            done += 1
            if progress and done % _PROGRESS_EVERY == 0:
                rate = done / (time.perf_counter() - started)
                print(f"    {done:,} cases open ({rate:.1f}/s)", flush=True)

    await asyncio.gather(*(lane() for _ in range(_IN_FLIGHT)))


async def _all_projected(pool: asyncpg.Pool, prefix: str, n: int) -> None:
    count = "select count(*) from cases where case_id like $1"
    while await pool.fetchval(count, prefix + "%") < n:  # noqa: ASYNC110  (another process writes)
        await asyncio.sleep(1.0)


async def _warning_period(pool: asyncpg.Pool) -> tuple[datetime, datetime]:
    """A minute-long office period starting shortly, on a working day of the calendar (in UTC).

    Should today be no working day, the throwaway stack's calendar gets it as a make-up day
    (a notice's day: those are every center's, ``center_code`` '').
    """
    while True:
        opens = (datetime.now(UTC) + _PROBE_LEAD + timedelta(minutes=1)).replace(
            second=0, microsecond=0
        )
        if opens.hour < 23 or opens.minute < 58:
            break
        await asyncio.sleep(60)  # the period would cross midnight
    closes = opens + timedelta(minutes=1)
    cal = await load_calendar(pool, CENTER, OfficeHours.parse(_hours(opens, closes), "UTC"))
    if not cal.is_working_day(opens.date()):
        await pool.execute(
            "insert into calendar_days (day, working, name, origin, year, recorded_by,"
            " center_code) values ($1, true, 'benchmark', 'notice', $2, 'benchmark', '')"
            " on conflict do nothing",
            opens.date(),
            opens.year,
        )
    return opens, closes


def _hours(opens: datetime, closes: datetime) -> str:
    return f"{opens:%H:%M}-{closes:%H:%M}"


async def _probe(stack: Stack, pool: asyncpg.Pool, base: ServiceSnapshot, n: int,
                 tag: str, figures: OpenFigures) -> None:  # fmt: skip
    opens, closes = await _warning_period(pool)
    calendar = OfficeCalendar(
        "UTC", _hours(opens, closes), notify_outside_office_hours=True, center=CENTER
    )
    service = dataclasses.replace(base, promised_days=1, legal_days=0)
    ids = [f"PROBE-{tag}-{i:04d}" for i in range(n)]
    await _start_all(stack, [_case_input(i, service, calendar, ClockPolicy()) for i in ids])
    await _all_projected(pool, f"PROBE-{tag}-", n)
    rows = await pool.fetch("select case_id, warn_at from cases where case_id = any($1)", ids)
    on_plan = [r["case_id"] for r in rows if r["warn_at"] == closes]
    figures.probes, figures.probes_on_plan, figures.due_at = n, len(on_plan), closes

    seen: dict[str, float] = {}
    while len(seen) < len(on_plan) and datetime.now(UTC) < closes + _GIVE_UP_AFTER_DUE:
        warned = await pool.fetch(
            "select case_id from cases where case_id = any($1) and warned", on_plan
        )
        now = time.time()
        for r in warned:
            seen.setdefault(r["case_id"], now)
        await asyncio.sleep(_POLL_SECONDS)
    figures.read_late = [at - closes.timestamp() for at in seen.values()]
    events = await pool.fetch(
        "select at from case_events where case_id = any($1) and type = 'deadline.warning'",
        on_plan,
    )
    figures.event_late = [(r["at"] - closes).total_seconds() for r in events]
    for case_id in on_plan:
        fired = first_timer_fired(await history(stack.client, case_workflow_id(CENTER, case_id)))
        if fired is not None:
            figures.server_late.append((fired[1] - fired[0]).total_seconds())


async def measure(stack: Stack, cases: int, probes: int) -> OpenFigures:
    tag = f"{int(time.time())}"
    pool = await create_pool(stack.dsn)
    try:
        directory = await load_directory(pool, CENTER)
        calendar = dataclasses.replace(DEFAULT_CALENDAR, center=CENTER)
        service = directory.services[SERVICE]
        policy = directory.policies.get(SERVICE, ClockPolicy())
        prefix = f"OPEN-{tag}-"
        inputs = [_case_input(f"{prefix}{i:05d}", service, calendar, policy) for i in range(cases)]
        rss_before = stack.rss_mb()
        started = time.perf_counter()
        await _start_all(stack, inputs, progress=True)
        await _all_projected(pool, prefix, cases)
        open_seconds = time.perf_counter() - started
        await asyncio.sleep(5)  # let the last tasks finish before memory is read
        counts = await count_histories(
            stack.client,
            [
                case_workflow_id(CENTER, i.case_id)
                for i in inputs[:: max(cases // _HISTORY_SAMPLE, 1)]
            ],
        )
        figures = OpenFigures(cases, open_seconds, rss_before, stack.rss_mb(), {}, counts.events)
        if probes:
            await _probe(stack, pool, service, probes, tag, figures)
        figures.rss_after = stack.rss_mb()
        return figures
    finally:
        await pool.close()
