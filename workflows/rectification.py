"""The rectification of a bad rating (差评整改): one workflow per bad rating, the authority on its
steps and its time.

The window contacts the applicant within 1 working day, rectifies and records the answer given
within 15 working days (``applicant.rectification``). Each limit missed raises an overdue alert
to the window head that climbs the ladder while nobody acknowledges it, and the longer one warns
first, as a case's limits do; the alerts have kind ``rectification``
(``workflows.rectification_loops``). Staff steps arrive as updates, checked by validators
before anything is recorded. The workflow ends once answered and projected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import workflow

from applicant import rectification as rules
from applicant.rectification import (
    CONTACT,
    CONTACT_DAYS,
    DONE,
    RECTIFY,
    RECTIFY_DAYS,
    Answer,
    Contact,
    RectificationInput,
    RectificationState,
    Rectify,
)
from workdays.deadline import Deadline
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.counting import ClockSpec, ClocksRequest
from workflows.model import Pending, iso
from workflows.record import SYSTEM
from workflows.rectification_loops import COMPUTE_TIMEOUT, Acting, RectificationLoops


@workflow.defn(name="RectificationWorkflow")
class RectificationWorkflow(RectificationLoops):
    @workflow.init
    def __init__(self, inp: RectificationInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: RectificationInput) -> RectificationState:
        s = self._state
        clocks = [ClockSpec(CONTACT, CONTACT_DAYS, 0), ClockSpec(RECTIFY, RECTIFY_DAYS, 1)]
        counted: list[Deadline] = await workflow.execute_activity(
            "compute_clocks",
            ClocksRequest(s.opened_at, clocks, inp.calendar),
            result_type=list[Deadline],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        contact, rectify = counted
        s.contact_due_at, s.rectify_due_at = contact.due_at, rectify.due_at
        s.rectify_warn_at = rectify.warn_at
        self._emit(
            "rectification.opened",
            SYSTEM,
            rating_id=inp.rating_id,
            case_id=inp.case_id,
            window=inp.window,
            stage=inp.stage,
            level=inp.level,
            tags=inp.tags,
            comment=inp.comment,
            contact_due_at=iso(s.contact_due_at),
            rectify_due_at=iso(s.rectify_due_at),
        )
        self._ready = True
        await asyncio.gather(self._project_loop(), self._timer_loop(), self._notify_loop())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    @workflow.query(name="state")
    def state(self) -> RectificationState:
        return self._state

    @workflow.query(name="pending")
    def pending(self) -> Pending:
        """For the sandbox clock: is anything due by now still to be raised or projected?"""
        upcoming = None if self._done() else self._next_timer()
        return Pending(
            projection_lag=len(self._events) - self._projected,
            next_threshold_at=upcoming[1] if upcoming else None,
            closed=self._done(),
        )

    # -- staff steps -------------------------------------------------------------

    @workflow.update(name="contact")
    async def contact(self, a: Contact) -> RectificationState:
        async with self._acting(a.meta, lambda: self._v_contact(a)) as act:
            if act:
                s = self._state
                s.contacted_at, s.contact_note = workflow.now(), a.note.strip()
                self._ladder = [r for r in self._ladder if r[2] != CONTACT]
                self._emit_by(a.meta, "rectification.contacted", note=s.contact_note)
        return self._state

    @contact.validator
    def _v_contact(self, a: Contact) -> None:
        if self._precheck(a.meta):
            rules.check_step("contact", a.meta.actor, self._state)
            rules.written(a.note, "the note of the contact")

    @workflow.update(name="rectify")
    async def rectify(self, a: Rectify) -> RectificationState:
        async with self._acting(a.meta, lambda: self._v_rectify(a)) as act:
            if act:
                s = self._state
                s.rectified_at, s.action = workflow.now(), a.action.strip()
                self._emit_by(a.meta, "rectification.rectified", action=s.action)
        return self._state

    @rectify.validator
    def _v_rectify(self, a: Rectify) -> None:
        if self._precheck(a.meta):
            rules.check_step("rectify", a.meta.actor, self._state)
            rules.written(a.action, "the rectification's action")

    @workflow.update(name="answer")
    async def answer(self, a: Answer) -> RectificationState:
        async with self._acting(a.meta, lambda: self._v_answer(a)) as act:
            if act:
                s = self._state
                s.answered_at, s.answer, s.status = workflow.now(), a.text.strip(), DONE
                self._ladder = []
                self._emit_by(a.meta, "rectification.answered", text=s.answer, on_time=s.on_time)
                self._settle_alerts()
        return self._state

    @answer.validator
    def _v_answer(self, a: Answer) -> None:
        if self._precheck(a.meta):
            rules.check_step("answer", a.meta.actor, self._state)
            rules.written(a.text, "the answer")

    @workflow.update(name="acknowledge-alert")
    async def acknowledge_alert(self, a: AcknowledgeAlert) -> RectificationState:
        async with self._acting(a.meta, lambda: self._v_ack(a)) as act:
            if act:
                alert = next(x for x in self._state.alerts if x.id == a.alert_id)
                alert.acked_at, alert.acked_by = workflow.now(), a.meta.actor.staff_id
                # Acknowledging a warning leaves a later breach's climb to go on.
                if self._thresholds.get(alert.id) != "warning":
                    self._ladder = [r for r in self._ladder if r[2] != alert.clock]
                self._emit_by(
                    a.meta, "alert.acknowledged", alert_id=alert.id, level=alert.level.value
                )
        return self._state

    @acknowledge_alert.validator
    def _v_ack(self, a: AcknowledgeAlert) -> None:
        if self._precheck(a.meta):
            if self._state.status == DONE:
                raise rules.refusal("invalid_transition", f"rectification {self._state.id} is done")
            rules.check_acknowledgement(a, self._state)

    def _precheck(self, meta: ActionMeta) -> bool:
        """False when this is a retry of a step already taken with the same key."""
        key = meta.idempotency_key
        if key is not None and key in self._keys:
            if self._keys[key] != meta.request_hash:
                raise rules.refusal(
                    "idempotency_conflict",
                    "this Idempotency-Key was already used with a different request",
                )
            return False
        return True

    def _acting(self, meta: ActionMeta, validate: Callable[[], None]) -> Acting:
        return Acting(self, meta, validate)
