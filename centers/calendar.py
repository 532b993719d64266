"""Changing the center's calendar: record the change, then recount every open case it may touch.

The HTTP API and the CLI both go through here, so a notice or a closure is
applied the same way whoever makes it. Each is two steps: ``record_*`` writes the
calendar on a connection (the API's in the transaction of its ``Idempotency-Key``),
``recount_*`` then recounts through Temporal, once the change is committed (the
deadline activities read the calendar from PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import structlog
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from projections.alerts import settle_notice_missing
from projections.calendar import add_closure, import_notice
from projections.db import Conn
from workdays.notice import HolidayNotice
from workflows.actions import ActionMeta, Recalculate
from workflows.model import Actor, CaseState, Role

log = structlog.get_logger(__name__)

PARALLEL = 16
# Waits until the read model holds a case's seq: the API's read-your-writes.
Shown = Callable[[str, int], Awaitable[object]]

# Who may change the calendar: the API (api/routers/calendar.py) and the CLI check these.
NOTICE_ROLES: tuple[Role, ...] = (Role.DIRECTOR, Role.OPS)
CLOSURE_ROLES: tuple[Role, ...] = (Role.DIRECTOR,)


async def recalculate_open_cases(
    client: Client,
    pool: asyncpg.Pool,
    first: date,
    last: date,
    reason: str,
    actor: Actor,
    shown: Shown | None = None,
) -> int:
    """Recount the limits of open cases received by ``last`` and due from ``first``; the number
    whose limit moved. ``shown(case_id, seq)``, when given, waits until the read model holds
    each recount (the API's read-your-writes)."""
    rows = await pool.fetch(
        "select case_id, last_seq from cases where status <> 'completed'"
        " and received_at::date <= $2"
        " and (due_at is null or greatest(due_at, legal_due_at)::date >= $1)",
        first,
        last,
    )
    gate = asyncio.Semaphore(PARALLEL)

    async def recount(case_id: str, last_seq: int) -> bool:
        async with gate:
            try:
                state: CaseState = await client.get_workflow_handle(case_id).execute_update(
                    "recalculate", Recalculate(ActionMeta(actor), reason), result_type=CaseState
                )
            except (WorkflowUpdateFailedError, RPCError):
                return False  # closed meanwhile: nothing left to count
            if shown is not None:
                await shown(case_id, state.last_seq)
            return state.last_seq > last_seq

    moved = sum(await asyncio.gather(*(recount(r["case_id"], r["last_seq"]) for r in rows)))
    log.info("calendar.recalculated", cases=len(rows), moved=moved)
    return moved


@dataclass(frozen=True)
class CalendarChange:
    first: date
    last: date
    recalculated: int


async def record_notice(conn: Conn, notice: HolidayNotice, actor: Actor) -> None:
    """Import a year's holiday notice, replacing any earlier one for that year, and settle its
    ``notice_missing`` alert; in the caller's transaction, if it has one."""
    async with conn.transaction():
        await import_notice(conn, notice, actor.staff_id)
        await settle_notice_missing(conn, notice.year, actor.staff_id, datetime.now(UTC))


async def recount_notice(
    client: Client,
    pool: asyncpg.Pool,
    notice: HolidayNotice,
    actor: Actor,
    shown: Shown | None = None,
) -> CalendarChange:
    """Recount the open cases an imported notice may touch (safe to run again)."""
    days = [*notice.holidays, *notice.workdays]
    first, last = min(days), max(days)
    reason = f"节假日安排导入（{notice.source}）"
    moved = await recalculate_open_cases(client, pool, first, last, reason, actor, shown)
    return CalendarChange(first, last, moved)


async def apply_notice(
    client: Client, pool: asyncpg.Pool, notice: HolidayNotice, actor: Actor
) -> CalendarChange:
    """Import a year's holiday notice, replacing any earlier one for that year, and recount."""
    async with pool.acquire() as conn:
        await record_notice(conn, notice, actor)
    return await recount_notice(client, pool, notice, actor)


async def record_closure(conn: Conn, day: date, reason: str, actor: Actor) -> None:
    """Close the center for a day; a day already closed gets the new reason."""
    await add_closure(conn, day, reason, actor.staff_id)


async def recount_closure(
    client: Client,
    pool: asyncpg.Pool,
    day: date,
    reason: str,
    actor: Actor,
    shown: Shown | None = None,
) -> CalendarChange:
    """Recount the open cases a closure may touch (safe to run again)."""
    why = f"中心闭馆：{reason}"
    moved = await recalculate_open_cases(client, pool, day, day, why, actor, shown)
    return CalendarChange(day, day, moved)


async def apply_closure(
    client: Client, pool: asyncpg.Pool, day: date, reason: str, actor: Actor
) -> CalendarChange:
    """Close the center for a day, and recount."""
    async with pool.acquire() as conn:
        await record_closure(conn, day, reason, actor)
    return await recount_closure(client, pool, day, reason, actor)
