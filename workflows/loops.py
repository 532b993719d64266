"""The three loops every case runs beside its staff actions.

The projector hands new events to the read model (and, once received, recounts the
case if the calendar changed meanwhile): since ``write-through``, an action's answer
carries its events and the API writes them before it answers, so the projector waits
``WRITE_GRACE`` (or until the case closes) and then writes, in one batch, whatever is
still unwritten; a batch the API wrote already costs the read model one lookup. Events
no answer carries (a warning, a breach) are written at once.

The timer loop raises each threshold on time (warning, breach, ladder rungs, the
one-time notice), and the notifier tells supervisors of each alert in office hours.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.actions import ActionMeta
from workflows.clocks import COMPUTE_TIMEOUT
from workflows.counting import OfficeInstantRequest
from workflows.model import Actor, Alert, AlertNotice, ProjectionBatch, Role
from workflows.patches import INTAKE_CALENDAR_PATCH, PARALLEL_NOTIFY_PATCH, WRITE_THROUGH_PATCH
from workflows.record import SYSTEM
from workflows.thresholds import CaseThresholds

# Channels are retried with backoff for up to three days; every attempt is recorded.
_DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)
_DELIVERY_GIVE_UP = timedelta(days=3)
# Projection waits out a PostgreSQL outage, however long.
_PROJECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
_SYSTEM_META = ActionMeta(Actor(SYSTEM, Role.OPS, None))
# How long the projector leaves new events to the actions' callers: how far the read model
# lags at most behind an event nobody else writes (a warning, an answer the API lost).
WRITE_GRACE = timedelta(seconds=2)


class CaseLoops(CaseThresholds):
    async def _project_loop(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: len(self._events) > self._projected or self._finished()
            )
            if len(self._events) == self._projected:
                return
            if self._patched(WRITE_THROUGH_PATCH):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(self._write_now, timeout=WRITE_GRACE)
            batch = ProjectionBatch(
                self._inp.case_id, self._events[self._projected :], self._state, self._inp.calendar
            )
            answer = await workflow.execute_activity(
                "project_events",
                batch,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_PROJECT_RETRY,
            )
            self._projected = batch.events[-1].seq
            if batch.events[0].seq == 1:
                self._deprecate(INTAKE_CALENDAR_PATCH)
                await self._recount_if_calendar_changed(answer if type(answer) is int else None)

    def _write_now(self) -> bool:
        """The case closed, or holds events that no answer carries (raised by its timers, or
        by an action whose answer is still to come: no handler is running, so none is)."""
        unhanded = len(self._events) > self._handed
        return self._finished() or (unhanded and workflow.all_handlers_finished())

    async def _recount_if_calendar_changed(self, version: int | None) -> None:
        """The calendar changed between counting the limits at intake and the case's first
        projection: the change's own recount may not have found the case, so it recounts."""
        counted = self._counted_version
        if version is None or counted is None or version == counted:
            return
        async with self._lock:
            if not self._closed():
                await self._recalculate(_SYSTEM_META, "受理时节假日安排或闭馆有变化，重新计算时限")

    async def _notify_loop(self) -> None:
        """Tell supervisors of each alert, in office hours, until every channel has it. Each
        alert is delivered on its own, so a channel that keeps failing for one alert does not
        hold back the next (a director's escalation behind a window head's warning)."""
        sending: list[asyncio.Task[None]] = []
        while True:
            await workflow.wait_condition(lambda: bool(self._to_notify) or self._finished())
            if not self._to_notify:
                break
            alert = self._to_notify.pop(0)
            if self._patched(PARALLEL_NOTIFY_PATCH):
                sending.append(asyncio.create_task(self._notify(alert)))
            else:
                await self._notify(alert)
        await asyncio.gather(*sending)

    async def _notify(self, alert: Alert) -> None:
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
            return  # seen and acknowledged while held: nobody needs a message
        s = self._state
        notice = AlertNotice(
            alert.id,
            s.case_id,
            alert.kind,
            alert.level,
            alert.raised_at,
            s.service_name,
            s.window,
            s.assignee,
            s.due_at,
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
