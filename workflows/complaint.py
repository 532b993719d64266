"""The complaint workflow: one per complaint, the authority on its limit, its alerts and answer.

Its limit (``applicant.complaints.answer_days``) is counted in the center's working days
by the calendar activity, as a case's is. The director is warned when the limit nears
and alerted when it passes; while nobody acknowledges the breach, the center's ladder
climbs on to discipline inspection (纪检监察). The director's answer closes it, and
settles its open alerts; the projection deducts an upheld complaint from the window's
score (``projections.complaints``). Nothing about the complainant goes into an event,
an alert or a log line: their name and phone live in the state, which the read model
keeps for the director and discipline inspection.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

from applicant.complaints import (
    CLOCK,
    Answer,
    ComplaintInput,
    ComplaintState,
    Status,
    check_acknowledgement,
    check_answer,
)
from workdays.deadline import Deadline
from workflows.actions import AcknowledgeAlert
from workflows.clocks import COMPUTE_TIMEOUT
from workflows.complaint_loops import ComplaintRecord
from workflows.counting import ClockSpec, ClocksRequest
from workflows.model import Pending, iso
from workflows.record import SYSTEM


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow(ComplaintRecord):
    @workflow.init
    def __init__(self, inp: ComplaintInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: ComplaintInput) -> ComplaintState:
        s = self._state
        counted: list[Deadline] = await workflow.execute_activity(
            "compute_clocks",
            ClocksRequest(
                s.received_at, [ClockSpec(CLOCK, s.limit_days, inp.policy.warn_days)], inp.calendar
            ),
            result_type=list[Deadline],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        s.due_at, s.warn_at = counted[0].due_at, counted[0].warn_at
        self._emit(
            "complaint.received",
            inp.actor.staff_id,
            channel=inp.channel.value,
            about={"window": s.about.window, "staff": s.about.staff, "case_id": s.about.case_id},
            window=s.window,
            units=s.units,
            complicated=s.complicated,
            limit_days=s.limit_days,
            due_at=iso(s.due_at),
        )
        self._ready = True
        await asyncio.gather(self._project_loop(), self._timer_loop(), self._notify_loop())
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    @workflow.update(name="intake")
    async def intake(self) -> ComplaintState:
        """Answers once the complaint is received and its limit counted; records nothing."""
        await workflow.wait_condition(lambda: self._ready)
        return self._state

    @workflow.query(name="state")
    def state(self) -> ComplaintState:
        return self._state

    @workflow.query(name="pending")
    def pending(self) -> Pending:
        """For the sandbox clock: is anything due by now still to be raised or projected?"""
        upcoming = self._next_timer()
        return Pending(
            projection_lag=len(self._events) - self._projected,
            next_threshold_at=upcoming[1] if upcoming else None,
            closed=self._finished(),
        )

    # -- the director's answer, and acknowledging an alert ----------------------------

    @workflow.update(name="answer")
    async def answer(self, a: Answer) -> ComplaintState:
        await workflow.wait_condition(lambda: self._ready)
        if not self._first_time(a.meta):
            return self._state
        check_answer(a, self._state)
        s, now = self._state, workflow.now()
        s.status, s.finding, s.answer = Status.ANSWERED, a.finding, a.text.strip()
        s.answered_at, s.answered_by = now, a.meta.actor.staff_id
        s.answer_hash = a.meta.request_hash
        s.on_time = s.due_at is None or now <= s.due_at
        self._emit_by(
            a.meta,
            "complaint.answered",
            finding=a.finding.value,
            on_time=s.on_time,
            window=s.window,
            written=s.channel.value == "letter",
        )
        for alert in s.alerts:  # the late answer they named is given
            if alert.acked_at is None:
                alert.acked_at, alert.acked_by = now, SYSTEM
                self._emit("alert.acknowledged", SYSTEM, **self._alert_data(alert, "answered"))
        self._timers_changed = True
        return s

    @answer.validator
    def _v_answer(self, a: Answer) -> None:
        if self._first_time(a.meta):
            check_answer(a, self._state)

    @workflow.update(name="acknowledge-alert")
    async def acknowledge_alert(self, a: AcknowledgeAlert) -> ComplaintState:
        await workflow.wait_condition(lambda: self._ready)
        if not self._first_time(a.meta):
            return self._state
        check_acknowledgement(a.meta.actor, a.alert_id, self._state)
        alert = next(x for x in self._state.alerts if x.id == a.alert_id)
        alert.acked_at, alert.acked_by = workflow.now(), a.meta.actor.staff_id
        if alert.threshold != "warning":  # acknowledging the breach stops the climb
            self._ladder = []
            self._timers_changed = True
        self._emit_by(a.meta, "alert.acknowledged", **self._alert_data(alert))
        return self._state

    @acknowledge_alert.validator
    def _v_ack(self, a: AcknowledgeAlert) -> None:
        if self._first_time(a.meta):
            check_acknowledgement(a.meta.actor, a.alert_id, self._state)
