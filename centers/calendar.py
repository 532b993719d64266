"""Changing the center's calendar: record the change, then start the recount of its open cases.

The HTTP API and the CLI both go through here, so a notice or a closure is
applied the same way whoever makes it. Each is two steps: ``record_*`` writes the
calendar on a connection (the API's in the transaction of its ``Idempotency-Key``)
and answers the change's id; ``recount_*`` then starts the change's recount
(``workflows.recount``), once the change is committed (the deadline activities read
the calendar from PostgreSQL). The recount's workflow id is the change's id:
starting it again finds the one already started.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg
import structlog
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from projections.alerts import settle_notice_missing
from projections.calendar import add_closure, import_notice
from projections.db import Conn
from workdays.notice import HolidayNotice
from workflows.model import Actor, Role
from workflows.recount import RecountInput, RecountProgress, RecountWorkflow

log = structlog.get_logger(__name__)

# Who may change the calendar: the API (api/routers/calendar.py) and the CLI check these.
NOTICE_ROLES: tuple[Role, ...] = (Role.DIRECTOR, Role.OPS)
CLOSURE_ROLES: tuple[Role, ...] = (Role.DIRECTOR,)


@dataclass(frozen=True)
class CalendarChange:
    """A committed change: the span of days it touches, and the id of its recount."""

    id: str
    first: date
    last: date


async def _change_id(conn: Conn, center: str | None = None) -> str:
    """The id of the change just written in ``conn``'s transaction: the calendar's version it
    made (changes take the calendar's lock in turn, see migration 014), and a random part,
    as several databases may share one Temporal namespace; a closure's ends in ``@<center>``,
    so that its recount is that center's cases only (``activities.recount``)."""
    version = await conn.fetchval("select version from calendar_version")
    at = f"@{center}" if center else ""
    return f"calendar-{version}-{secrets.token_hex(4)}{at}"


async def record_notice(conn: Conn, notice: HolidayNotice, actor: Actor) -> str:
    """Import a year's holiday notice, replacing any earlier one for that year, and settle its
    ``notice_missing`` alert; in the caller's transaction, if it has one. The change's id."""
    async with conn.transaction():
        await import_notice(conn, notice, actor.staff_id)
        await settle_notice_missing(conn, notice.year, actor.staff_id, datetime.now(UTC))
        return await _change_id(conn)


async def record_closure(conn: Conn, center: str, day: date, reason: str, actor: Actor) -> str:
    """Close the center for a day; a day already closed gets the new reason. The change's id."""
    async with conn.transaction():
        await add_closure(conn, center, day, reason, actor.staff_id)
        return await _change_id(conn, center)


async def start_recount(client: Client, task_queue: str, inp: RecountInput) -> bool:
    """Start the change's recount; False when it was started before (it runs once)."""
    try:
        await client.start_workflow(
            RecountWorkflow.run,
            inp,
            id=inp.change_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    log.info("calendar.recount_started", change_id=inp.change_id, first=inp.first, last=inp.last)
    return True


async def recount_notice(
    client: Client, task_queue: str, change_id: str, notice: HolidayNotice, actor: Actor
) -> CalendarChange:
    """Start the recount of the open cases an imported notice may touch (safe to run again)."""
    days = [*notice.holidays, *notice.workdays]
    first, last = min(days), max(days)
    reason = f"节假日安排导入（{notice.source}）"
    await start_recount(client, task_queue, RecountInput(change_id, first, last, reason, actor))
    return CalendarChange(change_id, first, last)


async def recount_closure(
    client: Client, task_queue: str, change_id: str, day: date, reason: str, actor: Actor
) -> CalendarChange:
    """Start the recount of the open cases a closure may touch (safe to run again)."""
    inp = RecountInput(change_id, day, day, f"中心闭馆：{reason}", actor)
    await start_recount(client, task_queue, inp)
    return CalendarChange(change_id, day, day)


async def apply_notice(
    client: Client, pool: asyncpg.Pool, task_queue: str, notice: HolidayNotice, actor: Actor
) -> CalendarChange:
    """Import a year's holiday notice, replacing any earlier one for that year; start the
    recount."""
    async with pool.acquire() as conn:
        change_id = await record_notice(conn, notice, actor)
    return await recount_notice(client, task_queue, change_id, notice, actor)


async def apply_closure(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    center: str,
    day: date,
    reason: str,
    actor: Actor,
) -> CalendarChange:
    """Close the center for a day; start the recount."""
    async with pool.acquire() as conn:
        change_id = await record_closure(conn, center, day, reason, actor)
    return await recount_closure(client, task_queue, change_id, day, reason, actor)


async def recount_progress(client: Client, change_id: str) -> RecountProgress | None:
    """How far the change's recount is; None when there is no such recount."""
    handle = client.get_workflow_handle_for(RecountWorkflow.run, change_id)
    try:
        described = await handle.describe()
        if described.workflow_type != "RecountWorkflow":
            return None  # the id of another workflow (a case's, a leave's)
        if described.status is WorkflowExecutionStatus.COMPLETED:
            return await handle.result()
        return await handle.query(RecountWorkflow.progress)
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise


async def recounted(client: Client, change_id: str) -> RecountProgress:
    """Wait for the change's recount to finish; what it did."""
    return await client.get_workflow_handle_for(RecountWorkflow.run, change_id).result()
