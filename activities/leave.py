"""The leave workflow's side effects: reading the leave and its cases, and each reassignment.

A takeover is one ``reassign`` update of kind ``takeover`` to the B post; a
hand-back one of kind ``handback`` to A, which the case workflow refuses when B
has acted on the case since the takeover (the case stays with B: ``kept``).
Each update's id and idempotency key are derived from the leave and the case,
so an activity retried after its update went through adds no event. What
became of each case is written to ``leave_takeovers``.
"""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from projections import leave as store
from projections.cases import try_write_answer
from projections.centers import has_bare_ids
from projections.db import LazyPool
from projections.leave import Leave
from workflows.actions import ActionMeta, Reassign
from workflows.case import CaseWorkflow
from workflows.client import ActionRejected, CaseClient, CaseClosed, CaseNotFound
from workflows.event_log import parse
from workflows.events import CaseReassigned
from workflows.leave import HandBack, HeldCase, LeaveCase, LeaveMark
from workflows.model import Status

log = structlog.get_logger(__name__)

_HASH = "ab-post"


def takeover_reason(leave: Leave) -> str:
    return f"AB岗顶岗：{leave.staff_name} 请假 {leave.from_day}–{leave.to_day}"


def handback_reason(leave: Leave) -> str:
    return f"AB岗交回：{leave.staff_name} 返岗"


def _closed_why(err: CaseClosed | CaseNotFound) -> str:
    if isinstance(err, CaseNotFound):
        return "the case's workflow was not found"
    return "the case was completed meanwhile"


class LeaveActivities:
    def __init__(self, db: LazyPool) -> None:
        self._db = db

    async def _leave(self, leave_id: int) -> Leave:
        leave = await store.get_leave(await self._db.get(), leave_id)
        if leave is None:  # nothing to take over or hand back, now or on a retry
            raise ApplicationError(f"leave {leave_id} is not recorded", non_retryable=True)
        return leave

    async def _cases(self, leave: Leave) -> CaseClient:
        """The cases of the leave's center."""
        bare = await has_bare_ids(await self._db.get(), leave.center)
        return CaseClient(activity.client(), leave.center, bare_ids=bare)

    @activity.defn(name="leave_cases")
    async def leave_cases(self, leave_id: int) -> list[str]:
        """The cases to take over: A's open cases, and any whose takeover was begun."""
        leave = await self._leave(leave_id)
        begun = [t.case_id for t in leave.takeovers if t.takeover_seq is None and t.outcome is None]
        assigned = await store.open_cases_of(await self._db.get(), leave.center, leave.staff_id)
        return list(dict.fromkeys([*begun, *assigned]))

    @activity.defn(name="take_over_case")
    async def take_over_case(self, c: LeaveCase) -> None:
        leave, pool = await self._leave(c.leave_id), await self._db.get()
        log_ = log.bind(leave_id=leave.id, case_id=c.case_id)
        await store.add_takeover(pool, leave.id, c.case_id)
        update_id = f"leave:{leave.id}:takeover:{c.case_id}"
        action = Reassign(
            ActionMeta(leave.registrar, update_id, _HASH),
            leave.cover_staff,
            leave.window,
            takeover_reason(leave),
            kind="takeover",
        )
        cases = await self._cases(leave)
        try:
            answer = await cases.act(c.case_id, CaseWorkflow.reassign, action, update_id=update_id)
        except ActionRejected as err:
            await store.settle_takeover(pool, leave.id, c.case_id, "not_taken", err.message, c.at)
            log_.warning("leave.takeover_refused", code=err.code)
            return
        except (CaseClosed, CaseNotFound) as err:
            await store.settle_takeover(pool, leave.id, c.case_id, "closed", _closed_why(err), c.at)
            return
        # The leave's answer waits for its moves to be readable: written here, not 2 s on.
        await try_write_answer(pool, answer)
        seq = await _last_reassignment(cases, c.case_id, "takeover", leave.cover_staff)
        if seq is not None:
            await store.record_takeover_seq(pool, leave.id, c.case_id, seq)
        log_.info("leave.case_taken_over", seq=seq, to_staff=leave.cover_staff)

    @activity.defn(name="mark_leave_started")
    async def mark_leave_started(self, m: LeaveMark) -> None:
        await store.mark_started(await self._db.get(), m.leave_id, m.at)
        log.info("leave.started", leave_id=m.leave_id)

    @activity.defn(name="held_cases")
    async def held_cases(self, leave_id: int) -> list[HeldCase]:
        """The cases the B post holds for the leave: those to hand back."""
        leave = await self._leave(leave_id)
        return [HeldCase(t.case_id, t.takeover_seq) for t in leave.takeovers if t.outcome is None]

    @activity.defn(name="hand_back_case")
    async def hand_back_case(self, h: HandBack) -> None:
        leave, pool = await self._leave(h.leave_id), await self._db.get()
        cases = await self._cases(leave)

        async def settle(outcome: str, why: str, seq: int | None = None) -> None:
            await store.settle_takeover(pool, leave.id, h.case_id, outcome, why, h.at, seq)

        since = h.since_seq
        if since is None:  # the takeover went through, its seq was not recorded
            since = await _last_reassignment(cases, h.case_id, "takeover", leave.cover_staff)
        try:
            state = await cases.state(h.case_id)
        except CaseNotFound as err:
            await settle("closed", _closed_why(err))
            return
        if state.status is Status.COMPLETED:
            await settle("closed", "the case was completed meanwhile")
            return
        if since is None or state.assignee not in (leave.cover_staff, leave.staff_id):
            await settle("moved", f"reassigned to {state.assignee} meanwhile")
            return
        update_id = f"leave:{leave.id}:handback:{h.case_id}"
        action = Reassign(
            ActionMeta(leave.registrar, update_id, _HASH),
            leave.staff_id,
            leave.window,
            handback_reason(leave),
            kind="handback",
            since_seq=since,
        )
        try:
            answer = await cases.act(h.case_id, CaseWorkflow.reassign, action, update_id=update_id)
        except ActionRejected as err:
            kept = err.code == "invalid_transition" and state.assignee == leave.cover_staff
            await settle("kept" if kept else "moved", err.message)
            return
        except (CaseClosed, CaseNotFound) as err:
            await settle("closed", _closed_why(err))
            return
        await try_write_answer(pool, answer)
        seq = await _last_reassignment(cases, h.case_id, "handback", leave.staff_id)
        await settle("handed_back", handback_reason(leave), seq)
        log.info("leave.case_handed_back", leave_id=leave.id, case_id=h.case_id, seq=seq)

    @activity.defn(name="mark_leave_ended")
    async def mark_leave_ended(self, m: LeaveMark) -> None:
        await store.mark_ended(await self._db.get(), m.leave_id, m.at)
        log.info("leave.ended", leave_id=m.leave_id)


async def _last_reassignment(
    cases: CaseClient, case_id: str, kind: str, to_staff: str
) -> int | None:
    """The seq of the case's latest ``case.reassigned`` of this kind to this staff member."""
    try:
        events = await cases.events(case_id)
    except CaseNotFound:
        return None
    found = [
        e.seq
        for e in events
        if isinstance(r := parse(e), CaseReassigned) and (r.kind, r.to_staff) == (kind, to_staff)
    ]
    return found[-1] if found else None
