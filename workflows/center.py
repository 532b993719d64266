"""The center's own rules on top of the case's record: withdrawal, urgent cases, orphan
matters, upward cases, and the review of a return.

Each is a staff action like those in ``workflows.case``: an update whose validator
applies the rule (its check at the end of this module, after ``workflows.rules``
authorizes the actor) and records nothing when it refuses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from workdays.deadline import Deadline, Pause
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
from workflows.clocks import COMPUTE_TIMEOUT, UPWARD
from workflows.counting import ClockSpec, ClocksRequest
from workflows.events import (
    CaseAssigned,
    CaseChased,
    CaseForwarded,
    CaseReopened,
    CaseUrgent,
    CaseWithdrawn,
    ReturnConfirmed,
    ReturnReviewRequested,
    UpwardDecided,
)
from workflows.loops import CaseLoops
from workflows.model import Answer, CaseState, Kind, Outcome, Status, Upward
from workflows.patches import REOPEN_PATCH
from workflows.record import Acting
from workflows.rules import invalid_transition, validation_error, written_reason

# How long an applicant has to ask the director to review a return (calendar days).
REVIEW_PERIOD = timedelta(days=15)


class CenterRules(CaseLoops):
    @workflow.update(name="withdraw")
    async def withdraw(self, a: Withdraw) -> Answer:
        """The applicant withdraws (through staff): the case closes with its reason."""
        async with Acting(self, a.meta, lambda: self._v_withdraw(a)) as act:
            if act:
                withdrawn = CaseWithdrawn(self._on_time(), a.reason, self._legal_on_time())
                self._close(a.meta, Outcome.WITHDRAWN, withdrawn)
        return self._answer()

    @withdraw.validator
    def _v_withdraw(self, a: Withdraw) -> None:
        if self._precheck("withdraw", a.meta):
            written_reason(a.reason, "a withdrawal")

    @workflow.update(name="designate-urgent")
    async def designate_urgent(self, a: DesignateUrgent) -> Answer:
        """急办件: warned earlier, escalated sooner, first in every list."""
        async with Acting(self, a.meta, lambda: self._v_urgent(a)) as act:
            if not act:
                return self._answer()
            self._state.urgent = True
            if self._state.due_at is not None and not self._state.paused:
                self._set_deadline(await self._recount())
            s = self._state
            self._emit_by(
                a.meta, CaseUrgent(a.reason, self._policy().warn_days, s.due_at, s.warn_at)
            )
        return self._answer()

    @designate_urgent.validator
    def _v_urgent(self, a: DesignateUrgent) -> None:
        if self._precheck("designate-urgent", a.meta):
            check_urgent(a, self._state)

    @workflow.update(name="assign")
    async def assign(self, a: Assign) -> Answer:
        """不管件: the director gives the matter a window, a clerk and a limit."""
        async with Acting(self, a.meta, lambda: self._v_assign(a)) as act:
            if not act:
                return self._answer()
            s = self._state
            before = s.assignee
            s.window, s.assignee = a.to_window, a.to_staff
            # The limit the director sets runs from the assignment.
            self._promised_days, self._start = a.days, workflow.now()
            self._set_deadline(await self._recount())
            self._emit_by(
                a.meta, CaseAssigned(before, a.to_staff, a.to_window, a.days, a.reason, s.due_at)
            )
        return self._answer()

    @assign.validator
    def _v_assign(self, a: Assign) -> None:
        if self._precheck("assign", a.meta):
            check_assignment(a, self._state)

    @workflow.update(name="forward")
    async def forward(self, a: Forward) -> Answer:
        """上报件: carried to the higher authority, which has its own limit."""
        async with Acting(self, a.meta, lambda: self._v_forward(a)) as act:
            if not act:
                return self._answer()
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
                a.meta, CaseForwarded(a.authority, a.reference, a.days, counted[0].due_at)
            )
        return self._answer()

    @forward.validator
    def _v_forward(self, a: Forward) -> None:
        if self._precheck("forward", a.meta):
            check_forward(a, self._state)

    @workflow.update(name="chase")
    async def chase(self, a: Chase) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_chase(a)) as act:
            if act:
                assert self._state.upward is not None
                self._state.upward.chased += 1
                self._emit_by(a.meta, CaseChased(a.note, self._state.upward.chased))
        return self._answer()

    @chase.validator
    def _v_chase(self, a: Chase) -> None:
        if self._precheck("chase", a.meta):
            check_chase(a, self._state)

    @workflow.update(name="record-decision")
    async def record_decision(self, a: RecordDecision) -> Answer:
        """The higher authority decided: its clock stops; the lead window completes the case."""
        async with Acting(self, a.meta, lambda: self._v_decision(a)) as act:
            if not act:
                return self._answer()
            up = self._state.upward
            assert up is not None
            up.decision, up.decided_at = a.decision, workflow.now()
            self._timers_changed = True
            on_time = up.due_at is None or workflow.now() <= up.due_at
            self._emit_by(a.meta, UpwardDecided(a.decision, a.reference, a.note, on_time))
        return self._answer()

    @record_decision.validator
    def _v_decision(self, a: RecordDecision) -> None:
        if self._precheck("record-decision", a.meta):
            check_decision(a, self._state)

    @workflow.update(name="request-review")
    async def request_review(self, a: RequestReview) -> Answer:
        """The applicant asks the director to review a return, within its period."""
        async with Acting(self, a.meta, lambda: self._v_review(a)) as act:
            if not act:
                return self._answer()
            review = self._state.review
            assert review is not None
            review.requested_at, review.reason = workflow.now(), a.reason
            self._timers_changed = True
            self._emit_by(a.meta, ReturnReviewRequested(a.reason))
        return self._answer()

    @request_review.validator
    def _v_review(self, a: RequestReview) -> None:
        if self._precheck("request-review", a.meta):
            check_review_request(a, self._state)
            assert self._state.review is not None
            if workflow.now() > self._state.review.until:
                raise invalid_transition(
                    "request-review", self._state, "the review period has ended"
                )

    @workflow.update(name="decide-review")
    async def decide_review(self, a: DecideReview) -> Answer:
        """The director confirms the return, or reopens the case; its history stays."""
        async with Acting(self, a.meta, lambda: self._v_decide(a)) as act:
            if not act:
                return self._answer()
            s = self._state
            assert s.review is not None
            s.review.decision, s.review.decided_at = a.decision, workflow.now()
            paused: dict[str, Any] = {}
            reopen = a.decision == "reopen"
            if reopen and s.completed_at is not None and self._patched(REOPEN_PATCH):
                # Counted while the case stands closed with its review open: no timer fires
                # and the workflow does not end meanwhile.
                paused = await self._not_counted_since(s.completed_at)
            self._review_open = False
            if not reopen:
                self._emit_by(a.meta, ReturnConfirmed(a.note))
            else:
                s.status, s.outcome, s.completed_at = Status.UNDER_REVIEW, None, None
                self._timers_changed = True
                self._emit_by(a.meta, CaseReopened(a.note, s.due_at, **paused))
        return self._answer()

    async def _not_counted_since(self, returned_at: datetime) -> dict[str, Any]:
        """The time the case stood returned is not counted against the limits it reopens
        under: it is a pause from the return to now. What the reopening event records."""
        if self._state.due_at is None:
            return {}
        paused_from = min(returned_at, self._paused_since or returned_at)
        self._paused_since = None
        self._pauses.append(Pause(paused_from, workflow.now()))
        before = self._paused_seconds
        self._set_deadline(await self._recount())
        return {
            "paused_from": paused_from,
            "paused_office_seconds": self._paused_seconds - before,
            "legal_due_at": self._state.legal_due_at,
        }

    @decide_review.validator
    def _v_decide(self, a: DecideReview) -> None:
        if self._precheck("decide-review", a.meta):
            check_review_decision(a, self._state)


# -- the checks of the rules above, after authorization and the transition check --


def check_urgent(a: DesignateUrgent, state: CaseState) -> None:
    written_reason(a.reason, "designating an urgent case")
    if state.urgent:
        raise invalid_transition("designate-urgent", state, "the case is already urgent")


def check_assignment(a: Assign, state: CaseState) -> None:
    if state.kind is not Kind.ORPHAN:
        raise invalid_transition("assign", state, "only an orphan matter (不管件) is assigned")
    if state.due_at is not None:
        raise invalid_transition("assign", state, "the matter was already assigned")
    written_reason(a.reason, "assigning an orphan matter")
    if not 1 <= a.days <= 60:
        raise validation_error("an orphan matter's limit is 1 to 60 working days")


def check_forward(a: Forward, state: CaseState) -> None:
    if state.kind is not Kind.UPWARD:
        raise invalid_transition("forward", state, "only an upward case is forwarded")
    if state.upward is not None:
        raise invalid_transition("forward", state, "the case was already forwarded")
    if not a.authority.strip() or not a.reference.strip():
        raise validation_error("forwarding names the higher authority and its reference")
    if not 1 <= a.days <= 120:
        raise validation_error("the higher authority's limit is 1 to 120 working days")


def _forwarded_pending(action: str, state: CaseState) -> None:
    if state.upward is None:
        raise invalid_transition(action, state, "the case has not been forwarded")
    if state.upward.decision is not None:
        raise invalid_transition(action, state, "the higher authority has already decided")


def check_chase(a: Chase, state: CaseState) -> None:
    _forwarded_pending("chase", state)
    written_reason(a.note, "chasing the higher authority")


def check_decision(a: RecordDecision, state: CaseState) -> None:
    _forwarded_pending("record-decision", state)
    if a.decision not in ("approved", "denied"):
        raise validation_error("decision must be 'approved' or 'denied'")


def check_review_request(a: RequestReview, state: CaseState) -> None:
    written_reason(a.reason, "a review request")
    review = state.review
    if state.outcome is not Outcome.RETURNED or review is None:
        raise invalid_transition("request-review", state, "only a returned case is reviewed")
    if review.requested_at is not None:
        raise invalid_transition("request-review", state, "a review was already requested")


def check_review_decision(a: DecideReview, state: CaseState) -> None:
    written_reason(a.note, "a review decision")
    if a.decision not in ("confirm", "reopen"):
        raise validation_error("decision must be 'confirm' or 'reopen'")
    review = state.review
    if review is None or review.requested_at is None or review.decision is not None:
        raise invalid_transition("decide-review", state, "no review is waiting for a decision")
