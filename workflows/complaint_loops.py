"""A complaint's record and the loops its workflow runs: projection, timers, notification.

``ComplaintWorkflow`` (``workflows.complaint``) decides; this base class keeps its
state and numbered events, raises each threshold on time (the warning, the breach,
the ladder's rungs), hands new events to the read model and tells supervisors of
each alert in office hours, as a case's loops do (``workflows.loops``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from applicant.complaints import (
    ComplaintAlert,
    ComplaintAlertNotice,
    ComplaintBatch,
    ComplaintInput,
    ComplaintState,
    Status,
    answer_days,
    refusal,
)
from workflows.actions import ActionMeta
from workflows.clocks import COMPUTE_TIMEOUT
from workflows.counting import LadderRequest, OfficeInstantRequest
from workflows.model import AlertLevel, Event, iso
from workflows.record import SYSTEM
from workflows.thresholds import RANK

# As a case's: projection waits out a PostgreSQL outage; channels are tried for three days.
_PROJECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)
_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10), maximum_interval=timedelta(minutes=10)
)
_DELIVERY_GIVE_UP = timedelta(days=3)
# The director answers complaints, so the director is alerted first; the ladder climbs on.
FIRST_ALERTED = AlertLevel.DIRECTOR

Threshold = tuple[Callable[[], Awaitable[None]], datetime]


class ComplaintRecord:
    def __init__(self, inp: ComplaintInput) -> None:
        self._inp = inp
        self._events: list[Event] = []
        self._projected = 0
        self._ready = False
        self._timers_changed = False
        self._keys: dict[str, str | None] = {}  # idempotency keys of the actions taken
        self._ladder: list[tuple[AlertLevel, datetime]] = []  # rungs still to climb
        self._to_notify: list[ComplaintAlert] = []
        self._state = ComplaintState(
            complaint_id=inp.complaint_id,
            channel=inp.channel,
            about=inp.about,
            complainant=inp.complainant,
            text=inp.text,
            complicated=inp.complicated,
            window=inp.window,
            units=list(inp.units),
            limit_days=answer_days(inp.complicated, inp.units),
            status=Status.OPEN,
            received_at=workflow.now(),
            received_by=inp.actor.staff_id,
            request_hash=inp.request_hash,
        )

    def _first_time(self, meta: ActionMeta) -> bool:
        """False for a retry of an action already taken; another body under its key is refused."""
        key = meta.idempotency_key
        if key is None or key not in self._keys:
            return True
        if self._keys[key] != meta.request_hash:
            raise refusal("idempotency_conflict", f"idempotency key {key!r} was used otherwise")
        return False

    # -- thresholds ------------------------------------------------------------------

    def _next_timer(self) -> Threshold | None:
        s = self._state
        if self._finished() or s.due_at is None or s.warn_at is None:
            return None
        due: list[Threshold] = []
        if self._ladder:
            due.append((self._escalate, self._ladder[0][1]))
        if not s.warned and s.warn_at < s.due_at:
            due.append((self._warn, s.warn_at))
        elif not s.overdue:
            due.append((self._breach, s.due_at))
        return min(due, key=lambda x: x[1]) if due else None

    async def _warn(self) -> None:
        self._state.warned = True
        self._raise("complaint.warned", "warning", FIRST_ALERTED)

    async def _breach(self) -> None:
        """Not answered in time: the director is alerted, and the ladder climbs from there."""
        s = self._state
        s.warned = s.overdue = True
        alert = self._raise("complaint.breached", "overdue", FIRST_ALERTED)
        rungs = [r for r in self._inp.policy.ladder if RANK[r.level] > RANK[alert.level]]
        if not rungs:
            return
        times: list[datetime] = await workflow.execute_activity(
            "ladder_times",
            LadderRequest(workflow.now(), [r.after_days for r in rungs], self._inp.calendar),
            result_type=list[datetime],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        if alert.acked_at is None and not self._finished():
            climb = [(r.level, at) for r, at in zip(rungs, times, strict=True)]
            self._ladder = sorted([*self._ladder, *climb], key=lambda x: x[1])

    async def _escalate(self) -> None:
        level, _ = self._ladder.pop(0)
        self._raise("complaint.escalated", "escalation", level)

    def _raise(self, event: str, threshold: str, level: AlertLevel) -> ComplaintAlert:
        alert = ComplaintAlert(
            f"{self._inp.complaint_id}-A{len(self._events) + 1}", threshold, level, workflow.now()
        )
        self._state.alerts.append(alert)
        self._to_notify.append(alert)
        self._emit(event, SYSTEM, due_at=iso(self._state.due_at), **self._alert_data(alert))
        return alert

    def _alert_data(self, alert: ComplaintAlert, reason: str | None = None) -> dict[str, Any]:
        data = {"alert_id": alert.id, "threshold": alert.threshold, "level": alert.level.value}
        return {**data, "window": self._state.window, **({"reason": reason} if reason else {})}

    # -- the loops: projection, timers, notification -----------------------------------

    async def _project_loop(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: len(self._events) > self._projected or self._finished()
            )
            if len(self._events) == self._projected:
                return
            batch = ComplaintBatch(
                self._inp.complaint_id,
                self._events[self._projected :],
                self._state,
                self._inp.calendar.timezone,
                self._inp.calendar.center,
            )
            await workflow.execute_activity(
                "project_complaint",
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_PROJECT_RETRY,
            )
            self._projected = batch.events[-1].seq

    async def _timer_loop(self) -> None:
        while not self._finished():
            self._timers_changed = False
            due = self._next_timer()
            timeout = None if due is None else max(due[1] - workflow.now(), timedelta(0))
            try:
                await workflow.wait_condition(
                    lambda: self._timers_changed or self._finished(), timeout=timeout
                )
            except TimeoutError:
                if due is not None:
                    await due[0]()

    async def _notify_loop(self) -> None:
        sending: list[asyncio.Task[None]] = []
        while True:
            await workflow.wait_condition(lambda: bool(self._to_notify) or self._finished())
            if not self._to_notify:
                break
            sending.append(asyncio.create_task(self._notify(self._to_notify.pop(0))))
        await asyncio.gather(*sending)

    async def _notify(self, alert: ComplaintAlert) -> None:
        """One alert: held until the office opens, then sent until every channel has it."""
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
            return  # acknowledged, or the complaint answered, while held
        s = self._state
        notice = ComplaintAlertNotice(
            alert.id,
            s.complaint_id,
            alert.threshold,
            alert.level,
            alert.raised_at,
            s.channel,
            s.window,
            s.due_at,
        )
        try:
            await workflow.execute_activity(
                "deliver_complaint_alert",
                notice,
                start_to_close_timeout=timedelta(minutes=2),
                schedule_to_close_timeout=_DELIVERY_GIVE_UP,
                retry_policy=_DELIVERY_RETRY,
            )
        except ActivityError:
            workflow.logger.warning("alert not delivered", extra={"alert_id": alert.id})

    # -- the record --------------------------------------------------------------------

    def _emit_by(self, meta: ActionMeta, type_: str, **data: Any) -> None:
        if meta.idempotency_key is not None:
            self._keys[meta.idempotency_key] = meta.request_hash
        self._emit(type_, meta.actor.staff_id, **data)

    def _emit(self, type_: str, actor: str, **data: Any) -> None:
        seq = len(self._events) + 1
        self._events.append(Event(seq=seq, type=type_, at=workflow.now(), actor=actor, data=data))
        self._state.last_seq = seq
        workflow.logger.info("complaint event", extra={"event_type": type_, "seq": seq})

    def _finished(self) -> bool:
        return self._state.status is Status.ANSWERED
