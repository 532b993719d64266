"""The case workflow: one per case, the authority on its status, its events and its time.

Staff actions arrive as updates. Each has a validator that applies the
center's rules (``workflows.rules``) and rejects a forbidden action before
anything is recorded; the handler re-checks under a lock, because another
action may have been accepted while it waited. Every change is a domain event
with a ``seq``; a projector loop hands new events to an activity that writes
the read model, and a timer loop raises the warning and the breach on time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

from workflows import rules
from workflows.actions import (
    Complete,
    Extend,
    Reassign,
    RecordSignoff,
    RequestMaterials,
    RequestSignoff,
    Resume,
    Return,
    StartReview,
    SupplyMaterials,
    Suspend,
)
from workflows.center import REVIEW_PERIOD, CenterRules
from workflows.model import (
    CaseInput,
    CaseState,
    Deadline,
    Event,
    Kind,
    Outcome,
    Pending,
    Review,
    Signoff,
    Status,
    Supply,
)
from workflows.record import CLOCKS_PATCH, LEDGER_PATCH, LEGAL, Acting, iso
from workflows.supervision import Supervision

# Missing materials are named in one notice within 5 working days (行政许可法 Art. 32).
NOTICE_DAYS = 5
NOTICE_PATCH = "notice-clock"
# A department's rejection returns a joint case to the lead window at once.
REJECT_PATCH = "rejection-returns-to-lead"
# A returned case stays open for the applicant's review request.
REVIEW_PATCH = "return-review"


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow(CenterRules, Supervision):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        deadline: Deadline | None = None
        if inp.service.kind is Kind.ORPHAN:
            pass  # no limit until the director assigns the matter
        elif workflow.patched(CLOCKS_PATCH):
            deadline = await self._recount()
        else:  # cases received before the legal limit was counted
            deadline = await self._deadline(self._state.received_at, inp.service.promised_days)
        if deadline is not None:
            self._set_deadline(deadline)
        if self._state.materials_missing and workflow.patched(NOTICE_PATCH):
            notice = await self._deadline(self._state.received_at, NOTICE_DAYS)
            self._state.notice_due_at = notice.due_at
        self._emit(
            "case.received",
            inp.actor.staff_id,
            service_code=inp.service.code,
            kind=inp.service.kind.value,
            window=inp.service.window,
            urgent=inp.urgent,
            materials=self._state.materials,
            materials_missing=self._state.materials_missing,
            promised_days=inp.service.promised_days,
            legal_days=inp.service.legal_days,
            due_at=iso(self._state.due_at),
            legal_due_at=iso(self._state.legal_due_at),
            provisional=self._state.provisional,
            clock_policy={
                "warn_days": inp.policy.warn_days,
                "ladder": [[r.level.value, r.after_days] for r in inp.policy.ladder],
                "on_supply": inp.policy.on_supply.value,
                "signoff_days": inp.policy.signoff_days,
            },
            notice_due_at=iso(self._state.notice_due_at),
            first_receiver=inp.actor.staff_id,
        )
        self._ready = True
        await asyncio.gather(self._project_loop(), self._timer_loop(), self._notify_loop())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.update(name="intake")
    async def intake(self) -> CaseState:
        """Answers once the case is received, its due date computed; records nothing."""
        await workflow.wait_condition(lambda: self._ready)
        return self._state

    @workflow.query(name="state")
    def state(self) -> CaseState:
        return self._state

    @workflow.query(name="events")
    def events(self) -> list[Event]:
        return self._events

    @workflow.query(name="projection_lag")
    def projection_lag(self) -> int:
        """Events decided but not yet written to the read model."""
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

    @workflow.update(name="request-materials")
    async def request_materials(self, a: RequestMaterials) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_request(a)) as act:
            if not act:
                return self._state
            s = self._state
            first = not any(e.type == "materials.requested" for e in self._events)
            late = first and s.notice_due_at is not None and workflow.now() > s.notice_due_at
            self._resume_to = s.status
            s.status = Status.NEEDS_MATERIALS
            s.materials_missing = sorted(set(a.missing))
            self._emit_by(
                a.meta,
                "materials.requested",
                missing=s.materials_missing,
                note=a.note,
                late_notice=late,
                defective=a.defective,
            )
            self._notice_given()
            self._pause(a.meta, "materials")
        return self._state

    @request_materials.validator
    def _v_request(self, a: RequestMaterials) -> None:
        if self._precheck("request-materials", a.meta):
            rules.known_materials(a.missing, self._catalog, "a materials request")
            asked = any(e.type == "materials.requested" for e in self._events)
            rules.check_materials_request(a, self._state, asked)

    @workflow.update(name="supply-materials")
    async def supply_materials(self, a: SupplyMaterials) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_supply(a)) as act:
            if not act:
                return self._state
            s = self._state
            s.materials = sorted(set(s.materials) | set(a.materials))
            s.materials_missing = sorted(set(s.materials_missing) - set(a.materials))
            self._emit_by(
                a.meta,
                "materials.supplied",
                materials=sorted(set(a.materials)),
                still_missing=s.materials_missing,
            )
            if not s.materials_missing:
                self._notice_given()
                s.status = self._resume_to
                if self._restarts_on_supply():
                    await self._restart(a.meta)
                else:
                    await self._resume(a.meta)
        return self._state

    def _restarts_on_supply(self) -> bool:
        return (
            self._inp.policy.on_supply is Supply.RESTART
            and self._paused_since is not None
            and not self._state.suspended
            and workflow.patched(CLOCKS_PATCH)
        )

    @supply_materials.validator
    def _v_supply(self, a: SupplyMaterials) -> None:
        if self._precheck("supply-materials", a.meta):
            rules.known_materials(a.materials, self._catalog, "a materials supply")

    @workflow.update(name="start-review")
    async def start_review(self, a: StartReview) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_start(a)) as act:
            if not act:
                return self._state
            self._state.status = Status.UNDER_REVIEW
            self._emit_by(a.meta, "review.started")
        return self._state

    @start_review.validator
    def _v_start(self, a: StartReview) -> None:
        self._precheck("start-review", a.meta)

    @workflow.update(name="request-signoff")
    async def request_signoff(self, a: RequestSignoff) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_ask(a)) as act:
            if not act:
                return self._state
            departments = list(dict.fromkeys(a.departments))
            now = workflow.now()
            self._state.signoffs = [Signoff(department=d, asked_at=now) for d in departments]
            self._state.status = Status.JOINT_SIGNOFF
            limits = {}
            if workflow.patched(CLOCKS_PATCH):
                await self._count_signoffs()
                limits = {"due_at": {x.department: iso(x.due_at) for x in self._state.signoffs}}
            self._emit_by(a.meta, "signoff.requested", departments=departments, **limits)
        return self._state

    @request_signoff.validator
    def _v_ask(self, a: RequestSignoff) -> None:
        if self._precheck("request-signoff", a.meta):
            rules.check_signoff_request(a, self._inp.service.departments)

    @workflow.update(name="signoff")
    async def signoff(self, a: RecordSignoff) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_sign(a)) as act:
            if not act:
                return self._state
            entry = next(x for x in self._state.signoffs if x.department == a.department)
            entry.decision, entry.at, entry.comment = a.decision, workflow.now(), a.comment
            entry.by = a.meta.actor.staff_id
            if entry.due_at is not None:  # its own clock stops (only cases counting one)
                self._timers_changed = True
            done = all(x.decision is not None for x in self._state.signoffs)
            back = a.decision == "reject" and workflow.patched(REJECT_PATCH)
            if back:
                # A rejection returns the case to the lead window at once; the departments
                # still to sign are no longer waited for.
                for x in self._state.signoffs:
                    if x.decision is None:
                        x.due_at = None
                self._timers_changed = True
            if done or back:
                self._state.status = Status.UNDER_REVIEW
            self._emit_by(
                a.meta,
                "signoff.recorded",
                department=a.department,
                decision=a.decision,
                comment=a.comment,
                all_signed=done,
                **({"returned_to_lead": True} if back else {}),
            )
        return self._state

    @signoff.validator
    def _v_sign(self, a: RecordSignoff) -> None:
        if self._precheck("signoff", a.meta, department=a.department):
            rules.check_signoff(a, self._state)

    @workflow.update(name="complete")
    async def complete(self, a: Complete) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_complete(a)) as act:
            if not act:
                return self._state
            self._close(a.meta, a.outcome, "case.completed", outcome=a.outcome.value, note=a.note)
        return self._state

    @complete.validator
    def _v_complete(self, a: Complete) -> None:
        if self._precheck("complete", a.meta):
            rules.check_completion(a, self._state)

    @workflow.update(name="return")
    async def return_case(self, a: Return) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_return(a)) as act:
            if not act:
                return self._state
            review: dict[str, Any] = {}
            if workflow.patched(REVIEW_PATCH):
                s, now = self._state, workflow.now()
                s.review = Review(until=now + REVIEW_PERIOD)
                self._review_open = True
                review = {
                    "late_return": s.return_by is not None and now > s.return_by,
                    "review_days": REVIEW_PERIOD.days,
                    "review_until": iso(s.review.until),
                }
            self._close(a.meta, Outcome.RETURNED, "case.returned", reason=a.reason, **review)
        return self._state

    @return_case.validator
    def _v_return(self, a: Return) -> None:
        if self._precheck("return", a.meta):
            rules.written_reason(a.reason, "returning a case")

    @workflow.update(name="reassign")
    async def reassign(self, a: Reassign) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_reassign(a)) as act:
            if not act:
                return self._state
            before = self._state.assignee
            self._state.assignee = a.to_staff
            if a.to_window is not None:
                self._state.window = a.to_window
            extra: dict[str, Any] = {}
            if a.kind != "manual" or a.reason:
                extra = {"kind": a.kind, "reason": a.reason}
            self._emit_by(
                a.meta,
                "case.reassigned",
                from_staff=before,
                to_staff=a.to_staff,
                window=self._state.window,
                **extra,
            )
        return self._state

    @reassign.validator
    def _v_reassign(self, a: Reassign) -> None:
        if self._precheck("reassign", a.meta):
            rules.check_reassignment(a, self._state, self._events)

    @workflow.update(name="extend")
    async def extend(self, a: Extend) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_extend(a)) as act:
            if not act:
                return self._state
            if a.clock == LEGAL:
                before = self._state.legal_due_at
                self._legal_extended_days += a.days
                self._state.legal_extended = True
                self._set_deadline(await self._recount())
                after = self._state.legal_due_at
            else:
                before = self._state.due_at
                assert before is not None
                if workflow.patched(LEDGER_PATCH):
                    self._extended_days += a.days
                    self._set_deadline(await self._recount())
                else:  # cases received before the limit's record was kept
                    self._set_deadline(await self._deadline(before, a.days))
                after = self._state.due_at
            self._emit_by(
                a.meta,
                "deadline.extended",
                clock=a.clock,
                days=a.days,
                reason=a.reason,
                due_at_before=iso(before),
                due_at=iso(after),
            )
        return self._state

    @extend.validator
    def _v_extend(self, a: Extend) -> None:
        if self._precheck("extend", a.meta):
            rules.check_extension(a, self._state)

    @workflow.update(name="suspend")
    async def suspend(self, a: Suspend) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_suspend(a)) as act:
            if not act:
                return self._state
            self._state.suspended = True
            self._pause(a.meta, "suspended", note=a.reason, expected_days=a.expected_days)
        return self._state

    @suspend.validator
    def _v_suspend(self, a: Suspend) -> None:
        if self._precheck("suspend", a.meta):
            rules.check_suspension(a)

    @workflow.update(name="resume")
    async def resume(self, a: Resume) -> CaseState:
        async with Acting(self, a.meta, lambda: self._v_resume(a)) as act:
            if not act:
                return self._state
            self._state.suspended = False
            await self._resume(a.meta)
        return self._state

    @resume.validator
    def _v_resume(self, a: Resume) -> None:
        self._precheck("resume", a.meta)
