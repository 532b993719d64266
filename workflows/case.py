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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import rules
from workflows.model import (
    ActionMeta,
    CaseInput,
    CaseState,
    Complete,
    Deadline,
    DeadlineRequest,
    Event,
    Extend,
    Kind,
    Outcome,
    ProjectionBatch,
    Reassign,
    RecordSignoff,
    RequestMaterials,
    RequestSignoff,
    Resume,
    Return,
    ShiftRequest,
    Signoff,
    StartReview,
    Status,
    SupplyMaterials,
    Suspend,
)

SYSTEM = "system"

# Deadline arithmetic is quick and local; projection waits out a PostgreSQL outage.
_COMPUTE_TIMEOUT = timedelta(seconds=30)
_PROJECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._events: list[Event] = []
        self._projected = 0
        self._keys: dict[str, str | None] = {}
        self._ready = False
        self._timers_changed = False
        self._paused_since: datetime | None = None
        self._resume_to = Status.RECEIVED
        self._lock = asyncio.Lock()
        catalog = {m.code for m in inp.service.materials}
        self._catalog = catalog
        self._state = CaseState(
            case_id=inp.case_id,
            service_code=inp.service.code,
            service_name=inp.service.name,
            window=inp.service.window,
            kind=inp.service.kind,
            status=Status.RECEIVED,
            outcome=None,
            urgent=inp.urgent,
            received_at=workflow.now(),
            due_at=None,
            warn_at=None,
            paused=False,
            suspended=False,
            overdue=False,
            warned=False,
            assignee=inp.actor.staff_id,
            first_receiver=inp.actor.staff_id,
            applicant=inp.applicant,
            materials=sorted(set(inp.materials) & catalog),
            materials_missing=sorted(
                m.code for m in inp.service.materials if m.required and m.code not in inp.materials
            ),
            signoffs=[],
            completed_at=None,
            last_seq=0,
            request_hash=inp.request_hash,
        )

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        deadline = await self._deadline(self._state.received_at, inp.service.promised_days)
        self._set_deadline(deadline)
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
            due_at=deadline.due_at.isoformat(),
            first_receiver=inp.actor.staff_id,
        )
        self._ready = True
        await asyncio.gather(self._project_loop(), self._timer_loop())
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

    # -- the loops ---------------------------------------------------------

    async def _project_loop(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: len(self._events) > self._projected or self._closed()
            )
            if len(self._events) == self._projected:
                return
            batch = ProjectionBatch(self._inp.case_id, self._events[self._projected :], self._state)
            await workflow.execute_activity(
                "project_events",
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_PROJECT_RETRY,
            )
            self._projected = batch.events[-1].seq

    async def _timer_loop(self) -> None:
        while not self._closed():
            self._timers_changed = False
            due = self._next_timer()
            timeout = None if due is None else max(due[1] - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(
                    lambda: self._timers_changed or self._closed(), timeout=timeout
                )
            except TimeoutError:
                if due is not None:
                    due[0]()

    def _next_timer(self) -> tuple[Callable[[], None], datetime] | None:
        s = self._state
        if s.paused or s.due_at is None or s.warn_at is None:
            return None
        if not s.warned and s.warn_at < s.due_at:
            return self._warn, s.warn_at
        if not s.overdue:
            return self._breach, s.due_at
        return None

    def _warn(self) -> None:
        self._state.warned = True
        self._emit("deadline.warning", SYSTEM, due_at=_iso(self._state.due_at))

    def _breach(self) -> None:
        self._state.overdue = True
        self._state.warned = True
        self._emit("deadline.overdue", SYSTEM, due_at=_iso(self._state.due_at))

    # -- staff actions -----------------------------------------------------

    @workflow.update(name="request-materials")
    async def request_materials(self, a: RequestMaterials) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_request(a)) as act:
            if not act:
                return self._state
            self._resume_to = self._state.status
            self._state.status = Status.NEEDS_MATERIALS
            self._state.materials_missing = sorted(set(a.missing))
            self._emit_by(
                a.meta, "materials.requested", missing=self._state.materials_missing, note=a.note
            )
            self._pause(a.meta, "materials")
        return self._state

    @request_materials.validator
    def _v_request(self, a: RequestMaterials) -> None:
        if self._precheck("request-materials", a.meta):
            rules.known_materials(a.missing, self._catalog, "a materials request")

    @workflow.update(name="supply-materials")
    async def supply_materials(self, a: SupplyMaterials) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_supply(a)) as act:
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
                s.status = self._resume_to
                await self._resume(a.meta)
        return self._state

    @supply_materials.validator
    def _v_supply(self, a: SupplyMaterials) -> None:
        if self._precheck("supply-materials", a.meta):
            rules.known_materials(a.materials, self._catalog, "a materials supply")

    @workflow.update(name="start-review")
    async def start_review(self, a: StartReview) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_start(a)) as act:
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
        async with _Acting(self, a.meta, lambda: self._v_ask(a)) as act:
            if not act:
                return self._state
            departments = list(dict.fromkeys(a.departments))
            self._state.signoffs = [Signoff(department=d) for d in departments]
            self._state.status = Status.JOINT_SIGNOFF
            self._emit_by(a.meta, "signoff.requested", departments=departments)
        return self._state

    @request_signoff.validator
    def _v_ask(self, a: RequestSignoff) -> None:
        if not self._precheck("request-signoff", a.meta):
            return
        if not a.departments:
            raise rules.validation_error("a sign-off request must name at least one department")
        allowed = set(self._inp.service.departments)
        unknown = sorted(set(a.departments) - allowed)
        if unknown:
            raise rules.validation_error(
                f"departments not part of this joint service: {', '.join(unknown)}"
            )

    @workflow.update(name="signoff")
    async def signoff(self, a: RecordSignoff) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_sign(a)) as act:
            if not act:
                return self._state
            entry = next(x for x in self._state.signoffs if x.department == a.department)
            entry.decision, entry.at, entry.comment = a.decision, workflow.now(), a.comment
            entry.by = a.meta.actor.staff_id
            done = all(x.decision is not None for x in self._state.signoffs)
            if done:
                self._state.status = Status.UNDER_REVIEW
            self._emit_by(
                a.meta,
                "signoff.recorded",
                department=a.department,
                decision=a.decision,
                comment=a.comment,
                all_signed=done,
            )
        return self._state

    @signoff.validator
    def _v_sign(self, a: RecordSignoff) -> None:
        if not self._precheck("signoff", a.meta, department=a.department):
            return
        if a.decision not in ("approve", "reject"):
            raise rules.validation_error("decision must be 'approve' or 'reject'")
        entry = next((x for x in self._state.signoffs if x.department == a.department), None)
        if entry is None:
            raise rules.validation_error(f"department {a.department!r} was not asked to sign off")
        if entry.decision is not None:
            raise rules.invalid_transition(
                "signoff", self._state, f"department {a.department!r} has already signed off"
            )

    @workflow.update(name="complete")
    async def complete(self, a: Complete) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_complete(a)) as act:
            if not act:
                return self._state
            self._close(a.meta, a.outcome, "case.completed", outcome=a.outcome.value, note=a.note)
        return self._state

    @complete.validator
    def _v_complete(self, a: Complete) -> None:
        if not self._precheck("complete", a.meta):
            return
        if a.outcome not in (Outcome.APPROVED, Outcome.DENIED):
            raise rules.validation_error("outcome must be 'approved' or 'denied'")
        signoffs = self._state.signoffs
        if (
            a.outcome is Outcome.APPROVED
            and self._state.kind is Kind.JOINT
            and (not signoffs or any(x.decision != "approve" for x in signoffs))
        ):
            raise rules.invalid_transition(
                "complete",
                self._state,
                "a joint case is approved only when every department approved",
            )

    @workflow.update(name="return")
    async def return_case(self, a: Return) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_return(a)) as act:
            if not act:
                return self._state
            self._close(a.meta, Outcome.RETURNED, "case.returned", reason=a.reason)
        return self._state

    @return_case.validator
    def _v_return(self, a: Return) -> None:
        if self._precheck("return", a.meta):
            rules.written_reason(a.reason, "returning a case")

    @workflow.update(name="reassign")
    async def reassign(self, a: Reassign) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_reassign(a)) as act:
            if not act:
                return self._state
            before = self._state.assignee
            self._state.assignee = a.to_staff
            if a.to_window is not None:
                self._state.window = a.to_window
            self._emit_by(
                a.meta,
                "case.reassigned",
                from_staff=before,
                to_staff=a.to_staff,
                window=self._state.window,
            )
        return self._state

    @reassign.validator
    def _v_reassign(self, a: Reassign) -> None:
        if self._precheck("reassign", a.meta) and a.to_staff == self._state.assignee:
            raise rules.validation_error(f"the case is already assigned to {a.to_staff}")

    @workflow.update(name="extend")
    async def extend(self, a: Extend) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_extend(a)) as act:
            if not act:
                return self._state
            before = self._state.due_at
            assert before is not None
            self._set_deadline(await self._deadline(before, a.days))
            self._emit_by(
                a.meta,
                "deadline.extended",
                days=a.days,
                reason=a.reason,
                due_at_before=before.isoformat(),
                due_at=_iso(self._state.due_at),
            )
        return self._state

    @extend.validator
    def _v_extend(self, a: Extend) -> None:
        if not self._precheck("extend", a.meta):
            return
        rules.written_reason(a.reason, "an extension")
        if not 1 <= a.days <= 60:
            raise rules.validation_error("an extension is 1 to 60 working days")

    @workflow.update(name="suspend")
    async def suspend(self, a: Suspend) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_suspend(a)) as act:
            if not act:
                return self._state
            self._state.suspended = True
            self._pause(a.meta, "suspended", note=a.reason, expected_days=a.expected_days)
        return self._state

    @suspend.validator
    def _v_suspend(self, a: Suspend) -> None:
        if not self._precheck("suspend", a.meta):
            return
        rules.written_reason(a.reason, "a suspension")
        if a.expected_days < 1:
            raise rules.validation_error("expected_days must be at least 1")

    @workflow.update(name="resume")
    async def resume(self, a: Resume) -> CaseState:
        async with _Acting(self, a.meta, lambda: self._v_resume(a)) as act:
            if not act:
                return self._state
            self._state.suspended = False
            await self._resume(a.meta)
        return self._state

    @resume.validator
    def _v_resume(self, a: Resume) -> None:
        self._precheck("resume", a.meta)

    # -- shared steps ------------------------------------------------------

    def _precheck(self, action: str, meta: ActionMeta, department: str | None = None) -> bool:
        """Common checks; False when this is a retry of an action already applied."""
        key = meta.idempotency_key
        if key is not None and key in self._keys:
            if self._keys[key] != meta.request_hash:
                raise rules.idempotency_conflict(key)
            return False
        rules.authorize(action, meta.actor, self._state, department)
        rules.check_transition(action, self._state)
        return True

    def _pause(self, meta: ActionMeta, reason: str, **data: Any) -> None:
        self._state.paused = True
        self._paused_since = workflow.now()
        self._timers_changed = True
        self._emit_by(meta, "clock.paused", reason=reason, **data)

    async def _resume(self, meta: ActionMeta) -> None:
        s = self._state
        if s.suspended or s.status is Status.NEEDS_MATERIALS or self._paused_since is None:
            return
        assert s.due_at is not None and s.warn_at is not None
        shifted: Deadline = await workflow.execute_activity(
            "shift_deadline",
            ShiftRequest(
                s.due_at, s.warn_at, self._paused_since, workflow.now(), self._inp.calendar
            ),
            result_type=Deadline,
            start_to_close_timeout=_COMPUTE_TIMEOUT,
        )
        paused_from = self._paused_since
        self._paused_since = None
        s.paused = False
        self._set_deadline(shifted)
        self._emit_by(
            meta,
            "clock.resumed",
            paused_from=paused_from.isoformat(),
            paused_office_seconds=shifted.paused_office_seconds,
            due_at=_iso(s.due_at),
        )

    def _close(self, meta: ActionMeta, result: Outcome, event: str, **data: Any) -> None:
        self._state.status = Status.COMPLETED
        self._state.outcome = result
        self._state.completed_at = workflow.now()
        self._state.paused = False
        due = self._state.due_at
        self._emit_by(meta, event, on_time=due is None or workflow.now() <= due, **data)
        self._timers_changed = True

    async def _deadline(self, start: datetime, days: int) -> Deadline:
        result: Deadline = await workflow.execute_activity(
            "compute_deadline",
            DeadlineRequest(start, days, self._inp.calendar),
            result_type=Deadline,
            start_to_close_timeout=_COMPUTE_TIMEOUT,
        )
        return result

    def _set_deadline(self, deadline: Deadline) -> None:
        s = self._state
        s.due_at, s.warn_at = deadline.due_at, deadline.warn_at
        now = workflow.now()
        s.overdue = s.overdue and deadline.due_at <= now
        s.warned = s.warned and deadline.warn_at <= now
        self._timers_changed = True

    def _emit_by(self, meta: ActionMeta, type_: str, **data: Any) -> None:
        if meta.idempotency_key is not None:
            self._keys[meta.idempotency_key] = meta.request_hash
        self._emit(type_, meta.actor.staff_id, **data)

    def _emit(self, type_: str, actor: str, **data: Any) -> None:
        seq = len(self._events) + 1
        self._events.append(Event(seq=seq, type=type_, at=workflow.now(), actor=actor, data=data))
        self._state.last_seq = seq
        workflow.logger.info("case event", extra={"event_type": type_, "seq": seq, "actor": actor})

    def _closed(self) -> bool:
        return self._state.status is Status.COMPLETED


class _Acting:
    """Waits until the case is received and no other action runs, then re-checks the action."""

    def __init__(self, wf: CaseWorkflow, meta: ActionMeta, validate: Callable[[], None]) -> None:
        self._wf, self._meta, self._validate = wf, meta, validate

    async def __aenter__(self) -> bool:
        """True to act; False when this is a retry of an action already applied."""
        await workflow.wait_condition(lambda: self._wf._ready)
        await self._wf._lock.acquire()
        key = self._meta.idempotency_key
        if key is not None and self._wf._keys.get(key, "") == self._meta.request_hash:
            return False
        try:
            self._validate()
        except BaseException:
            self._wf._lock.release()
            raise
        return True

    async def __aexit__(self, *exc: object) -> None:
        self._wf._lock.release()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
