"""Faults under load: the embedded stack loses a process, one after another, and loses nothing.

PostgreSQL (durable) and the Temporal dev server (its SQLite file; run under
``Supervised``, as ``banjian run`` runs it) start from their wheels in a
temporary folder; the case worker and the API are separate ``banjian worker``
and ``banjian api`` processes. Cases are received through the HTTP API and all
stay in flight, each with its timers; then, wave after wave, every case takes
its next action (start-review, request and supply materials, suspend and
resume, complete; a quarter are left open), every request with its own
``Idempotency-Key``, and while each wave runs one fault strikes:

- ``kill -9`` of the worker, and a new worker started;
- PostgreSQL stopped for a while (60 s in the full run), then started again;
- ``kill -9`` of the Temporal server, which the supervision must start again;
- ``kill -9`` of the API while requests are in flight, and a new API started.

A request that got no answer (or a 5xx) is sent again with the same key until
it answers 2xx, as a client does; it may have applied the first time, and the
retry must converge on one answer. The service's office hours are a minute
(in UTC) with a one-day limit, so the open cases warn at that minute's end and
their alerts go to a webhook channel: a real HTTP receiver that counts what it
is sent.

After each wave, and at the end: every case stands where its last answered
action left it (the status of that 2xx); for every case the read model equals
what its Temporal history decided (``ops.replay.replay_case``: events, order,
state, nothing pending); no (case, seq) is projected twice; every alert the
read model holds that is still open, or that the system says it delivered, has
reached the receiver exactly once.

``python -m benchmarks chaos [--quick]`` (``make chaos`` runs the full form).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from temporalio.client import Client

from banjian.embedded import EmbeddedPostgres, Supervised, TemporalDevServer, free_port
from banjian.runtime import connect
from banjian.stack import prepare_database
from benchmarks.flows import APPLICANT, MATERIALS, SERVICE
from benchmarks.report import table
from benchmarks.stack import CASE_QUEUE, CENTER, CLERK, _polled, _serving, _spawn, _stop
from ops.replay import replay_case
from privacy import KeyRing
from projections.center import create_token
from projections.db import create_pool
from tests.receiver import Receiver

UTC_ZONE = ZoneInfo("UTC")
_HOOK = "/hook"
_HTTP_TIMEOUT = 30.0
_RETRY_PAUSE = 0.5
_CONVERGE_SECONDS = 240.0  # a request is retried this long before the flow gives up
_SETTLE_SECONDS = 180.0  # how long the read model may take to catch up after a fault
_READY_SECONDS = 90.0
_RECOVERY_GIVE_UP = 240.0


@dataclass(frozen=True)
class Sizes:
    cases: int  # in flight when each fault strikes: received anew before each wave as needed
    outage_seconds: float  # PostgreSQL stays stopped this long
    lanes: int  # requests in flight at once


FULL = Sizes(cases=220, outage_seconds=60.0, lanes=24)
SHORT = Sizes(cases=30, outage_seconds=3.0, lanes=10)

_MISSING = "hardship_proof"
_REVIEW: tuple[str, dict[str, Any]] = ("start-review", {})
_COMPLETE: tuple[str, dict[str, Any]] = ("complete", {"outcome": "approved", "note": "符合"})
# The actions each kind of case takes after its intake, one a wave.
SCRIPTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "completed": [_REVIEW, _COMPLETE],
    "materials": [
        ("request-materials", {"missing": [_MISSING], "note": "请补充证明"}),
        ("supply-materials", {"materials": [_MISSING]}),
        _REVIEW,
        _COMPLETE,
    ],
    "suspended": [
        _REVIEW,
        ("suspend", {"reason": "等待鉴定结果", "expected_days": 5}),
        ("resume", {}),
    ],
    "open": [],
}
_KINDS = list(SCRIPTS)


@dataclass
class Case:
    kind: str
    case_id: str = ""
    done_steps: int = 0  # actions answered 2xx
    status: str | None = None  # in the last 2xx answer
    last_seq: int = 0
    failed: str | None = None  # a request that never converged, or answered a 4xx


@dataclass
class Row:
    fault: str
    held: int  # case workflows running when the fault struck
    requests_in_flight: int
    checked: int = 0
    lost: int = 0
    duplicates: int = 0
    recovery: float | None = None
    problems: list[str] = field(default_factory=list)


class Load:
    """The cases and the requests that drive them, retried with their key until answered."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.auth = {"Authorization": f"Bearer {token}"}
        self.in_flight = 0
        self.answered = 0
        self.retries = 0
        self.cases: list[Case] = []

    async def post(self, path: str, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        """POST until a 2xx or a 4xx; 5xx and transport errors are retried with the same key."""
        deadline = time.monotonic() + _CONVERGE_SECONDS
        headers = {**self.auth, "Idempotency-Key": key}
        while True:
            self.in_flight += 1
            try:
                r = await self.http.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                status = 0
            else:
                status = r.status_code
                if status < 500:
                    self.answered += 1
                    return status, r.json() if r.content else {}
            finally:
                self.in_flight -= 1
            if time.monotonic() > deadline:
                return status, {}
            self.retries += 1
            await asyncio.sleep(_RETRY_PAUSE)

    async def receive(self, case: Case) -> None:
        materials = [m for m in MATERIALS if case.kind != "materials" or m != _MISSING]
        body = {"service_code": SERVICE, "applicant": APPLICANT, "materials": materials}
        status, answer = await self.post("/cases", body, f"create-{uuid.uuid4().hex}")
        if status != 201:
            case.failed = f"create: {status} {_code(answer)}"
            return
        case.case_id, case.status, case.last_seq = (
            answer["case_id"],
            answer["status"],
            answer["last_seq"],
        )
        self.cases.append(case)

    async def step(self, case: Case) -> None:
        script = SCRIPTS[case.kind]
        if case.failed or case.done_steps >= len(script):
            return
        action, body = script[case.done_steps]
        status, answer = await self.post(
            f"/cases/{case.case_id}/{action}", body, f"{action}-{uuid.uuid4().hex}"
        )
        if status != 200:
            case.failed = f"{action}: {status} {_code(answer)}"
            return
        case.done_steps += 1
        case.status, case.last_seq = answer["status"], answer["last_seq"]


def _code(answer: dict[str, Any]) -> str:
    error = answer.get("error")
    return str(error.get("code")) if isinstance(error, dict) else ""


async def _each(items: list[Case], lanes: int, one: Callable[[Case], Awaitable[None]]) -> None:
    todo = iter(items)

    async def lane() -> None:
        for item in todo:
            await one(item)

    await asyncio.gather(*(lane() for _ in range(max(1, min(lanes, len(items))))))


class Chaos:
    """The stack under test and the faults that strike it."""

    def __init__(self, folder: Path, pg: EmbeddedPostgres, temporal: Supervised,
                 env: dict[str, str], api_url: str) -> None:  # fmt: skip
        self.folder, self.pg, self.temporal, self.env, self.api_url = (
            folder, pg, temporal, env, api_url,
        )  # fmt: skip
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.warns_at: datetime | None = None  # the office minute's end: the open cases warn
        self.client: Client | None = None

    async def pg_connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.pg.dsn)

    def start(self, name: str) -> None:
        banjian = str(Path(sys.executable).parent / "banjian")
        self.procs[name] = _spawn([banjian, name], self.env, self.folder / f"{name}.log")

    def kill(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    async def wait_ready(self) -> None:
        assert self.client is not None
        deadline = time.monotonic() + _READY_SECONDS
        async with httpx.AsyncClient() as http:
            while not (
                await _serving(http, self.api_url) and await _polled(self.client, CASE_QUEUE)
            ):
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        raise RuntimeError(f"{name} exited; see {self.folder / (name + '.log')}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack was not ready after {_READY_SECONDS:.0f}s")
                await asyncio.sleep(0.2)

    async def stop_all(self) -> None:
        await asyncio.gather(*(_stop(p) for p in self.procs.values()))

    # -- the faults: each returns the instant its fault ended (a kill, or PostgreSQL starting
    # again), from which its recovery is counted --

    async def worker_killed(self) -> float:
        self.kill("worker")
        ended = time.monotonic()
        self.start("worker")
        return ended

    async def postgres_stopped(self, seconds: float) -> float:
        await self.pg.stop()
        await asyncio.sleep(seconds)
        ended = time.monotonic()
        await self.pg.start()
        return ended

    async def temporal_killed(self) -> float:
        before, pid = self.temporal.restarts, self.temporal.server.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        ended = time.monotonic()
        deadline = time.monotonic() + _RECOVERY_GIVE_UP
        while self.temporal.restarts == before:  # the supervision restarts it
            if time.monotonic() > deadline:
                raise RuntimeError("the supervision did not restart the Temporal server")
            await asyncio.sleep(0.1)
        if self.temporal.server.pid == pid or not self.temporal.server.running:
            raise RuntimeError("the Temporal server was not started again")
        return ended

    async def api_killed(self) -> float:
        self.kill("api")
        ended = time.monotonic()
        self.start("api")
        return ended


@contextlib.asynccontextmanager
async def chaos_stack(folder: Path) -> AsyncIterator[tuple[Chaos, Receiver, dict[str, str]]]:
    """The stack, a receiver behind a webhook channel of level window_head, and tokens."""
    pg = EmbeddedPostgres(folder / "postgres", free_port())
    server = TemporalDevServer(
        port=free_port(),
        ui_port=None,
        db_file=folder / "temporal.db",
        log_file=folder / "temporal.log",
    )
    receiver = Receiver()
    receiver.thread.start()
    async with pg, Supervised(server) as temporal:
        await prepare_database(pg.dsn)
        hours, warns_at = await _one_minute_service(pg.dsn)
        pool = await create_pool(pg.dsn)
        try:
            tokens = {s: await create_token(pool, CENTER, s) for s in (CLERK, "director", "ops")}
        finally:
            await pool.close()
        api_port = free_port()
        keys = KeyRing.generate()
        env = {
            **os.environ,
            "BANJIAN_PAYLOAD_KEYS": keys.text(),
            "BANJIAN_DATA_DIR": str(folder / "data"),
            "BANJIAN_DATABASE_URL": pg.dsn,
            "BANJIAN_TEMPORAL_ADDRESS": server.address,
            "BANJIAN_TASK_QUEUE": CASE_QUEUE,
            "BANJIAN_API_PORT": str(api_port),
            "BANJIAN_TIMEZONE": "UTC",
            "BANJIAN_OFFICE_HOURS": hours,
            "BANJIAN_NOTIFY_OUTSIDE_OFFICE_HOURS": "true",
            "BANJIAN_LOG_LEVEL": "warning",
            "BANJIAN_LOG_FORMAT": "json",
        }
        chaos = Chaos(folder, pg, temporal, env, f"http://127.0.0.1:{api_port}")
        chaos.client = await connect(server.address, "default", keys)
        chaos.warns_at = warns_at
        chaos.start("worker")
        chaos.start("api")
        try:
            await chaos.wait_ready()
            async with httpx.AsyncClient(base_url=chaos.api_url + "/api/v1") as http:
                r = await http.post(
                    "/alert-channels",
                    json={"level": "window_head", "kind": "webhook", "url": receiver.base + _HOOK},
                    headers={"Authorization": f"Bearer {tokens['director']}"},
                )
                r.raise_for_status()
            yield chaos, receiver, tokens
        finally:
            await chaos.stop_all()
            receiver.server.shutdown()


async def _one_minute_service(dsn: str) -> tuple[str, datetime]:
    """The service gets a one-day limit, and the day's office hours one minute (UTC) opening at
    least a quarter of a minute from now: a case received before it warns at its end."""
    opens = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    if opens.hour == 23 and opens.minute >= 58:
        raise RuntimeError("the office minute would cross midnight (UTC): run again in a while")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "update services set promised_days = 1, legal_days = 0 where code = $1", SERVICE
        )
        await conn.execute(
            "insert into calendar_days (day, working, name, origin, year, recorded_by,"
            " center_code) values ($1, true, 'chaos', 'notice', $2, 'chaos', '')"
            " on conflict do nothing",
            opens.date(),
            opens.year,
        )
        # The center's own settings win over the environment's: its day is that minute (UTC).
        closes = opens + timedelta(minutes=1)
        await conn.execute(
            "update centers set settings = settings || jsonb_build_object('timezone', 'UTC',"
            " 'office_hours', $1::text, 'notify_outside_office_hours', true)",
            f"{opens:%H:%M}-{closes:%H:%M}",
        )
    finally:
        await conn.close()
    return f"{opens:%H:%M}-{closes:%H:%M}", closes


async def _open_workflows(client: Client) -> int:
    query = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running'"
    return (await client.count_workflows(query)).count


async def _recovered(load: Load, started: float) -> float:
    """Seconds from ``started`` until a new case is received through the API again."""
    probe = Case("open")
    await load.receive(probe)
    if probe.failed:
        raise RuntimeError(f"the stack did not recover: {probe.failed}")
    return time.monotonic() - started


async def check(
    chaos: Chaos,
    load: Load,
    receiver: Receiver,
    row: Row,
    *,
    alerts_due: bool,
    settle: float = _SETTLE_SECONDS,
) -> None:
    """Every case against its history and its last answer; duplicates; alerts at the receiver."""
    assert chaos.client is not None
    pool = await create_pool(chaos.pg.dsn)
    try:
        cases = [c for c in load.cases if c.case_id]
        row.checked = len(cases)
        row.problems += [f"{c.case_id or c.kind}: {c.failed}" for c in load.cases if c.failed]
        deadline = time.monotonic() + settle
        for case in cases:
            while True:
                report = await replay_case(chaos.client, pool, case.case_id, UTC_ZONE)
                current = await pool.fetchrow(
                    "select status, last_seq from cases where case_id = $1", case.case_id
                )
                wrong = _against_answer(case, report.status, current)
                if (report.consistent and report.pending == 0 and not wrong) or (
                    time.monotonic() > deadline
                ):
                    break
                await asyncio.sleep(0.5)
            if report.pending or not report.consistent:
                row.lost += report.pending + sum(
                    1 for f in report.findings if f.kind.startswith("missing_")
                )
                kinds = ", ".join(sorted({f.kind for f in report.findings}))
                row.problems.append(
                    f"{case.case_id}: projection differs from history ({kinds});"
                    f" {report.pending} event(s) not projected"
                )
            if wrong:
                row.problems.append(f"{case.case_id}: {wrong}")
        twice = await pool.fetchval(
            "select count(*) from (select 1 from case_events group by case_id, seq"
            " having count(*) > 1) d"
        )
        row.duplicates += twice
        if alerts_due:
            await _warned(chaos, pool)
        lost, sent_twice = await _alerts(pool, receiver, wait=settle if alerts_due else 0)
        row.lost += lost
        row.duplicates += sent_twice
        if lost or sent_twice:
            row.problems.append(f"alerts: {lost} not delivered, {sent_twice} delivered twice")
    finally:
        await pool.close()


async def _warned(chaos: Chaos, pool: asyncpg.Pool) -> None:
    """Wait for the office minute's end, and until every open case due a warning shows it."""
    assert chaos.warns_at is not None
    wait = (chaos.warns_at - datetime.now(UTC)).total_seconds() + 1.0
    if wait > 0:
        await asyncio.sleep(wait)
    deadline = time.monotonic() + _SETTLE_SECONDS
    while time.monotonic() < deadline and await pool.fetchval(  # noqa: ASYNC110  (the worker)
        "select count(*) from cases where status <> 'completed' and warn_at <= now() and not warned"
    ):
        await asyncio.sleep(0.5)


def _against_answer(case: Case, history_status: str | None, current: Any) -> str:
    if current is None:
        return "not in the read model"
    if case.status is not None and (
        current["status"] != case.status or history_status != case.status
    ):
        return (
            f"stands at {current['status']} (history: {history_status}), its last answer"
            f" said {case.status}"
        )
    if current["last_seq"] < case.last_seq:
        return f"read model at seq {current['last_seq']}, an answer said {case.last_seq}"
    return ""


async def _alerts(pool: asyncpg.Pool, receiver: Receiver, *, wait: float) -> tuple[int, int]:
    """(alerts not delivered, deliveries beyond the first) for the webhook's level.

    An alert is owed to the channel when it is still open, or when the system recorded its
    delivery; one acknowledged (the case closed) before its message went out is not owed.
    """
    deadline = time.monotonic() + wait
    while True:
        owed = {
            r["alert_id"]
            for r in await pool.fetch(
                "select a.alert_id from alerts a where a.level = 'window_head' and"
                " (a.acked_at is null or exists (select 1 from alert_deliveries d"
                "  where d.alert_id = a.alert_id and d.ok))"
            )
        }
        got = Counter(
            r.headers.get("x-banjian-alert-id", "") for r in receiver.requests if r.path == _HOOK
        )
        missing = owed - set(got)
        if not missing or time.monotonic() > deadline:
            return len(missing), sum(n - 1 for n in got.values() if n > 1)
        await asyncio.sleep(1.0)


After = Callable[["Chaos", Load, Receiver], Awaitable[None]]


async def run_faults(
    sizes: Sizes, folder: Path, after: After | None = None
) -> tuple[list[Row], dict[str, Any]]:
    """The four faults under load, each checked; the table's rows and a few totals. ``after``
    is given the stack, the load and the receiver once the last check is done."""
    rows: list[Row] = []
    async with chaos_stack(folder) as (chaos, receiver, tokens):
        assert chaos.client is not None
        async with httpx.AsyncClient(
            base_url=chaos.api_url + "/api/v1",
            timeout=_HTTP_TIMEOUT,
            limits=httpx.Limits(max_connections=sizes.lanes * 2),
        ) as http:
            load = Load(http, tokens[CLERK])
            faults: list[tuple[str, Callable[[], Awaitable[float]]]] = [
                ("kill -9 worker, new worker", chaos.worker_killed),
                (
                    f"PostgreSQL stopped {sizes.outage_seconds:.0f}s",
                    lambda: chaos.postgres_stopped(sizes.outage_seconds),
                ),
                ("kill -9 Temporal, supervised restart", chaos.temporal_killed),
                ("kill -9 API mid-request, new API", chaos.api_killed),
            ]
            for name, fault in faults:
                await _top_up(chaos, load, sizes)
                row = await _wave(chaos, load, name, fault, sizes.lanes)
                await check(chaos, load, receiver, row, alerts_due=False)
                rows.append(row)
                print(_line(row), flush=True)
            final = Row("end of the run", await _open_workflows(chaos.client), 0)
            await check(chaos, load, receiver, final, alerts_due=True)
            rows.append(final)
            totals = {
                "cases": len(load.cases),
                "requests retried": load.retries,
                "alerts delivered": len(
                    {r.headers.get("x-banjian-alert-id") for r in receiver.requests}
                ),
                "temporal restarts": chaos.temporal.restarts,
                "by status": dict(Counter(str(c.status) for c in load.cases)),
            }
            if after is not None:
                await after(chaos, load, receiver)
    return rows, totals


async def _top_up(chaos: Chaos, load: Load, sizes: Sizes) -> None:
    """Receive new cases until ``sizes.cases`` case workflows are running."""
    assert chaos.client is not None
    more = sizes.cases - await _open_workflows(chaos.client)
    first = len(load.cases)
    cases = [Case(_KINDS[(first + i) % len(_KINDS)]) for i in range(max(more, 0))]
    await _each(cases, sizes.lanes, load.receive)


async def _wave(chaos: Chaos, load: Load, name: str, fault: Callable[[], Awaitable[float]],
                lanes: int) -> Row:  # fmt: skip
    """Every case takes its next action; the fault strikes once requests are in flight."""
    assert chaos.client is not None
    held = await _open_workflows(chaos.client)
    wave = asyncio.create_task(_each(list(load.cases), lanes, load.step))
    answered = load.answered
    while load.answered == answered and not wave.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    row = Row(name, held, load.in_flight)
    row.recovery = await _recovered(load, await fault())
    await wave
    return row


def _line(row: Row) -> str:
    said = f"; {len(row.problems)} problem(s)" if row.problems else ""
    return f"  {row.fault}: recovered in {row.recovery or 0:.1f}s, {row.checked} checked{said}"


def report(rows: list[Row], totals: dict[str, Any]) -> list[str]:
    header = ("fault", "load held (cases in flight)", "requests in flight", "cases checked",
              "events lost", "duplicates", "recovery s")  # fmt: skip
    cells = [
        (r.fault, str(r.held), str(r.requests_in_flight), str(r.checked), str(r.lost),
         str(r.duplicates), f"{r.recovery:.1f}" if r.recovery is not None else "—")
        for r in rows
    ]  # fmt: skip
    lines = table(header, cells)
    lines.append(", ".join(f"{k}: {v}" for k, v in totals.items()))
    problems = [p for r in rows for p in r.problems]
    lines += [f"  problem: {p}" for p in problems[:20]]
    return lines


async def run(*, quick: bool = False) -> None:
    sizes = SHORT if quick else FULL
    print(
        f"faults under load: {sizes.cases} cases, PostgreSQL stopped {sizes.outage_seconds:.0f}s,"
        f" {sizes.lanes} requests at once; separate worker and API processes"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="banjian-chaos-") as tmp:
        rows, totals = await run_faults(sizes, Path(tmp))
    print()
    print("\n".join(report(rows, totals)))
    print(f"total {time.perf_counter() - started:.0f}s")
    if any(r.problems or r.lost or r.duplicates for r in rows):
        raise SystemExit(1)
