"""The case read model: events applied idempotently and in order, and the queries that read it.

A batch is written in one transaction. Two writers hand a case's batches in:
the API, with the events an action answered (``api.read_your_writes``), and the
workflow's projection activity, which makes sure of every event. A batch
always starts at or before the read model's next seq, so the two never leave a
gap, and a batch the read model holds already writes nothing. Events are keyed
by ``(case_id, seq)`` and the current-state row only moves forward (``last_seq``
guard), so a late, older batch never overwrites a newer state. Two writers
handing in the same batch at once are serialized by the events' key: the second
waits on the first's rows, then finds them (and the dashboard's row) written.
Each batch's commit is announced on ``PROJECTED_CHANNEL`` with the case and the
last seq it now holds, for the writes that wait to be readable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from projections.alerts import apply_alert_events
from projections.calendar import calendar_version
from projections.centers import case_center
from projections.dashboard import apply_to_dashboard
from projections.db import DB_ERRORS, Conn
from projections.links import issue_link
from workflows.model import CaseState, ProjectionBatch, handed_batch

log = structlog.get_logger(__name__)

# The calendar's advisory lock: held by a calendar change until it commits (migration 014).
CALENDAR_LOCK_KEY = 0x62616E63
# NOTIFY payload: "<case id> <last seq>", delivered to listeners when the batch commits.
PROJECTED_CHANNEL = "banjian_projected"

_INSERT_EVENTS = """
insert into case_events (case_id, seq, type, at, actor, data, schema_version, center_code)
select $1, e.seq, e.type, e.at, e.actor, e.data::jsonb, e.schema_version, $8
from unnest($2::integer[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::integer[])
     as e(seq, type, at, actor, data, schema_version)
on conflict (case_id, seq) do nothing
"""

# Whether the read model holds the batch already: the case's state at or past its last event,
# and each of its events.
_HELD = """
select coalesce((select last_seq >= $3 from cases where case_id = $1), false)
   and (select count(*) from case_events where case_id = $1 and seq between $2 and $3) = $4
"""

UPSERT_CASE = """
insert into cases (
    case_id, service_code, service_name, window_code, kind, status, outcome, urgent,
    received_at, due_at, warn_at, paused, suspended, overdue, warned, assignee, first_receiver,
    applicant_name, applicant_id_number, applicant_phone, materials, materials_missing, signoffs,
    completed_at, last_seq, provisional, legal_due_at, legal_overdue, upward, review, return_by,
    center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
on conflict (case_id) do update set
    service_code = excluded.service_code, service_name = excluded.service_name,
    window_code = excluded.window_code, kind = excluded.kind, status = excluded.status,
    outcome = excluded.outcome, urgent = excluded.urgent, received_at = excluded.received_at,
    due_at = excluded.due_at, warn_at = excluded.warn_at, paused = excluded.paused,
    suspended = excluded.suspended, overdue = excluded.overdue, warned = excluded.warned,
    assignee = excluded.assignee, first_receiver = excluded.first_receiver,
    applicant_name = excluded.applicant_name, applicant_id_number = excluded.applicant_id_number,
    applicant_phone = excluded.applicant_phone, materials = excluded.materials,
    materials_missing = excluded.materials_missing, signoffs = excluded.signoffs,
    completed_at = excluded.completed_at, last_seq = excluded.last_seq,
    provisional = excluded.provisional, legal_due_at = excluded.legal_due_at,
    legal_overdue = excluded.legal_overdue, upward = excluded.upward,
    review = excluded.review, return_by = excluded.return_by, projected_at = now()
where cases.last_seq < excluded.last_seq
"""


async def apply_batch(conn: Conn, batch: ProjectionBatch) -> int | None:
    """Write the batch in one transaction, unless the read model holds it already. The
    batch that receives the case also answers the calendar's version, read holding the
    calendar's lock shared: a calendar change waits for this transaction, or this transaction
    for the change (see migration 014)."""
    s = batch.state
    ev = batch.events
    version: int | None = None
    center = await case_center(conn, batch.calendar)
    async with conn.transaction():
        if ev[0].seq == 1:
            await conn.execute("select pg_advisory_xact_lock_shared($1)", CALENDAR_LOCK_KEY)
            version = await calendar_version(conn)
        if await conn.fetchval(_HELD, batch.case_id, ev[0].seq, ev[-1].seq, len(ev)):
            return version  # written before, by the other writer or an earlier attempt
        await conn.execute(
            _INSERT_EVENTS,
            batch.case_id,
            [e.seq for e in ev],
            [e.type for e in ev],
            [e.at for e in ev],
            [e.actor for e in ev],
            [json.dumps(e.data, ensure_ascii=False) for e in ev],
            [e.schema_version for e in ev],
            center,
        )
        await conn.execute(UPSERT_CASE, *case_row(s), center)
        await apply_alert_events(conn, center, batch.case_id, s.window, ev)
        await apply_to_dashboard(conn, center, batch)
        await conn.execute(
            "select pg_notify($1, $2)", PROJECTED_CHANNEL, f"{batch.case_id} {ev[-1].seq}"
        )
    return version


async def write_batch(conn: Conn, batch: ProjectionBatch) -> int | None:
    """``apply_batch`` for a batch a writer hands in (the projector, an action's caller); the
    case's first also issues the applicant's link, which so exists before the case is read."""
    if batch.events[0].seq == 1:
        await issue_link(conn, await case_center(conn, batch.calendar), batch.case_id)
    return await apply_batch(conn, batch)


async def write_handed(pool: asyncpg.Pool, batch: ProjectionBatch) -> None:
    """Write the batch an action's answer handed its caller (``handed_batch``)."""
    async with pool.acquire() as conn:
        await write_batch(conn, batch)


async def try_write_answer(pool: asyncpg.Pool, answer: CaseState, seconds: float = 2.0) -> None:
    """``write_handed`` for a caller nobody waits on (an activity acting on a case): a write
    that fails or takes longer than ``seconds`` is left to the case's projector."""
    batch = handed_batch(answer)
    if batch is None:
        return
    try:
        async with asyncio.timeout(seconds):
            await write_handed(pool, batch)
    except (TimeoutError, *DB_ERRORS) as err:
        log.warning("read_model.answer_left", case_id=answer.case_id, error=type(err).__name__)


def parse_projected(payload: str) -> tuple[str, int] | None:
    """The case and the seq of a ``PROJECTED_CHANNEL`` notification; None if it is not one."""
    case_id, _, seq = payload.rpartition(" ")
    return (case_id, int(seq)) if case_id and seq.isdigit() else None


async def projected_seq(conn: Conn | asyncpg.Pool, case_id: str) -> int:
    """The last seq of the case that the read model holds; 0 before its first batch."""
    seq = await conn.fetchval("select last_seq from cases where case_id = $1", case_id)
    return int(seq) if seq is not None else 0


def case_row(s: CaseState) -> list[Any]:
    """The current-state row's parameters for ``UPSERT_CASE``, in its column order."""
    return [
        s.case_id,
        s.service_code,
        s.service_name,
        s.window,
        s.kind.value,
        s.status.value,
        s.outcome.value if s.outcome else None,
        s.urgent,
        s.received_at,
        s.due_at,
        s.warn_at,
        s.paused,
        s.suspended,
        s.overdue,
        s.warned,
        s.assignee,
        s.first_receiver,
        s.applicant.name,
        s.applicant.id_number,
        s.applicant.phone,
        s.materials,
        s.materials_missing,
        [_as_json(x) for x in s.signoffs],
        s.completed_at,
        s.last_seq,
        s.provisional,
        s.legal_due_at,
        s.legal_overdue,
        _as_json(s.upward),
        _as_json(s.review),
        s.return_by,
    ]


def _as_json(value: Any) -> dict[str, Any] | None:
    """A dataclass of the state (a sign-off, an upward case, a review) as its JSON column."""
    if value is None:
        return None
    row = dataclasses.asdict(value)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


async def get_case(
    conn: asyncpg.Connection | asyncpg.Pool, center: str, case_id: str
) -> asyncpg.Record | None:
    """The case, if it is the center's: another center's case is not found."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "select * from cases where case_id = $1 and center_code = $2", case_id, center
    )
    return row


async def case_events(
    conn: asyncpg.Connection | asyncpg.Pool, center: str, case_id: str
) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "select seq, type, at, actor, data, schema_version from case_events"
        " where case_id = $1 and center_code = $2 order by seq",
        case_id,
        center,
    )
    return rows


@dataclasses.dataclass(frozen=True)
class FirstReceiver:
    staff_id: str
    name: str


async def first_receiver_of(
    conn: asyncpg.Connection | asyncpg.Pool, center: str, case_id: str
) -> FirstReceiver | None:
    """The case's first-asker (首问责任人) with their name; None before the case is projected
    (or when it is another center's)."""
    row = await conn.fetchrow(
        "select c.first_receiver, coalesce(s.name, c.first_receiver) as name from cases c"
        " left join staff s on s.center_code = c.center_code and s.id = c.first_receiver"
        " where c.case_id = $1 and c.center_code = $2",
        case_id,
        center,
    )
    return FirstReceiver(row["first_receiver"], row["name"]) if row is not None else None


@dataclasses.dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    window: str | None = None
    overdue: bool | None = None
    assignee: str | None = None
    first_receiver: str | None = None


async def list_cases(
    conn: asyncpg.Connection | asyncpg.Pool,
    center: str,
    filters: CaseFilter,
    limit: int,
    after: tuple[bool, datetime, str] | None,
) -> list[asyncpg.Record]:
    """The center's cases, urgent ones first, then newest first; ``after`` is the (urgent,
    received_at, case_id) of the previous page's last row."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where.append(f"center_code = {arg(center)}")
    if filters.status is not None:
        where.append(f"status = {arg(filters.status)}")
    if filters.window is not None:
        where.append(f"window_code = {arg(filters.window)}")
    if filters.overdue is not None:
        where.append(f"overdue = {arg(filters.overdue)}")
    if filters.assignee is not None:
        where.append(f"assignee = {arg(filters.assignee)}")
    if filters.first_receiver is not None:
        where.append(f"first_receiver = {arg(filters.first_receiver)}")
    if after is not None:
        # Descending on all three: false < true, so an urgent page is followed by the rest.
        urgent, at, case_id = after
        where.append(f"(urgent, received_at, case_id) < ({arg(urgent)}, {arg(at)}, {arg(case_id)})")
    sql = "select * from cases where " + " and ".join(where)
    sql += f" order by urgent desc, received_at desc, case_id desc limit {arg(limit)}"
    rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows
