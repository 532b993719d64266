"""The thresholds a case raises on time: warnings, breaches, the ladder's rungs, the one-time
notice, a late department or higher authority, and the end of a return's review period.

Each is one event and one alert (named after the event that raised it), raised by the
timer loop (``workflows.loops``) at the earliest instant ``_next_timer`` names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from temporalio import workflow

from workflows.clocks import COMPUTE_TIMEOUT, LEGAL, PROMISED, UPWARD, CaseClocks, signoff_clock
from workflows.counting import LadderRequest
from workflows.events import (
    AlertRaised,
    CaseEscalated,
    DeadlineOverdue,
    DeadlineWarning,
    NoticeOverdue,
    ReturnFinal,
)
from workflows.model import Alert, AlertLevel
from workflows.record import SYSTEM

# Who is alerted first when a clock runs out; the ladder climbs from there.
FIRST_ALERTED = {PROMISED: AlertLevel.WINDOW_HEAD, LEGAL: AlertLevel.DIRECTOR}
RANK = {AlertLevel.WINDOW_HEAD: 0, AlertLevel.DIRECTOR: 1, AlertLevel.DISCIPLINE: 2}

Threshold = tuple[Callable[[], Awaitable[None]], datetime]


class CaseThresholds(CaseClocks):
    def _next_timer(self) -> Threshold | None:
        """The earliest threshold still ahead: a rung, the one-time notice, a warning or a
        breach of the promised or the legal limit, a department's late sign-off."""
        s = self._state
        due: list[Threshold] = []
        if self._closed():  # only a returned case's review period is still running
            if s.review is not None and self._review_open and s.review.requested_at is None:
                due.append((self._review_lapse, s.review.until))
            return due[0] if due else None
        if self._ladder:
            due.append((self._escalate, self._ladder[0][1]))
        if s.notice_due_at is not None and not self._notice_settled:
            due.append((self._notice_breach, s.notice_due_at))
        if not (s.paused or s.due_at is None or s.warn_at is None):
            if not s.warned and s.warn_at < s.due_at:
                due.append((self._warn, s.warn_at))
            elif not s.overdue:
                due.append((self._breach, s.due_at))
        legal = self._legal
        if not (s.paused or legal is None or s.legal_overdue):
            if not self._legal_warned and legal.warn_at < legal.due_at:
                due.append((self._legal_warn, legal.warn_at))
            else:
                due.append((self._legal_breach, legal.due_at))
        for x in s.signoffs:
            if x.due_at is not None and x.decision is None and not x.overdue:
                due.append((partial(self._signoff_breach, x.department), x.due_at))
        up = s.upward
        if up is not None and up.due_at is not None and up.decision is None and not up.overdue:
            due.append((self._upward_overdue, up.due_at))
        return min(due, key=lambda x: x[1]) if due else None

    async def _upward_overdue(self) -> None:
        """The higher authority is late: the window head is alerted to chase it."""
        assert self._state.upward is not None
        self._state.upward.overdue = True
        self._raise(DeadlineOverdue, AlertLevel.WINDOW_HEAD, UPWARD)

    async def _review_lapse(self) -> None:
        """No review was asked for within its period: the return is final."""
        self._review_open = False
        review = self._state.review
        assert review is not None
        self._emit(ReturnFinal(review.until), SYSTEM)

    async def _notice_breach(self) -> None:
        """No one-time notice within its limit (一次性告知, 5 working days): a recorded breach."""
        self._notice_settled = True
        s = self._state
        self._emit(NoticeOverdue(s.materials_missing, s.notice_due_at), SYSTEM)

    async def _warn(self) -> None:
        self._state.warned = True
        self._raise(DeadlineWarning, AlertLevel.WINDOW_HEAD)

    async def _breach(self) -> None:
        """Overdue: alert the window head, and climb the ladder while nobody acknowledges."""
        self._state.overdue = True
        self._state.warned = True
        await self._climb(self._raise(DeadlineOverdue, AlertLevel.WINDOW_HEAD))

    async def _legal_warn(self) -> None:
        self._legal_warned = True
        self._raise(DeadlineWarning, AlertLevel.WINDOW_HEAD, LEGAL)

    async def _legal_breach(self) -> None:
        """Past the legal limit: the director is alerted at once, and the ladder climbs on."""
        self._state.legal_overdue = True
        self._legal_warned = True
        await self._climb(self._raise(DeadlineOverdue, FIRST_ALERTED[LEGAL], LEGAL))

    async def _signoff_breach(self, department: str) -> None:
        """A department late with its sign-off: its own window head is alerted."""
        entry = next(x for x in self._state.signoffs if x.department == department)
        if entry.decision is not None:
            return  # signed in time: nothing to raise
        entry.overdue = True
        clock = signoff_clock(department)
        self._raise(DeadlineOverdue, AlertLevel.WINDOW_HEAD, clock, department)

    async def _climb(self, alert: Alert) -> None:
        """Schedule the ladder's rungs above the alert's level, in the center's working days."""
        rungs = [r for r in self._policy().ladder if RANK[r.level] > RANK[alert.level]]
        if not rungs:
            return
        times: list[datetime] = await workflow.execute_activity(
            "ladder_times",
            LadderRequest(workflow.now(), [r.after_days for r in rungs], self._inp.calendar),
            result_type=list[datetime],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        if alert.acked_at is None and not self._closed():
            climb = [(r.level, at, alert.clock) for r, at in zip(rungs, times, strict=True)]
            self._ladder = sorted([*self._ladder, *climb], key=lambda x: x[1])

    async def _escalate(self) -> None:
        level, _, clock = self._ladder.pop(0)
        self._raise(CaseEscalated, level, clock)

    def _raise(
        self,
        event: type[AlertRaised],
        level: AlertLevel,
        clock: str = PROMISED,
        window: str | None = None,
    ) -> Alert:
        """One event and one alert, named after the event that raised it."""
        alert_id = f"{self._inp.case_id}-A{len(self._events) + 1}"
        alert = Alert(alert_id, event.ALERT_KIND, level, workflow.now(), clock=clock, window=window)
        self._state.alerts.append(alert)
        self._to_notify.append(alert)
        self._emit(event(alert_id, level, self._due_of(clock), clock, window), SYSTEM)
        return alert

    def _due_of(self, clock: str) -> datetime | None:
        if clock == PROMISED:
            return self._state.due_at
        if clock == LEGAL:
            return self._state.legal_due_at
        if clock == UPWARD:
            return self._state.upward.due_at if self._state.upward else None
        return next(
            (x.due_at for x in self._state.signoffs if signoff_clock(x.department) == clock), None
        )
