"""Staff leave and the AB post (AB岗): the B post takes over the absent A post's open cases.

A leave is recorded here (who is absent, who covers, which days), then runs as
a workflow of its own (``workflows.leave``): it takes the cases over when its
first day comes, and hands back those B has not acted on when A is back, on
its last day's end or when the window head ends it early. Registration starts
the workflow once the leave is committed (``LeaveClient``); the worker starts
any leave left without one (``LeaveClient.resume``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from projections import leave as store
from projections.center import Directory, StaffMember
from projections.db import Conn
from projections.leave import Leave
from workflows.leave import LeaveInput, LeaveProgress, LeaveWorkflow
from workflows.model import Role

log = structlog.get_logger(__name__)

# How long an answer waits for the takeovers or hand-backs it started; they go on after it.
SETTLE_WAIT = timedelta(seconds=30)


class LeaveRefused(ValueError):
    """A leave that cannot be registered: who is absent, who covers, or its dates."""


def cover_for(directory: Directory, staff_id: str) -> tuple[StaffMember, StaffMember]:
    """The absent A-post clerk and the B-post clerk of the same window who covers for them."""
    absent = directory.staff[staff_id]
    if absent.role is not Role.CLERK or absent.post != "A" or absent.window is None:
        raise LeaveRefused(f"{staff_id} is not the A-post clerk of a window")
    cover = [
        s
        for s in directory.staff.values()
        if s.window == absent.window and s.post == "B" and s.role is Role.CLERK
    ]
    if not cover:
        raise LeaveRefused(f"window {absent.window!r} has no B-post clerk to cover for {staff_id}")
    return absent, min(cover, key=lambda s: s.id)


def check_dates(first: date, last: date, today: date) -> None:
    if last < first:
        raise LeaveRefused("the leave's last day comes before its first")
    if last < today:
        raise LeaveRefused("the leave is over already")
    if (last - first).days > 366:
        raise LeaveRefused("a leave is at most a year long")


async def record_leave(
    conn: Conn,
    directory: Directory,
    staff_id: str,
    first: date,
    last: date,
    reason: str,
    by: StaffMember,
    today: date,
) -> int:
    """Record the leave on ``conn`` (in the caller's transaction); its id. Start its workflow
    (``LeaveClient.start``) once that is committed."""
    absent, cover = cover_for(directory, staff_id)
    check_dates(first, last, today)
    clash = await store.overlapping(conn, directory.center, staff_id, first, last)
    if clash is not None:
        raise LeaveRefused(f"{staff_id} is already on leave {clash} during those days")
    leave_id = await store.insert_leave(
        conn,
        center=directory.center,
        staff_id=absent.id,
        window=cover.window or "",
        cover_staff=cover.id,
        first=first,
        last=last,
        reason=reason,
        registered_by=by.id,
    )
    log.info("leave.registered", leave_id=leave_id, staff_id=staff_id, cover=cover.id)
    return leave_id


def leave_input(leave_id: int, first: date, last: date, tz: ZoneInfo) -> LeaveInput:
    """The leave runs from its first day's start to its last day's end, in the center's days."""
    starts = datetime.combine(first, time(0), tz)
    ends = datetime.combine(last + timedelta(days=1), time(0), tz)
    return LeaveInput(leave_id, starts, ends)


class LeaveClient:
    """The leaves' workflows on one deployment's task queue."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client, self._task_queue = client, task_queue

    def _handle(self, leave_id: int) -> WorkflowHandle[LeaveWorkflow, LeaveProgress]:
        # Leave ids are a database's: the task queue tells two deployments' leaves apart.
        workflow_id = f"leave-{self._task_queue}-{leave_id}"
        return self._client.get_workflow_handle_for(LeaveWorkflow.run, workflow_id)

    async def start(self, inp: LeaveInput) -> bool:
        """Start the leave's workflow; False when it was started before."""
        try:
            await self._client.start_workflow(
                LeaveWorkflow.run,
                inp,
                id=self._handle(inp.leave_id).id,
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def settled(self, leave_id: int) -> LeaveProgress | None:
        """Wait until no takeover or hand-back is under way, for ``SETTLE_WAIT`` at most; None
        once the leave has ended, or when the wait ran out (its workflow goes on)."""
        try:
            async with asyncio.timeout(SETTLE_WAIT.total_seconds()):
                return await self._handle(leave_id).execute_update(LeaveWorkflow.settled)
        except (TimeoutError, RPCTimeoutOrCancelledError):
            log.warning("leave.still_busy", leave_id=leave_id)
            return None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None  # ended: its workflow is closed
            raise

    async def progress(self, leave_id: int) -> LeaveProgress | None:
        """Where the leave's workflow stands; None when there is none."""
        try:
            return await self._handle(leave_id).query(LeaveWorkflow.progress)
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return None
            raise

    async def end_early(self, leave: Leave, tz: ZoneInfo) -> None:
        """A is back early: hand back now, and return once that is done (safe to run again)."""
        handle = self._handle(leave.id)
        try:
            async with asyncio.timeout(SETTLE_WAIT.total_seconds()):
                await handle.execute_update(LeaveWorkflow.end, id="end")
            return
        except (TimeoutError, RPCTimeoutOrCancelledError):
            log.warning("leave.still_busy", leave_id=leave.id)  # it hands back all the same
            return
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
        # No workflow takes the update: it has ended already, or it never started.
        if await self.start(_input(leave, tz, back=True)):
            await self.settled(leave.id)

    async def resume(self, pool: asyncpg.Pool, tz: ZoneInfo) -> int:
        """Start the workflow of every leave not ended that has none (one registered while
        Temporal was down, or before leave ran as a workflow); how many were started."""
        started = 0
        for leave_id in await store.not_ended(pool):
            leave = await store.get_leave(pool, leave_id)
            if leave is not None and await self.start(_input(leave, tz)):
                started += 1
        if started:
            log.info("leave.resumed", leaves=started)
        return started


def _input(leave: Leave, tz: ZoneInfo, back: bool = False) -> LeaveInput:
    inp = leave_input(leave.id, leave.from_day, leave.to_day, tz)
    return replace(inp, back=back or leave.returned_on is not None)
