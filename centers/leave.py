"""Staff leave and the AB post (AB岗): the B post takes over the absent A post's open cases.

When a leave starts (at registration if its first day has come, else when the
day comes), each open case assigned to A gets one ``reassign`` update of kind
``takeover`` to the window's B post. When A is back (the last day passed, or
the window head ends the leave early), each case still with B goes back to A
with a ``handback``; the workflow refuses it when B has acted on the case since
the takeover, and the case stays with B (kept). Closed cases are skipped.

Every update has a deterministic id and idempotency key per (leave, case), so
a retried start or end adds no event. "Now" is a clock passed in: the system
clock in production, the time-skipping server's clock in the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from projections import leave as store
from projections.center import Directory, StaffMember
from projections.db import Conn, LazyPool
from projections.leave import Leave
from workflows.actions import ActionMeta, Reassign
from workflows.model import CaseState, Event, Role, Status

log = structlog.get_logger(__name__)

Clock = Callable[[], Awaitable[datetime]]

PARALLEL = 8
KEEPER_INTERVAL_SECONDS = 60.0
_LOCK_SPACE = 0x6C656176  # "leav": one advisory lock per leave, so starts and ends never overlap
_HASH = "ab-post"


async def system_clock() -> datetime:
    return datetime.now(UTC)


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


def takeover_reason(leave: Leave) -> str:
    return f"AB岗顶岗：{leave.staff_name} 请假 {leave.from_day}–{leave.to_day}"


def handback_reason(leave: Leave) -> str:
    return f"AB岗交回：{leave.staff_name} 返岗"


class LeaveKeeper:
    """Starts and ends leaves: the takeovers and the hand-backs, each exactly once per case."""

    def __init__(
        self,
        client: Client,
        pool: asyncpg.Pool,
        tz: ZoneInfo,
        now: Clock,
        shown: Callable[[str, int], Awaitable[object]] | None = None,
    ) -> None:
        """``shown(case_id, seq)``, when given, waits until the read model holds a reassignment
        (the API's read-your-writes) before the next step."""
        self._client, self._pool, self._tz, self._now = client, pool, tz, now
        self._shown = shown

    async def today(self) -> date:
        return (await self._now()).astimezone(self._tz).date()

    async def record(
        self,
        conn: Conn,
        directory: Directory,
        staff_id: str,
        first: date,
        last: date,
        reason: str,
        by: StaffMember,
    ) -> int:
        """Record the leave on ``conn`` (in the caller's transaction); its id. ``start`` it once
        that is committed."""
        absent, cover = cover_for(directory, staff_id)
        check_dates(first, last, await self.today())
        clash = await store.overlapping(conn, staff_id, first, last)
        if clash is not None:
            raise LeaveRefused(f"{staff_id} is already on leave {clash} during those days")
        leave_id = await store.insert_leave(
            conn,
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

    async def run_due(self) -> None:
        """Start every leave whose first day has come, end every leave whose A is back."""
        today = await self.today()
        for leave_id in await store.due_to_end(self._pool, today):
            await self.end(leave_id)
        for leave_id in await store.due_to_start(self._pool, today):
            await self.start(leave_id)

    async def start(self, leave_id: int) -> Leave | None:
        async with self._locked(leave_id):
            leave = await store.get_leave(self._pool, leave_id)
            today = await self.today()
            if leave is None or leave.started_at is not None or leave.ends_by(today):
                return leave
            if leave.from_day > today:
                return leave
            unknown = [t.case_id for t in leave.takeovers if t.takeover_seq is None]
            assigned = await store.open_cases_of(self._pool, leave.staff_id)
            cases = list(dict.fromkeys([*unknown, *assigned]))
            await self._each(cases, lambda case_id: self._take_over(leave, case_id))
            await store.mark_started(self._pool, leave_id, await self._now())
            log.info("leave.started", leave_id=leave_id, staff_id=leave.staff_id, cases=len(cases))
            return await store.get_leave(self._pool, leave_id)

    async def end(self, leave_id: int) -> Leave | None:
        async with self._locked(leave_id):
            leave = await store.get_leave(self._pool, leave_id)
            if leave is None or leave.ended_at is not None or not leave.ends_by(await self.today()):
                return leave
            held = [t for t in leave.takeovers if t.outcome is None]
            for t in held:
                if t.takeover_seq is None:  # interrupted after the update was sent
                    await self._take_over(leave, t.case_id)
            leave = await store.get_leave(self._pool, leave_id)
            assert leave is not None
            seqs = {t.case_id: t.takeover_seq for t in leave.takeovers if t.outcome is None}
            await self._each(seqs, lambda case_id: self._hand_back(leave, case_id, seqs[case_id]))
            await store.mark_ended(self._pool, leave_id, await self._now())
            log.info("leave.ended", leave_id=leave_id, staff_id=leave.staff_id, cases=len(seqs))
            return await store.get_leave(self._pool, leave_id)

    @contextlib.asynccontextmanager
    async def _locked(self, leave_id: int) -> AsyncIterator[None]:
        async with self._pool.acquire() as conn:
            await conn.execute("select pg_advisory_lock($1, $2::int)", _LOCK_SPACE, leave_id)
            try:
                yield
            finally:
                await conn.execute("select pg_advisory_unlock($1, $2::int)", _LOCK_SPACE, leave_id)

    @staticmethod
    async def _each(case_ids: Iterable[str], step: Callable[[str], Awaitable[None]]) -> None:
        gate = asyncio.Semaphore(PARALLEL)

        async def one(case_id: str) -> None:
            async with gate:
                await step(case_id)

        await asyncio.gather(*(one(c) for c in case_ids))

    async def _reassign(
        self, handle: WorkflowHandle[Any, Any], update_id: str, a: Reassign
    ) -> CaseState:
        state: CaseState = await handle.execute_update(
            "reassign", a, id=update_id, result_type=CaseState
        )
        if self._shown is not None:
            await self._shown(handle.id, state.last_seq)
        return state

    async def _take_over(self, leave: Leave, case_id: str) -> None:
        log_ = log.bind(leave_id=leave.id, case_id=case_id)
        await store.add_takeover(self._pool, leave.id, case_id)
        handle = self._client.get_workflow_handle(case_id)
        update_id = f"leave:{leave.id}:takeover:{case_id}"
        a = Reassign(
            ActionMeta(leave.registrar, update_id, _HASH),
            leave.cover_staff,
            leave.window,
            takeover_reason(leave),
            kind="takeover",
        )
        try:
            await self._reassign(handle, update_id, a)
        except WorkflowUpdateFailedError as err:
            await self._settle(leave, case_id, "not_taken", _message(err))
            log_.warning("leave.takeover_refused", reason=_message(err))
            return
        except RPCError as err:
            closed = await self._closed(handle, err)
            await self._settle(leave, case_id, "closed", closed)
            return
        seq = await _last_reassignment(handle, "takeover", leave.cover_staff)
        if seq is not None:
            await store.record_takeover_seq(self._pool, leave.id, case_id, seq)
        log_.info("leave.case_taken_over", seq=seq, to_staff=leave.cover_staff)

    async def _hand_back(self, leave: Leave, case_id: str, since_seq: int | None) -> None:
        handle = self._client.get_workflow_handle(case_id)
        try:
            state: CaseState = await handle.query("state", result_type=CaseState)
        except RPCError as err:
            await self._settle(leave, case_id, "closed", await self._closed(handle, err))
            return
        if state.status is Status.COMPLETED:
            await self._settle(leave, case_id, "closed", "the case was completed meanwhile")
            return
        if since_seq is None or state.assignee not in (leave.cover_staff, leave.staff_id):
            await self._settle(leave, case_id, "moved", f"reassigned to {state.assignee} meanwhile")
            return
        update_id = f"leave:{leave.id}:handback:{case_id}"
        a = Reassign(
            ActionMeta(leave.registrar, update_id, _HASH),
            leave.staff_id,
            leave.window,
            handback_reason(leave),
            kind="handback",
            since_seq=since_seq,
        )
        try:
            await self._reassign(handle, update_id, a)
        except WorkflowUpdateFailedError as err:
            kept = _code(err) == "invalid_transition" and state.assignee == leave.cover_staff
            await self._settle(leave, case_id, "kept" if kept else "moved", _message(err))
            return
        except RPCError as err:
            await self._settle(leave, case_id, "closed", await self._closed(handle, err))
            return
        seq = await _last_reassignment(handle, "handback", leave.staff_id)
        await self._settle(leave, case_id, "handed_back", handback_reason(leave), seq)
        log.info("leave.case_handed_back", leave_id=leave.id, case_id=case_id, seq=seq)

    async def _settle(
        self, leave: Leave, case_id: str, outcome: str, why: str, seq: int | None = None
    ) -> None:
        await store.settle_takeover(
            self._pool, leave.id, case_id, outcome, why, await self._now(), seq
        )

    @staticmethod
    async def _closed(handle: WorkflowHandle[Any, Any], err: RPCError) -> str:
        """Why an update found no running workflow; re-raises when the case is still open."""
        try:
            state: CaseState = await handle.query("state", result_type=CaseState)
        except RPCError as missing:
            if missing.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return "the case's workflow was not found"
            raise
        if state.status is Status.COMPLETED:
            return "the case was completed meanwhile"
        raise err


def _code(err: WorkflowUpdateFailedError) -> str | None:
    return err.cause.type if isinstance(err.cause, ApplicationError) else None


def _message(err: WorkflowUpdateFailedError) -> str:
    return err.cause.message if isinstance(err.cause, ApplicationError) else str(err)


async def _last_reassignment(
    handle: WorkflowHandle[Any, Any], kind: str, to_staff: str
) -> int | None:
    """The seq of the case's latest ``case.reassigned`` of this kind to this staff member."""
    events: list[Event] = await handle.query("events", result_type=list[Event])
    found = [
        e.seq
        for e in events
        if e.type == "case.reassigned"
        and e.data.get("kind") == kind
        and e.data.get("to_staff") == to_staff
    ]
    return found[-1] if found else None


async def run_leave_keeper(
    client: Client,
    db: LazyPool,
    tz: ZoneInfo,
    now: Clock = system_clock,
    interval: float = KEEPER_INTERVAL_SECONDS,
) -> None:
    """Start and end leaves on their days, every ``interval`` seconds until cancelled."""
    while True:
        try:
            await LeaveKeeper(client, await db.get(), tz, now).run_due()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RPCError) as err:
            log.warning("leave.round_failed", error=type(err).__name__)
        except Exception:  # a background loop: the next round may succeed
            log.exception("leave.round_failed")
        await asyncio.sleep(interval)
