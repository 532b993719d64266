"""The case's record inside its workflow: state, numbered events, clocks, and the shared steps.

``CaseWorkflow`` (``workflows.case``) decides; this base class keeps what it
decides with. Nothing here does I/O except through activities, and time is
always the workflow's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from temporalio import workflow

from workflows import rules
from workflows.model import (
    ActionMeta,
    Alert,
    AlertLevel,
    CaseInput,
    CaseState,
    ClockPolicy,
    ClockSpec,
    ClocksRequest,
    Deadline,
    DeadlineRequest,
    Event,
    LadderRequest,
    Outcome,
    Pause,
    Rung,
    ShiftRequest,
    Status,
)

SYSTEM = "system"
# Limits counted from their record (receipt, days, extensions, pauses) instead of shifted.
LEDGER_PATCH = "deadline-ledger"
# The legal limit and each department's sign-off limit beside the promised one, the center's
# thresholds and ladder, and the restart-on-supply policy.
CLOCKS_PATCH = "clocks"
COMPUTE_TIMEOUT = timedelta(seconds=30)

PROMISED, LEGAL, UPWARD, RETURN = "promised", "legal", "upward", "return"
# A return after intake comes within 3 working days of receipt (退回件, 篇11).
RETURN_DAYS = 3
RETURN_PATCH = "return-limit"
# Who is alerted first when a clock runs out; the ladder climbs from there.
FIRST_ALERTED = {PROMISED: AlertLevel.WINDOW_HEAD, LEGAL: AlertLevel.DIRECTOR}
RANK = {AlertLevel.WINDOW_HEAD: 0, AlertLevel.DIRECTOR: 1, AlertLevel.DISCIPLINE: 2}

Threshold = tuple[Callable[[], Awaitable[None]], datetime]


def signoff_clock(department: str) -> str:
    return f"signoff:{department}"


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
        # Rungs still to climb, with when and for which clock: cleared by an acknowledgement.
        self._ladder: list[tuple[AlertLevel, datetime, str]] = []
        # The limits' record: recounting it in a changed calendar loses no paused time.
        self._start = workflow.now()  # receipt, or the supply of materials under a restart policy
        self._pauses: list[Pause] = []
        self._extended_days = 0
        self._legal_extended_days = 0
        self._paused_seconds = 0
        self._legal: Deadline | None = None  # the legal limit as last counted
        self._legal_warned = False
        self._promised_days = inp.service.promised_days  # an orphan matter's, once assigned
        self._review_open = False  # a returned case waits for a review request or its lapse
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
        self._raise("deadline.overdue", "overdue", AlertLevel.WINDOW_HEAD, UPWARD)

    async def _review_lapse(self) -> None:
        """No review was asked for within its period: the return is final."""
        self._review_open = False
        review = self._state.review
        assert review is not None
        self._emit("return.final", SYSTEM, review_until=iso(review.until))

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
        await self._climb(self._raise("deadline.overdue", "overdue", AlertLevel.WINDOW_HEAD))

    async def _legal_warn(self) -> None:
        self._legal_warned = True
        self._raise("deadline.warning", "warning", AlertLevel.WINDOW_HEAD, LEGAL)

    async def _legal_breach(self) -> None:
        """Past the legal limit: the director is alerted at once, and the ladder climbs on."""
        self._state.legal_overdue = True
        self._legal_warned = True
        await self._climb(self._raise("deadline.overdue", "overdue", FIRST_ALERTED[LEGAL], LEGAL))

    async def _signoff_breach(self, department: str) -> None:
        """A department late with its sign-off: its own window head is alerted."""
        entry = next(x for x in self._state.signoffs if x.department == department)
        if entry.decision is not None:
            return  # signed in time: nothing to raise
        entry.overdue = True
        clock = signoff_clock(department)
        self._raise("deadline.overdue", "overdue", AlertLevel.WINDOW_HEAD, clock, department)

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
        self._raise("case.escalated", "escalation", level, clock)

    def _raise(
        self,
        event: str,
        kind: str,
        level: AlertLevel,
        clock: str = PROMISED,
        window: str | None = None,
    ) -> Alert:
        """One event and one alert, named after the event that raised it."""
        alert_id = f"{self._inp.case_id}-A{len(self._events) + 1}"
        alert = Alert(alert_id, kind, level, workflow.now(), clock=clock, window=window)
        self._state.alerts.append(alert)
        self._to_notify.append(alert)
        extra = {"window": window} if window is not None else {}
        self._emit(
            event,
            SYSTEM,
            alert_id=alert_id,
            level=level.value,
            due_at=iso(self._due_of(clock)),
            clock=clock,
            **extra,
        )
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
            **({"legal_due_at": iso(s.legal_due_at)} if self._legal is not None else {}),
        )

    async def _recount(self) -> Deadline:
        """The limits counted again from their record: start, days, extensions, pauses.

        Returns the promised limit; the legal one is kept until ``_set_deadline``.
        """
        if workflow.patched(CLOCKS_PATCH):
            deadline = await self._count_clocks()
        else:  # cases received before the legal limit was counted
            deadline = await workflow.execute_activity(
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

    async def _count_clocks(self) -> Deadline:
        svc, policy = self._inp.service, self._policy()
        promised_days = self._promised_days + self._extended_days
        clocks = [ClockSpec(PROMISED, promised_days, policy.warn_days)]
        if workflow.patched(RETURN_PATCH):
            clocks.append(ClockSpec(RETURN, RETURN_DAYS, 0))
        if svc.legal_days > 0:
            legal_days = svc.legal_days + self._legal_extended_days
            clocks.append(ClockSpec(LEGAL, legal_days, policy.warn_days))
        counted: list[Deadline] = await workflow.execute_activity(
            "compute_clocks",
            ClocksRequest(self._start, clocks, self._inp.calendar, list(self._pauses)),
            result_type=list[Deadline],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        by_name = {c.name: d for c, d in zip(clocks, counted, strict=True)}
        self._legal = by_name.get(LEGAL)
        if RETURN in by_name:
            self._state.return_by = by_name[RETURN].due_at
        return by_name[PROMISED]

    def _policy(self) -> ClockPolicy:
        """The case's thresholds; an urgent case is warned at half its limit and climbs the
        ladder a working day sooner on every rung."""
        policy = self._inp.policy
        if not self._state.urgent:
            return policy
        return ClockPolicy(
            warn_days=max(policy.warn_days, (self._promised_days + 1) // 2),
            ladder=[Rung(r.level, max(r.after_days - 1, 0)) for r in policy.ladder],
            on_supply=policy.on_supply,
            signoff_days=policy.signoff_days,
        )

    async def _count_signoffs(self) -> None:
        """Each department still to sign off gets its limit, counted from the request."""
        waiting = [x for x in self._state.signoffs if x.decision is None and x.asked_at]
        if not waiting:
            return
        asked_at = waiting[0].asked_at
        assert asked_at is not None
        days = self._inp.policy.signoff_days
        counted: list[Deadline] = await workflow.execute_activity(
            "compute_clocks",
            ClocksRequest(
                asked_at,
                [ClockSpec(signoff_clock(x.department), days, 0) for x in waiting],
                self._inp.calendar,
            ),
            result_type=list[Deadline],
            start_to_close_timeout=COMPUTE_TIMEOUT,
        )
        for entry, deadline in zip(waiting, counted, strict=True):
            entry.due_at = deadline.due_at
        self._timers_changed = True

    async def _restart(self, meta: ActionMeta) -> None:
        """The center counts the limits anew from the supply of the missing materials."""
        s = self._state
        paused_from = self._paused_since
        self._paused_since = None
        s.paused = False
        self._start = workflow.now()
        self._pauses = []
        self._set_deadline(await self._recount())
        self._emit_by(
            meta,
            "clock.restarted",
            paused_from=iso(paused_from),
            restarted_at=iso(self._start),
            due_at=iso(s.due_at),
            legal_due_at=iso(s.legal_due_at),
        )

    def _close(self, meta: ActionMeta, result: Outcome, event: str, **data: Any) -> None:
        self._state.status = Status.COMPLETED
        self._state.outcome = result
        self._state.completed_at = workflow.now()
        self._state.paused = False
        due, legal = self._state.due_at, self._state.legal_due_at
        if legal is not None:
            data["legal_on_time"] = workflow.now() <= legal
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
        if self._legal is not None:
            s.legal_due_at = self._legal.due_at
            s.provisional = s.provisional or self._legal.provisional
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

    def _finished(self) -> bool:
        """Closed, and no review of a return still possible: the workflow may end."""
        return self._closed() and not self._review_open


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
