"""The projection write path: ``apply_batch`` against one statement and transaction per event.

A case workflow hands its new events to the read model in small batches
(``ProjectionBatch``: a few events plus the case state after the last one).
``projections.cases.apply_batch`` writes a batch in one transaction: every
event in one ``unnest`` insert, then one upsert of the case row guarded by
``last_seq``. The baseline, written here, is the obvious alternative: each
event in its own transaction, with its own ``INSERT ... ON CONFLICT DO
NOTHING`` and the same case-row upsert carrying the state after that event.

Both write the same events and states to the same tables with the same
idempotency rules, against an embedded PostgreSQL with fsync on (durable),
so a commit costs what it costs in production. Three measurements, each
repeated and interleaved with the others, median reported:

* baseline: per-event transactions, first delivery;
* apply_batch: the batches, first delivery;
* re-delivery: the same batches applied again, which must add nothing.

Row counts are checked after every run; a wrong count aborts the benchmark.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from banjian.embedded import EmbeddedPostgres, free_port
from projections.cases import UPSERT_CASE, apply_batch, case_row
from projections.centers import legacy_center
from projections.db import connect
from projections.migrate import migrate
from workflows.model import (
    Applicant,
    CaseState,
    Event,
    Kind,
    Outcome,
    ProjectionBatch,
    Status,
)

CASES = 300
EVENTS_PER_CASE = 8
# How the workflow's projection loop tends to group a case's events: a few at a time.
BATCH_SIZES = (3, 2, 3)
REPEATS = 3
WARMUP_CASES = 20

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# One case's life, in the order the workflow emits it: (event type, actor, data, status after).
_LIFE: tuple[tuple[str, str, dict[str, Any], Status], ...] = (
    ("case.received", "mz-a",
     {"service_code": "MZ-001", "kind": "promised", "window": "minzheng", "urgent": False,
      "materials": ["id_card"], "materials_missing": ["income_proof"], "promised_days": 7,
      "legal_days": 20, "due_at": "2026-03-11T09:00:00+00:00", "first_receiver": "mz-a"},
     Status.RECEIVED),
    ("materials.requested", "mz-a",
     {"missing": ["income_proof"], "note": "请补交收入证明"}, Status.NEEDS_MATERIALS),
    ("clock.paused", "mz-a", {"reason": "materials"}, Status.NEEDS_MATERIALS),
    ("materials.supplied", "mz-a",
     {"materials": ["income_proof"], "still_missing": []}, Status.RECEIVED),
    ("clock.resumed", "mz-a",
     {"paused_from": "2026-03-02T02:00:00+00:00", "paused_office_seconds": 3600,
      "due_at": "2026-03-11T10:00:00+00:00"}, Status.RECEIVED),
    ("review.started", "mz-b", {}, Status.UNDER_REVIEW),
    ("case.reassigned", "mz-head",
     {"from_staff": "mz-b", "to_staff": "mz-c", "to_window": None}, Status.UNDER_REVIEW),
    ("case.completed", "mz-c",
     {"on_time": True, "outcome": "approved", "note": ""}, Status.COMPLETED),
)  # fmt: skip
assert len(_LIFE) == EVENTS_PER_CASE
assert sum(BATCH_SIZES) == EVENTS_PER_CASE

_INSERT_ONE_EVENT = """
insert into case_events (case_id, seq, type, at, actor, data, schema_version, center_code)
values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
on conflict (case_id, seq) do nothing
"""


@dataclass(frozen=True)
class Workload:
    """One run's data, built before the clock starts, in delivery order."""

    prefix: str
    cases: int
    batches: list[ProjectionBatch]
    # The same events for the baseline, each with the case state after it.
    singles: list[tuple[str, Event, CaseState]]

    @property
    def events(self) -> int:
        return self.cases * EVENTS_PER_CASE


def _state_after(case_id: str, seq: int) -> CaseState:
    status = _LIFE[seq - 1][3]
    done = status is Status.COMPLETED
    return CaseState(
        case_id=case_id,
        service_code="MZ-001",
        service_name="临时救助",
        window="minzheng",
        kind=Kind.PROMISED,
        status=status,
        outcome=Outcome.APPROVED if done else None,
        urgent=False,
        received_at=T0,
        due_at=T0 + timedelta(days=9, hours=1 if seq >= 5 else 0),
        warn_at=T0 + timedelta(days=8),
        paused=seq in (3, 4),
        suspended=False,
        overdue=False,
        warned=False,
        assignee="mz-c" if seq >= 7 else ("mz-b" if seq >= 6 else "mz-a"),
        first_receiver="mz-a",
        applicant=Applicant("李四", "11010519491231002X", "13912345678"),
        materials=["id_card"] if seq < 4 else ["id_card", "income_proof"],
        materials_missing=["income_proof"] if seq < 4 else [],
        signoffs=[],
        completed_at=T0 + timedelta(hours=seq) if done else None,
        last_seq=seq,
        request_hash="h",
    )


def build_workload(prefix: str, cases: int) -> Workload:
    """``cases`` cases of ``EVENTS_PER_CASE`` events, interleaved as concurrent cases deliver.

    Round r delivers the r-th batch of every case, so consecutive writes hit
    different cases, as they do when many workflows project at once.
    """
    ids = [f"{prefix}-{i:05d}" for i in range(cases)]
    per_case: dict[str, list[Event]] = {
        cid: [
            Event(seq=seq, type=t, at=T0 + timedelta(hours=seq), actor=actor, data=data)
            for seq, (t, actor, data, _status) in enumerate(_LIFE, start=1)
        ]
        for cid in ids
    }
    batches: list[ProjectionBatch] = []
    singles: list[tuple[str, Event, CaseState]] = []
    start = 0
    for size in BATCH_SIZES:
        for cid in ids:
            chunk = per_case[cid][start : start + size]
            batches.append(ProjectionBatch(cid, chunk, _state_after(cid, chunk[-1].seq)))
            singles.extend((cid, e, _state_after(cid, e.seq)) for e in chunk)
        start += size
    return Workload(prefix, cases, batches, singles)


async def write_per_event(conn: asyncpg.Connection, w: Workload) -> None:
    """The baseline: one transaction per event, one INSERT for it, one case-row upsert, in the
    center ``apply_batch`` writes the batches' cases to (their calendar names none)."""
    center = await legacy_center(conn)
    for case_id, e, state in w.singles:
        async with conn.transaction():
            await conn.execute(
                _INSERT_ONE_EVENT,
                case_id, e.seq, e.type, e.at, e.actor, e.data, e.schema_version, center,
            )  # fmt: skip
            await conn.execute(UPSERT_CASE, *case_row(state), center)


async def write_batches(conn: asyncpg.Connection, w: Workload) -> None:
    for batch in w.batches:
        await apply_batch(conn, batch)


@dataclass(frozen=True)
class Snapshot:
    events: int
    cases: int
    completed_at_last_seq: int
    last_projected: datetime | None


async def snapshot(conn: asyncpg.Connection, prefix: str) -> Snapshot:
    pattern = prefix + "-%"
    events = await conn.fetchval("select count(*) from case_events where case_id like $1", pattern)
    row = await conn.fetchrow(
        "select count(*) as n,"
        " count(*) filter (where last_seq = $2 and status = 'completed') as done,"
        " max(projected_at) as projected"
        " from cases where case_id like $1",
        pattern,
        EVENTS_PER_CASE,
    )
    assert row is not None
    return Snapshot(int(events), int(row["n"]), int(row["done"]), row["projected"])


async def check_complete(conn: asyncpg.Connection, w: Workload) -> Snapshot:
    snap = await snapshot(conn, w.prefix)
    want = (w.events, w.cases, w.cases)
    got = (snap.events, snap.cases, snap.completed_at_last_seq)
    if got != want:
        raise AssertionError(f"{w.prefix}: (events, cases, completed) = {got}, expected {want}")
    return snap


async def timed(write: Callable[[], Awaitable[None]], events: int) -> float:
    """Events per second of one run."""
    start = time.perf_counter()
    await write()
    return events / (time.perf_counter() - start)


BASELINE = "per-event transactions (baseline)"
BATCHED = "apply_batch, first delivery"
REDELIVERY = "apply_batch, re-delivery (adds nothing)"


async def measure(conn: asyncpg.Connection, tag: str) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {BASELINE: [], BATCHED: [], REDELIVERY: []}

    # Warm-up, untimed: statement caches, catalog lookups, first pages of the indexes.
    for name, write in (("warm-base", write_per_event), ("warm-batch", write_batches)):
        w = build_workload(f"{tag}-{name}", WARMUP_CASES)
        await write(conn, w)
        await check_complete(conn, w)

    for rep in range(REPEATS):
        base = build_workload(f"{tag}-base-r{rep}", CASES)
        batched = build_workload(f"{tag}-batch-r{rep}", CASES)

        async def run_baseline(w: Workload = base) -> None:
            results[BASELINE].append(await timed(lambda: write_per_event(conn, w), w.events))
            await check_complete(conn, w)

        async def run_batched(w: Workload = batched) -> None:
            results[BATCHED].append(await timed(lambda: write_batches(conn, w), w.events))
            before = await check_complete(conn, w)
            results[REDELIVERY].append(await timed(lambda: write_batches(conn, w), w.events))
            after = await check_complete(conn, w)
            # The last_seq guard must have left every case row untouched, projected_at included.
            if after != before:
                raise AssertionError(f"re-delivery changed the read model: {before} -> {after}")

        # Alternate which approach goes first, so a drift in the machine favours neither.
        order = (run_baseline, run_batched) if rep % 2 == 0 else (run_batched, run_baseline)
        for step in order:
            await step()
    return results


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def filesystem(path: Path) -> str:
    """The type of the filesystem holding ``path`` (longest mount point above it), if known."""
    best, kind = "", "unknown"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _dev, mount, fstype, *_ = line.split()
            inside = str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")
            if inside and len(mount) > len(best):
                best, kind = mount, fstype
    except (OSError, ValueError):
        pass
    return kind


async def machine(conn: asyncpg.Connection, data_dir: Path) -> list[tuple[str, str]]:
    settings = [
        f"{name}={await conn.fetchval(f'show {name}')}"
        for name in ("fsync", "synchronous_commit", "wal_sync_method")
    ]
    return [
        ("platform", platform.platform()),
        ("cpus", str(os.cpu_count())),
        ("cpu model", cpu_model()),
        ("python", sys.version.split()[0]),
        ("postgresql", str(await conn.fetchval("select version()"))),
        ("pg settings", " ".join(settings)),
        ("data dir", f"{data_dir} ({filesystem(data_dir)})"),
    ]


def table(results: dict[str, list[float]]) -> list[str]:
    base = statistics.median(results[BASELINE])
    header = ("approach", "events/s (median)", "runs", "ratio vs baseline")
    rows = [header]
    for name, runs in results.items():
        med = statistics.median(runs)
        rows.append(
            (name, f"{med:,.0f}", " / ".join(f"{r:,.0f}" for r in runs), f"{med / base:.2f}x")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

    def fmt(r: Sequence[str]) -> str:
        rest = [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        return "  ".join([r[0].ljust(widths[0]), *rest])

    return [fmt(rows[0]), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows[1:])]


async def run() -> None:
    print(
        f"projection write path: {CASES} cases x {EVENTS_PER_CASE} events"
        f" = {CASES * EVENTS_PER_CASE} events per run, batches of {BATCH_SIZES},"
        f" {REPEATS} runs each, interleaved"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="banjian-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = EmbeddedPostgres(data_dir, free_port(), durable=True)
        await server.start()
        try:
            conn = await connect(server.dsn)
            try:
                await migrate(conn)
                for key, value in await machine(conn, data_dir):
                    print(f"  {key:<11} {value}")
                tag = f"bench{int(time.time())}"
                results = await measure(conn, tag)
            finally:
                await conn.close()
        finally:
            await server.stop()
    print()
    for line in table(results):
        print(line)
    print()
    print("ratio: median events/s over the baseline's median events/s, same process.")
    print("checked after every run: event and case row counts; re-delivery changed no row.")
    print(f"total {time.perf_counter() - started:.1f}s")
