"""What a rectification's workflow keeps and runs beside the staff's steps: its record (state,
numbered events), its thresholds on time (the contact's and the rectification's limits, the
ladder), and the loops that project its events and notify supervisors of its alerts.

As for a case (``workflows.loops``, ``workflows.thresholds``): each threshold is one event and
one alert, raised at the earliest instant ``_next_timer`` names; nothing here does I/O except
through activities, and time is the workflow's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from applicant import rectification as rules
from applicant.rectification import (
    CONTACT,
    DONE,
    RECTIFY,
    RectificationBatch,
    RectificationInput,
    RectificationState,
)
from workflows.actions import ActionMeta
from workflows.counting import LadderRequest, OfficeInstantRequest
from workflows.model import Alert, AlertLevel, AlertNotice, Event, iso
from workflows.record import SYSTEM

COMPUTE_TIMEOUT = timedelta(seconds=30)
_PROJECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=10)
)
_DELIVERY_GIVE_UP = timedelta(days=3)
RANK = {AlertLevel.WINDOW_HEAD: 0, AlertLevel.DIRECTOR: 1, AlertLevel.DISCIPLINE: 2}

Threshold = tuple[Callable[[], Awaitable[None]], datetime]


class RectificationLoops:
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

    # -- the record --------------------------------------------------------------

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

    def _next_timer(self) -> Threshold | None:
        s = self._state
        if self._done():
            return None
        due: list[Threshold] = []
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


class Acting:
    """Waits until the limits are counted and no other step runs, then re-checks the step."""

    def __init__(
        self, wf: RectificationLoops, meta: ActionMeta, validate: Callable[[], None]
    ) -> None:
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
