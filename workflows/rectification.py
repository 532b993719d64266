"""The rectification of a bad rating (差评整改): one workflow per bad rating, the authority on its
steps and its time.

The window contacts the applicant within 1 working day, rectifies and records the answer given
within 15 working days (``applicant.rectification``). Each limit missed raises an overdue alert
to the window head that climbs the ladder while nobody acknowledges it, and the longer one warns
first, as a case's limits do; the alerts have kind ``rectification``. Staff steps arrive as
updates, checked by validators before anything is recorded. Every change is an event with a
``seq``, projected by an activity; the workflow ends once answered and projected.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from applicant import rectification as rules
from applicant.rectification import (
    CONTACT,
    CONTACT_DAYS,
    DONE,
    RECTIFY,
    RECTIFY_DAYS,
    Answer,
    Contact,
    RectificationBatch,
    RectificationInput,
    RectificationState,
    Rectify,
)
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.counting import (
    ClockSpec,
    ClocksRequest,
    Deadline,
    LadderRequest,
    OfficeInstantRequest,
)
from workflows.model import Alert, AlertLevel, AlertNotice, Event, Pending
from workflows.record import SYSTEM, iso

COMPUTE_TIMEOUT = timedelta(seconds=30)
_PROJECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=10)
)
_DELIVERY_GIVE_UP = timedelta(days=3)
RANK = {AlertLevel.WINDOW_HEAD: 0, AlertLevel.DIRECTOR: 1, AlertLevel.DISCIPLINE: 2}


@workflow.defn(name="RectificationWorkflow")
class RectificationWorkflow:
    @workflow.init
    def __init__(self, inp: RectificationInput) -> None:
        self._inp = inp
        self._state = RectificationState(
            id=inp.id,
            rating_id=inp.rating_id,
            case_id=inp.case_id,
            window=inp.window,
            level=inp.level,
            status=rules.OPEN,
            opened_at=workflow.now(),
        )
        self._events: list[Event] = []
        self._projected = 0
        self._ready = False
        self._changed = False
        self._ladder: list[tuple[AlertLevel, datetime, str]] = []
        self._to_notify: list[Alert] = []
        self._keys: dict[str, str | None] = {}
        self._thresholds: dict[str, str] = {}  # alert id → warning | overdue | escalation
        self._lock = asyncio.Lock()

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
                raise rules.refusal(
                    "invalid_transition", f"rectification {self._state.id} is done"
                )
            rules.check_acknowledgement(a, self._state)

    # -- the record --------------------------------------------------------------

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

    def _acting(self, meta: ActionMeta, validate: Any) -> _Acting:
        return _Acting(self, meta, validate)

    def _emit_by(self, meta: ActionMeta, type_: str, **data: Any) -> None:
        if meta.idempotency_key is not None:
            self._keys[meta.idempotency_key] = meta.request_hash
        self._emit(type_, meta.actor.staff_id, **data)

    def _emit(self, type_: str, actor: str, **data: Any) -> None:
        seq = len(self._events) + 1
        self._events.append(Event(seq=seq, type=type_, at=workflow.now(), actor=actor, data=data))
        self._state.last_seq = seq
        self._changed = True

    def _settle_alerts(self) -> None:
        """Answered: its open alerts are settled with it, as a closed case's are."""
        for alert in self._state.alerts:
            if alert.acked_at is None:
                alert.acked_at, alert.acked_by = workflow.now(), SYSTEM
                self._emit(
                    "alert.acknowledged",
                    SYSTEM,
                    alert_id=alert.id,
                    level=alert.level.value,
                    reason="rectification_answered",
                )

    def _done(self) -> bool:
        return self._state.status == DONE

    # -- time ---------------------------------------------------------------------

    def _next_timer(self) -> tuple[Any, datetime] | None:
        s = self._state
        if self._done():
            return None
        due: list[tuple[Any, datetime]] = []
        if self._ladder:
            due.append((self._escalate, self._ladder[0][1]))
        if s.contacted_at is None and not s.contact_overdue and s.contact_due_at is not None:
            due.append((self._contact_breach, s.contact_due_at))
        if s.rectify_due_at is not None and s.rectify_warn_at is not None:
            if not s.warned and s.rectify_warn_at < s.rectify_due_at:
                due.append((self._warn, s.rectify_warn_at))
            elif not s.overdue:
                due.append((self._breach, s.rectify_due_at))
        return min(due, key=lambda x: x[1]) if due else None

    async def _timer_loop(self) -> None:
        while not self._done():
            self._changed = False
            due = self._next_timer()
            timeout = None if due is None else max(due[1] - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(
                    lambda: self._changed or self._done(), timeout=timeout
                )
            except TimeoutError:
                if due is not None:
                    async with self._lock:
                        if not self._done():
                            await due[0]()

    async def _contact_breach(self) -> None:
        self._state.contact_overdue = True
        alert = self._raise("overdue", "deadline.overdue", AlertLevel.WINDOW_HEAD, CONTACT)
        await self._climb(alert)

    async def _warn(self) -> None:
        self._state.warned = True
        self._raise("warning", "deadline.warning", AlertLevel.WINDOW_HEAD, RECTIFY)

    async def _breach(self) -> None:
        self._state.overdue = self._state.warned = True
        alert = self._raise("overdue", "deadline.overdue", AlertLevel.WINDOW_HEAD, RECTIFY)
        await self._climb(alert)

    async def _escalate(self) -> None:
        level, _, clock = self._ladder.pop(0)
        self._raise("escalation", "rectification.escalated", level, clock)

    async def _climb(self, alert: Alert) -> None:
        """The ladder's rungs above the alert, in the center's working days, as for a case."""
        rungs = [r for r in self._inp.policy.ladder if RANK[r.level] > RANK[alert.level]]
        if not rungs:
            return
        times: list[datetime] = await workflow.execute_activity(
            "ladder_times",
            LadderRequest(workflow.now(), [r.after_days for r in rungs], self._inp.calendar),
            result_type=list[datetime],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        if alert.acked_at is None and not self._done():
            climb = [(r.level, at, alert.clock) for r, at in zip(rungs, times, strict=True)]
            self._ladder = sorted([*self._ladder, *climb], key=lambda x: x[1])

    def _raise(self, threshold: str, event: str, level: AlertLevel, clock: str) -> Alert:
        """One event and one alert of kind ``rectification``; the event names the threshold."""
        s = self._state
        alert_id = f"{s.id}-A{len(self._events) + 1}"
        # The alert's kind is the contract's ``rectification``; its threshold is in the event.
        alert = Alert(alert_id, "rectification", level, workflow.now(), clock=clock)
        s.alerts.append(alert)
        self._thresholds[alert_id] = threshold
        self._to_notify.append(alert)
        due = s.contact_due_at if clock == CONTACT else s.rectify_due_at
        self._emit(
            event,
            SYSTEM,
            alert_id=alert_id,
            threshold=threshold,
            level=level.value,
            clock=clock,
            due_at=iso(due),
        )
        return alert

    # -- the loops beside the steps -------------------------------------------------

    async def _project_loop(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: len(self._events) > self._projected or self._done()
            )
            if len(self._events) == self._projected:
                return
            batch = RectificationBatch(self._events[self._projected :], self._state)
            await workflow.execute_activity(
                "project_rectification",
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_PROJECT_RETRY,
            )
            self._projected = batch.events[-1].seq

    async def _notify_loop(self) -> None:
        sending: list[asyncio.Task[None]] = []
        while True:
            await workflow.wait_condition(lambda: bool(self._to_notify) or self._done())
            if not self._to_notify:
                break
            sending.append(asyncio.create_task(self._notify(self._to_notify.pop(0))))
        await asyncio.gather(*sending)

    async def _notify(self, alert: Alert) -> None:
        """Held until the office opens, then sent through the level's channels."""
        calendar = self._inp.calendar
        if not calendar.notify_outside_office_hours:
            opens: datetime = await workflow.execute_activity(
                "next_office_instant",
                OfficeInstantRequest(workflow.now(), calendar),
                result_type=datetime,
                start_to_close_timeout=COMPUTE_TIMEOUT,
            )
            if opens > workflow.now():
                await workflow.sleep(opens - workflow.now())
        if alert.acked_at is not None:
            return
        s = self._state
        due = s.contact_due_at if alert.clock == CONTACT else s.rectify_due_at
        notice = AlertNotice(
            alert.id,
            s.case_id,
            alert.kind,
            alert.level,
            alert.raised_at,
            self._inp.service_name,
            s.window,
            self._inp.assignee,
            due,
        )
        try:
            await workflow.execute_activity(
                "deliver_alert",
                notice,
                start_to_close_timeout=timedelta(minutes=2),
                schedule_to_close_timeout=_DELIVERY_GIVE_UP,
                retry_policy=_DELIVERY_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("alert not delivered", extra={"alert_id": alert.id})


class _Acting:
    """Waits until the limits are counted and no other step runs, then re-checks the step."""

    def __init__(self, wf: RectificationWorkflow, meta: ActionMeta, validate: Any) -> None:
        self._wf, self._meta, self._validate = wf, meta, validate

    async def __aenter__(self) -> bool:
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
