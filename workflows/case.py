"""The case workflow: one per case, the authority on its status, its events and its time.

Staff actions arrive as updates. Each has a validator that applies the
center's rules (``workflows.rules``) and rejects a forbidden action before
anything is recorded; the handler re-checks under a lock, because another
action may have been accepted while it waited. Every change is a domain event
with a ``seq``; a projector loop hands new events to an activity that writes
the read model, and a timer loop raises the warning and the breach on time.

The contract's core actions are here; the rest live in mixins named for what they
do: ``materials`` (one-time notice and supply), ``joint`` (departments' sign-off),
``center`` (the center's own rules) and ``supervision`` (alerts and recounts).
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workdays.deadline import Deadline
from workflows import rules
from workflows.actions import (
    Complete,
    Extend,
    Reassign,
    Resume,
    Return,
    StartReview,
    Suspend,
)
from workflows.center import REVIEW_PERIOD, CenterRules
from workflows.clocks import LEGAL
from workflows.events import (
    CaseCompleted,
    CaseReassigned,
    CaseReceived,
    CaseReturned,
    ClockPaused,
    DeadlineExtended,
    ReviewStarted,
)
from workflows.joint import JointSignoff
from workflows.materials import NOTICE_DAYS, Materials
from workflows.model import (
    Answer,
    CaseInput,
    CaseState,
    Event,
    Kind,
    Outcome,
    Pending,
    Review,
    Status,
)
from workflows.patches import (
    CLOCKS_PATCH,
    LEDGER_PATCH,
    LOCAL_INTAKE_PATCH,
    NOTICE_PATCH,
    REVIEW_PATCH,
    received_settled,
)
from workflows.record import Acting
from workflows.supervision import Supervision


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow(Materials, JointSignoff, CenterRules, Supervision):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        self._settled = received_settled()
        deadline: Deadline | None = None
        self._receiving_locally = self._patched(LOCAL_INTAKE_PATCH)
        if inp.service.kind is Kind.ORPHAN:
            pass  # no limit until the director assigns the matter
        elif self._patched(CLOCKS_PATCH):
            deadline = await self._recount()
            self._counted_version = deadline.calendar_version
        else:  # cases received before the legal limit was counted
            deadline = await self._deadline(self._state.received_at, inp.service.promised_days)
        if deadline is not None:
            self._set_deadline(deadline)
        if self._state.materials_missing and self._patched(NOTICE_PATCH):
            notice = await self._deadline(self._state.received_at, NOTICE_DAYS)
            self._state.notice_due_at = notice.due_at
        self._receiving_locally = False
        s = self._state
        self._emit(
            CaseReceived(
                service_code=inp.service.code,
                kind=inp.service.kind,
                window=inp.service.window,
                urgent=inp.urgent,
                materials=s.materials,
                materials_missing=s.materials_missing,
                promised_days=inp.service.promised_days,
                legal_days=inp.service.legal_days,
                due_at=s.due_at,
                legal_due_at=s.legal_due_at,
                provisional=s.provisional,
                clock_policy=inp.policy,
                notice_due_at=s.notice_due_at,
                first_receiver=inp.actor.staff_id,
                catalog_version=inp.service.version,
            ),
            inp.actor.staff_id,
        )
        self._ready = True
        await asyncio.gather(self._project_loop(), self._timer_loop(), self._notify_loop())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.update(name="intake")
    async def intake(self) -> Answer:
        """Answers once the case is received, its due date computed; records nothing."""
        await workflow.wait_condition(lambda: self._ready)
        return self._answer()

    @workflow.query(name="state")
    def state(self) -> CaseState:
        return self._state

    @workflow.query(name="events")
    def events(self) -> list[Event]:
        return self._events

    @workflow.query(name="projection_lag")
    def projection_lag(self) -> int:
        """Events decided that the projector has not written yet (an action's caller, handed
        them in its answer, may have)."""
        return len(self._events) - self._projected

    @workflow.query(name="pending")
    def pending(self) -> Pending:
        """For the sandbox clock: is anything due by now still to be raised or projected?"""
        upcoming = None if self._finished() else self._next_timer()
        return Pending(
            projection_lag=len(self._events) - self._projected,
            next_threshold_at=upcoming[1] if upcoming else None,
            closed=self._finished(),
        )

    # -- staff actions -----------------------------------------------------

    @workflow.update(name="start-review")
    async def start_review(self, a: StartReview) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_start(a)) as act:
            if not act:
                return self._answer()
            self._state.status = Status.UNDER_REVIEW
            self._emit_by(a.meta, ReviewStarted())
        return self._answer()

    @start_review.validator
    def _v_start(self, a: StartReview) -> None:
        self._precheck("start-review", a.meta)

    @workflow.update(name="complete")
    async def complete(self, a: Complete) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_complete(a)) as act:
            if not act:
                return self._answer()
            done = CaseCompleted(self._on_time(), a.outcome, a.note, self._legal_on_time())
            self._close(a.meta, a.outcome, done)
        return self._answer()

    @complete.validator
    def _v_complete(self, a: Complete) -> None:
        if self._precheck("complete", a.meta):
            rules.check_completion(a, self._state)

    @workflow.update(name="return")
    async def return_case(self, a: Return) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_return(a)) as act:
            if not act:
                return self._answer()
            self._deprecate(REVIEW_PATCH)
            s, now = self._state, workflow.now()
            s.review = Review(until=now + REVIEW_PERIOD)
            self._review_open = True
            returned = CaseReturned(
                on_time=self._on_time(),
                reason=a.reason,
                late_return=s.return_by is not None and now > s.return_by,
                review_days=REVIEW_PERIOD.days,
                review_until=s.review.until,
                legal_on_time=self._legal_on_time(),
            )
            self._close(a.meta, Outcome.RETURNED, returned)
        return self._answer()

    @return_case.validator
    def _v_return(self, a: Return) -> None:
        if self._precheck("return", a.meta):
            rules.written_reason(a.reason, "returning a case")

    @workflow.update(name="reassign")
    async def reassign(self, a: Reassign) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_reassign(a)) as act:
            if not act:
                return self._answer()
            before = self._state.assignee
            self._state.assignee = a.to_staff
            if a.to_window is not None:
                self._state.window = a.to_window
            self._emit_by(
                a.meta, CaseReassigned(before, a.to_staff, self._state.window, a.kind, a.reason)
            )
        return self._answer()

    @reassign.validator
    def _v_reassign(self, a: Reassign) -> None:
        if self._precheck("reassign", a.meta):
            rules.check_reassignment(a, self._state, self._events)

    @workflow.update(name="extend")
    async def extend(self, a: Extend) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_extend(a)) as act:
            if not act:
                return self._answer()
            if a.clock == LEGAL:
                before = self._state.legal_due_at
                self._legal_extended_days += a.days
                self._state.legal_extended = True
                self._set_deadline(await self._recount())
                after = self._state.legal_due_at
            else:
                before = self._state.due_at
                assert before is not None
                if self._patched(LEDGER_PATCH):
                    self._extended_days += a.days
                    self._set_deadline(await self._recount())
                else:  # cases received before the limit's record was kept
                    self._set_deadline(await self._deadline(before, a.days))
                after = self._state.due_at
            self._emit_by(a.meta, DeadlineExtended(a.clock, a.days, a.reason, before, after))
        return self._answer()

    @extend.validator
    def _v_extend(self, a: Extend) -> None:
        if self._precheck("extend", a.meta):
            rules.check_extension(a, self._state)

    @workflow.update(name="suspend")
    async def suspend(self, a: Suspend) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_suspend(a)) as act:
            if not act:
                return self._answer()
            self._state.suspended = True
            self._pause(a.meta, ClockPaused("suspended", a.reason, a.expected_days))
        return self._answer()

    @suspend.validator
    def _v_suspend(self, a: Suspend) -> None:
        if self._precheck("suspend", a.meta):
            rules.check_suspension(a)

    @workflow.update(name="resume")
    async def resume(self, a: Resume) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_resume(a)) as act:
            if not act:
                return self._answer()
            self._state.suspended = False
            await self._resume(a.meta)
        return self._answer()

    @resume.validator
    def _v_resume(self, a: Resume) -> None:
        self._precheck("resume", a.meta)
