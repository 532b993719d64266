"""The case's record inside its workflow: state, numbered events, clocks, and the shared steps.

``CaseWorkflow`` (``workflows.case``) decides; this base class keeps what it
decides with. Nothing here does I/O except through activities, and time is
always the workflow's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from workflows import rules
from workflows.model import (
    ActionMeta,
    Alert,
    AlertLevel,
    CaseInput,
    CaseState,
    Deadline,
    DeadlineRequest,
    Event,
    LadderRequest,
    Outcome,
    Pause,
    ShiftRequest,
    Status,
)

SYSTEM = "system"
# Limits counted from their record (receipt, days, extensions, pauses) instead of shifted.
LEDGER_PATCH = "deadline-ledger"
COMPUTE_TIMEOUT = timedelta(seconds=30)

# The default ladder: overdue → window head; unacknowledged one working day → director;
# three → discipline inspection (纪检监察).
LADDER = (
    (AlertLevel.WINDOW_HEAD, 0),
    (AlertLevel.DIRECTOR, 1),
    (AlertLevel.DISCIPLINE, 3),
)


class CaseRecord:
    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._events: list[Event] = []
        self._projected = 0
        self._keys: dict[str, str | None] = {}
        self._ready = False
        self._timers_changed = False
        self._paused_since: datetime | None = None
        self._resume_to = Status.RECEIVED
        # Rungs still to climb, with when: cleared by an acknowledgement or a new deadline.
        self._ladder: list[tuple[AlertLevel, datetime]] = []
        # The limit's record: recounting it in a changed calendar loses no paused time.
        self._pauses: list[Pause] = []
        self._extended_days = 0
        self._paused_seconds = 0
        self._to_notify: list[Alert] = []
        self._notice_settled = False  # raised, not yet handed to the supervisors' channels
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

    # -- clocks ------------------------------------------------------------

    def _next_timer(self) -> tuple[Callable[[], Awaitable[None]], datetime] | None:
        """The earliest threshold still ahead: a rung, the one-time notice, a warning, a breach."""
        s = self._state
        due: list[tuple[Callable[[], Awaitable[None]], datetime]] = []
        if self._ladder:
            due.append((self._escalate, self._ladder[0][1]))
        if s.notice_due_at is not None and not self._notice_settled:
            due.append((self._notice_breach, s.notice_due_at))
        if not (s.paused or s.due_at is None or s.warn_at is None):
            if not s.warned and s.warn_at < s.due_at:
                due.append((self._warn, s.warn_at))
            elif not s.overdue:
                due.append((self._breach, s.due_at))
        return min(due, key=lambda x: x[1]) if due else None

    async def _notice_breach(self) -> None:
        """No one-time notice within its limit (一次性告知, 5 working days): a recorded breach."""
        self._notice_settled = True
        self._emit(
            "notice.overdue",
            SYSTEM,
            missing=self._state.materials_missing,
            due_at=iso(self._state.notice_due_at),
        )

    def _notice_given(self) -> None:
        """The applicant was told, or no longer needs telling: the notice clock stops."""
        if not self._notice_settled:
            self._notice_settled = True
            self._timers_changed = True

    async def _warn(self) -> None:
        self._state.warned = True
        self._raise("deadline.warning", "warning", AlertLevel.WINDOW_HEAD)

    async def _breach(self) -> None:
        """Overdue: alert the window head, and climb the ladder while nobody acknowledges."""
        self._state.overdue = True
        self._state.warned = True
        overdue = self._raise("deadline.overdue", "overdue", AlertLevel.WINDOW_HEAD)
        rungs = [(level, days) for level, days in LADDER if level is not AlertLevel.WINDOW_HEAD]
        times: list[datetime] = await workflow.execute_activity(
            "ladder_times",
            LadderRequest(workflow.now(), [d for _, d in rungs], self._inp.calendar),
            result_type=list[datetime],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        if overdue.acked_at is None and not self._closed():
            self._ladder = [(level, at) for (level, _), at in zip(rungs, times, strict=True)]

    async def _escalate(self) -> None:
        level, _ = self._ladder.pop(0)
        self._raise("case.escalated", "escalation", level)

    def _raise(self, event: str, kind: str, level: AlertLevel) -> Alert:
        """One event and one alert, named after the event that raised it."""
        alert = Alert(f"{self._inp.case_id}-A{len(self._events) + 1}", kind, level, workflow.now())
        self._state.alerts.append(alert)
        self._to_notify.append(alert)
        alert_id = alert.id
        self._emit(
            event, SYSTEM, alert_id=alert_id, level=level.value, due_at=iso(self._state.due_at)
        )
        return alert

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
        paused_from, paused_to = self._paused_since, workflow.now()
        if workflow.patched(LEDGER_PATCH):
            self._pauses.append(Pause(paused_from, paused_to))
            before = self._paused_seconds
            shifted = await self._recount()
            this_pause = shifted.paused_office_seconds - before
        else:  # cases received before the limit's record was kept
            shifted = await workflow.execute_activity(
                "shift_deadline",
                ShiftRequest(s.due_at, s.warn_at, paused_from, paused_to, self._inp.calendar),
                result_type=Deadline,
                start_to_close_timeout=COMPUTE_TIMEOUT,
            )
            this_pause = shifted.paused_office_seconds
        self._paused_since = None
        s.paused = False
        self._set_deadline(shifted)
        self._emit_by(
            meta,
            "clock.resumed",
            paused_from=paused_from.isoformat(),
            paused_to=paused_to.isoformat(),
            paused_office_seconds=this_pause,
            due_at=iso(s.due_at),
        )

    async def _recount(self) -> Deadline:
        """The promised limit counted again from its record: receipt, days, extensions, pauses."""
        deadline: Deadline = await workflow.execute_activity(
            "compute_deadline",
            DeadlineRequest(
                self._state.received_at,
                self._inp.service.promised_days + self._extended_days,
                self._inp.calendar,
                list(self._pauses),
            ),
            result_type=Deadline,
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        self._paused_seconds = deadline.paused_office_seconds
        return deadline

    def _close(self, meta: ActionMeta, result: Outcome, event: str, **data: Any) -> None:
        self._state.status = Status.COMPLETED
        self._state.outcome = result
        self._state.completed_at = workflow.now()
        self._state.paused = False
        due = self._state.due_at
        self._emit_by(meta, event, on_time=due is None or workflow.now() <= due, **data)
        self._notice_given()
        self._timers_changed = True

    async def _deadline(self, start: datetime, days: int) -> Deadline:
        result: Deadline = await workflow.execute_activity(
            "compute_deadline",
            DeadlineRequest(start, days, self._inp.calendar),
            result_type=Deadline,
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        return result

    def _set_deadline(self, deadline: Deadline) -> None:
        s = self._state
        s.due_at, s.warn_at = deadline.due_at, deadline.warn_at
        s.provisional = deadline.provisional
        # A warning or a breach, once raised, stands: a later deadline never raises it again.
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


class Acting:
    """Waits until the case is received and no other action runs, then re-checks the action."""

    def __init__(self, wf: CaseRecord, meta: ActionMeta, validate: Callable[[], None]) -> None:
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


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
