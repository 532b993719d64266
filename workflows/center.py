"""The center's own rules on top of the case's record: withdrawal, urgent cases, orphan
matters, upward cases, and the review of a return.

Each is a staff action like those in ``workflows.case``: an update whose validator
applies the rule (``workflows.rules``) and records nothing when it refuses.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows import rules
from workflows.actions import (
    Assign,
    Chase,
    DecideReview,
    DesignateUrgent,
    Forward,
    RecordDecision,
    RequestReview,
    Withdraw,
)
from workflows.loops import CaseLoops
from workflows.model import CaseState, ClockSpec, ClocksRequest, Deadline, Outcome, Status, Upward
from workflows.record import COMPUTE_TIMEOUT, UPWARD, Acting, iso

# How long an applicant has to ask the director to review a return (calendar days).
REVIEW_PERIOD = timedelta(days=15)


class CenterRules(CaseLoops):
    @workflow.update(name="withdraw")
    async def withdraw(self, a: Withdraw) -> CaseState:
        """The applicant withdraws (through staff): the case closes with its reason."""
        async with Acting(self, a.meta, lambda: self._v_withdraw(a)) as act:
            if act:
                self._close(a.meta, Outcome.WITHDRAWN, "case.withdrawn", reason=a.reason)
        return self._state

    @withdraw.validator
    def _v_withdraw(self, a: Withdraw) -> None:
        if self._precheck("withdraw", a.meta):
            rules.written_reason(a.reason, "a withdrawal")

    @workflow.update(name="designate-urgent")
    async def designate_urgent(self, a: DesignateUrgent) -> CaseState:
        """急办件: warned earlier, escalated sooner, first in every list."""
        async with Acting(self, a.meta, lambda: self._v_urgent(a)) as act:
            if not act:
                return self._state
            self._state.urgent = True
            if self._state.due_at is not None and not self._state.paused:
                self._set_deadline(await self._recount())
            self._emit_by(
                a.meta,
                "case.urgent",
                reason=a.reason,
                warn_days=self._policy().warn_days,
                due_at=iso(self._state.due_at),
                warn_at=iso(self._state.warn_at),
            )
        return self._state

    @designate_urgent.validator
    def _v_urgent(self, a: DesignateUrgent) -> None:
        if self._precheck("designate-urgent", a.meta):
            rules.check_urgent(a, self._state)

    @workflow.update(name="assign")
    async def assign(self, a: Assign) -> CaseState:
        """不管件: the director gives the matter a window, a clerk and a limit."""
        async with Acting(self, a.meta, lambda: self._v_assign(a)) as act:
            if not act:
                return self._state
            s = self._state
            before = s.assignee
            s.window, s.assignee = a.to_window, a.to_staff
            # The limit the director sets runs from the assignment.
            self._promised_days, self._start = a.days, workflow.now()
            self._set_deadline(await self._recount())
            self._emit_by(
                a.meta,
                "case.assigned",
                from_staff=before,
                to_staff=a.to_staff,
                window=a.to_window,
                days=a.days,
                reason=a.reason,
                due_at=iso(s.due_at),
            )
        return self._state

    @assign.validator
    def _v_assign(self, a: Assign) -> None:
        if self._precheck("assign", a.meta):
            rules.check_assignment(a, self._state)

    @workflow.update(name="forward")
    async def forward(self, a: Forward) -> CaseState:
        """上报件: carried to the higher authority, which has its own limit."""
        async with Acting(self, a.meta, lambda: self._v_forward(a)) as act:
            if not act:
                return self._state
            now = workflow.now()
            counted: list[Deadline] = await workflow.execute_activity(
                "compute_clocks",
                ClocksRequest(now, [ClockSpec(UPWARD, a.days, 0)], self._inp.calendar),
                result_type=list[Deadline],
                start_to_close_timeout=COMPUTE_TIMEOUT,
            )
            self._state.upward = Upward(a.authority, a.reference, now, counted[0].due_at)
            self._timers_changed = True
            self._emit_by(
                a.meta,
                "case.forwarded",
                authority=a.authority,
                reference=a.reference,
                days=a.days,
                due_at=iso(counted[0].due_at),
            )
        return self._state

    @forward.validator
    def _v_forward(self, a: Forward) -> None:
        if self._precheck("forward", a.meta):
            rules.check_forward(a, self._state)

    @workflow.update(name="chase")
    async def chase(self, a: Chase) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_chase(a)) as act:
            if act:
                assert self._state.upward is not None
                self._state.upward.chased += 1
                self._emit_by(a.meta, "case.chased", note=a.note, times=self._state.upward.chased)
        return self._state

    @chase.validator
    def _v_chase(self, a: Chase) -> None:
        if self._precheck("chase", a.meta):
            rules.check_chase(a, self._state)

    @workflow.update(name="record-decision")
    async def record_decision(self, a: RecordDecision) -> CaseState:
        """The higher authority decided: its clock stops; the lead window completes the case."""
        async with Acting(self, a.meta, lambda: self._v_decision(a)) as act:
            if not act:
                return self._state
            up = self._state.upward
            assert up is not None
            up.decision, up.decided_at = a.decision, workflow.now()
            self._timers_changed = True
            self._emit_by(
                a.meta,
                "upward.decided",
                decision=a.decision,
                reference=a.reference,
                note=a.note,
                on_time=up.due_at is None or workflow.now() <= up.due_at,
            )
        return self._state

    @record_decision.validator
    def _v_decision(self, a: RecordDecision) -> None:
        if self._precheck("record-decision", a.meta):
            rules.check_decision(a, self._state)

    @workflow.update(name="request-review")
    async def request_review(self, a: RequestReview) -> CaseState:
        """The applicant asks the director to review a return, within its period."""
        async with Acting(self, a.meta, lambda: self._v_review(a)) as act:
            if not act:
                return self._state
            review = self._state.review
            assert review is not None
            review.requested_at, review.reason = workflow.now(), a.reason
            self._timers_changed = True
            self._emit_by(a.meta, "return.review_requested", reason=a.reason)
        return self._state

    @request_review.validator
    def _v_review(self, a: RequestReview) -> None:
        if self._precheck("request-review", a.meta):
            rules.check_review_request(a, self._state)
            assert self._state.review is not None
            if workflow.now() > self._state.review.until:
                raise rules.invalid_transition(
                    "request-review", self._state, "the review period has ended"
                )

    @workflow.update(name="decide-review")
    async def decide_review(self, a: DecideReview) -> CaseState:
        """The director confirms the return, or reopens the case; its history stays."""
        async with Acting(self, a.meta, lambda: self._v_decide(a)) as act:
            if not act:
                return self._state
            s = self._state
            assert s.review is not None
            s.review.decision, s.review.decided_at = a.decision, workflow.now()
            self._review_open = False
            if a.decision == "confirm":
                self._emit_by(a.meta, "return.confirmed", note=a.note)
            else:
                s.status, s.outcome, s.completed_at = Status.UNDER_REVIEW, None, None
                self._timers_changed = True
                self._emit_by(a.meta, "case.reopened", note=a.note, due_at=iso(s.due_at))
        return self._state

    @decide_review.validator
    def _v_decide(self, a: DecideReview) -> None:
        if self._precheck("decide-review", a.meta):
            rules.check_review_decision(a, self._state)
