"""Joint sign-off (联办件): the lead window asks named departments, each signs off in
parallel within its own limit, and a rejection returns the case to the lead at once.

Staff actions like those in ``workflows.case``; each department signs as its own staff.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

from workflows import rules
from workflows.actions import RecordSignoff, RequestSignoff
from workflows.events import SignoffRecorded, SignoffRequested
from workflows.loops import CaseLoops
from workflows.model import Answer, CaseState, Signoff, Status
from workflows.patches import CLOCKS_PATCH, REJECT_PATCH
from workflows.record import Acting


class JointSignoff(CaseLoops):
    @workflow.update(name="request-signoff")
    async def request_signoff(self, a: RequestSignoff) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_ask(a)) as act:
            if not act:
                return self._answer()
            departments = list(dict.fromkeys(a.departments))
            now = workflow.now()
            self._state.signoffs = [Signoff(department=d, asked_at=now) for d in departments]
            self._state.status = Status.JOINT_SIGNOFF
            limits: dict[str, datetime | None] | None = None
            if self._patched(CLOCKS_PATCH):
                await self._count_signoffs()
                limits = {x.department: x.due_at for x in self._state.signoffs}
            self._emit_by(a.meta, SignoffRequested(departments, limits))
        return self._answer()

    @request_signoff.validator
    def _v_ask(self, a: RequestSignoff) -> None:
        if self._precheck("request-signoff", a.meta):
            check_signoff_request(a, self._inp.service.departments)

    @workflow.update(name="signoff")
    async def signoff(self, a: RecordSignoff) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_sign(a)) as act:
            if not act:
                return self._answer()
            entry = next(x for x in self._state.signoffs if x.department == a.department)
            entry.decision, entry.at, entry.comment = a.decision, workflow.now(), a.comment
            entry.by = a.meta.actor.staff_id
            if entry.due_at is not None:  # its own clock stops (only cases counting one)
                self._timers_changed = True
            done = all(x.decision is not None for x in self._state.signoffs)
            back = a.decision == "reject"
            if back:
                self._deprecate(REJECT_PATCH)
                # A rejection returns the case to the lead window at once; the departments
                # still to sign are no longer waited for.
                for x in self._state.signoffs:
                    if x.decision is None:
                        x.due_at = None
                self._timers_changed = True
            if done or back:
                self._state.status = Status.UNDER_REVIEW
            self._emit_by(a.meta, SignoffRecorded(a.department, a.decision, a.comment, done, back))
        return self._answer()

    @signoff.validator
    def _v_sign(self, a: RecordSignoff) -> None:
        if self._precheck("signoff", a.meta, department=a.department):
            check_signoff(a, self._state)


def check_signoff_request(a: RequestSignoff, joint_departments: list[str]) -> None:
    if not a.departments:
        raise rules.validation_error("a sign-off request must name at least one department")
    unknown = sorted(set(a.departments) - set(joint_departments))
    if unknown:
        names = ", ".join(unknown)
        raise rules.validation_error(f"departments not part of this joint service: {names}")


def check_signoff(a: RecordSignoff, state: CaseState) -> None:
    if a.decision not in ("approve", "reject"):
        raise rules.validation_error("decision must be 'approve' or 'reject'")
    entry = next((x for x in state.signoffs if x.department == a.department), None)
    if entry is None:
        raise rules.validation_error(f"department {a.department!r} was not asked to sign off")
    if entry.decision is not None:
        raise rules.invalid_transition(
            "signoff", state, f"department {a.department!r} has already signed off"
        )
