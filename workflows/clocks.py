"""The case's clocks: its limits counted from their record (start, working days,
extensions, pauses) by the calendar activities, paused, resumed and restarted.

Recounting the record in a changed calendar loses no paused time; each count is an
activity's answer, kept in the workflow's history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from temporalio import workflow

from workdays.deadline import Deadline, Pause
from workflows.actions import ActionMeta
from workflows.counting import ClockSpec, ClocksRequest, DeadlineRequest, ShiftRequest
from workflows.events import ClockPaused, ClockRestarted, ClockResumed, DeadlineRecalculated
from workflows.model import ClockPolicy, Rung, Status
from workflows.patches import CLOCKS_PATCH, LEDGER_PATCH, RETURN_PATCH
from workflows.record import CaseRecord

COMPUTE_TIMEOUT = timedelta(seconds=30)
T = TypeVar("T")

PROMISED, LEGAL, UPWARD, RETURN = "promised", "legal", "upward", "return"
# A return after intake comes within 3 working days of receipt (退回件, 篇11).
RETURN_DAYS = 3


def signoff_clock(department: str) -> str:
    return f"signoff:{department}"


class CaseClocks(CaseRecord):
    def _pause(self, meta: ActionMeta, event: ClockPaused) -> None:
        self._state.paused = True
        self._paused_since = workflow.now()
        self._timers_changed = True
        self._emit_by(meta, event)

    async def _resume(self, meta: ActionMeta) -> None:
        s = self._state
        if s.suspended or s.status is Status.NEEDS_MATERIALS or self._paused_since is None:
            return
        assert s.due_at is not None and s.warn_at is not None
        paused_from, paused_to = self._paused_since, workflow.now()
        if self._patched(LEDGER_PATCH):
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
        legal = s.legal_due_at if self._legal is not None else None
        self._emit_by(meta, ClockResumed(paused_from, paused_to, this_pause, s.due_at, legal))

    async def _recount(self) -> Deadline:
        """The limits counted again from their record: start, days, extensions, pauses.

        Returns the promised limit; the legal one is kept until ``_set_deadline``.
        """
        if self._patched(CLOCKS_PATCH):
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
        if self._patched(RETURN_PATCH):
            clocks.append(ClockSpec(RETURN, RETURN_DAYS, 0))
        if svc.legal_days > 0:
            legal_days = svc.legal_days + self._legal_extended_days
            clocks.append(ClockSpec(LEGAL, legal_days, policy.warn_days))
        counted = await self._count(
            "compute_clocks",
            ClocksRequest(self._start, clocks, self._inp.calendar, list(self._pauses)),
            list[Deadline],
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

    async def _recalculate(self, meta: ActionMeta, reason: str) -> None:
        """Count the limits again in the calendar as it stands; an event only if one moved."""
        s = self._state
        before, legal_before = s.due_at, s.legal_due_at
        signoffs_before = {x.department: x.due_at for x in s.signoffs}
        deadline = await self._recount()
        legal = self._legal.due_at if self._legal is not None else None
        if any(x.due_at is not None for x in s.signoffs):
            await self._count_signoffs()
        signoffs = {
            x.department: x.due_at for x in s.signoffs if x.due_at != signoffs_before[x.department]
        }
        if deadline.due_at != before or legal != legal_before or signoffs:
            self._set_deadline(deadline)
            self._emit_by(
                meta,
                DeadlineRecalculated(
                    reason=reason,
                    due_at_before=before,
                    due_at=deadline.due_at,
                    paused_office_seconds=deadline.paused_office_seconds,
                    provisional=s.provisional,
                    legal_due_at_before=legal_before if legal is not None else None,
                    legal_due_at=legal,
                    signoff_due_at=signoffs or None,
                ),
            )

    async def _restart(self, meta: ActionMeta) -> None:
        """The center counts the limits anew from the supply of the missing materials."""
        s = self._state
        paused_from = self._paused_since
        self._paused_since = None
        s.paused = False
        self._start = workflow.now()
        self._pauses = []
        self._set_deadline(await self._recount())
        self._emit_by(meta, ClockRestarted(paused_from, self._start, s.due_at, s.legal_due_at))

    async def _deadline(self, start: datetime, days: int) -> Deadline:
        return await self._count(
            "compute_deadline", DeadlineRequest(start, days, self._inp.calendar), Deadline
        )

    async def _count(self, activity: str, request: object, answer: type[T]) -> T:
        """A calendar activity's count: a local one while the case is received (its answer a
        marker in the history, the case received in the workflow's first task), a scheduled
        one after."""
        if self._receiving_locally:
            counted: T = await workflow.execute_local_activity(
                activity, request, result_type=answer, start_to_close_timeout=COMPUTE_TIMEOUT
            )
        else:
            counted = await workflow.execute_activity(
                activity, request, result_type=answer, start_to_close_timeout=COMPUTE_TIMEOUT
            )
        return counted

    def _set_deadline(self, deadline: Deadline) -> None:
        s = self._state
        s.due_at, s.warn_at = deadline.due_at, deadline.warn_at
        s.provisional = deadline.provisional
        if self._legal is not None:
            s.legal_due_at = self._legal.due_at
            s.provisional = s.provisional or self._legal.provisional
        # A warning or a breach, once raised, stands: a later deadline never raises it again.
        self._timers_changed = True
