"""The case's record inside its workflow: state, numbered events, and the shared steps.

``CaseWorkflow`` (``workflows.case``) decides; this base class keeps what it
decides with, and ``workflows.clocks`` counts its limits on top of it. Nothing
here does I/O except through activities, and time is always the workflow's own.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

from workdays.deadline import Deadline, Pause
from workflows import patches, rules
from workflows.actions import ActionMeta
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import AlertAcknowledged
from workflows.model import (
    Alert,
    AlertLevel,
    Answer,
    CaseInput,
    CaseState,
    Event,
    Outcome,
    Status,
)
from workflows.patches import CLOSE_SETTLES_PATCH

SYSTEM = "system"


class CaseRecord:
    def __init__(self, inp: CaseInput) -> None:
        self._inp = inp
        self._events: list[Event] = []
        self._projected = 0
        self._handed = 0  # the events up to this seq went out in an action's answer
        self._keys: dict[str, str | None] = {}
        self._ready = False
        self._receiving_locally = False  # intake's counts run as local activities (clocks)
        # The patches taken as applied, by the settled marker it was received under (set by run).
        self._settled: frozenset[str] = frozenset()
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
        # The calendar version the limits were counted in at intake; None: none counted.
        self._counted_version: int | None = None
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

    # -- shared steps ------------------------------------------------------

    def _answer(self) -> Answer:
        """An action's answer: the state, with every event not yet written by the projector."""
        s = self._state
        self._handed = len(self._events)
        return Answer(
            **{f.name: getattr(s, f.name) for f in dataclasses.fields(CaseState)},
            fresh=self._events[self._projected :],
            calendar=self._inp.calendar,
        )

    def _patched(self, patch: str) -> bool:
        return patches.patched(self._settled, patch)

    def _deprecate(self, patch: str) -> None:
        patches.deprecate(self._settled, patch)

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

    def _notice_given(self) -> None:
        """The applicant was told, or no longer needs telling: the notice clock stops."""
        if not self._notice_settled:
            self._notice_settled = True
            self._timers_changed = True

    def _close(self, meta: ActionMeta, result: Outcome, event: DomainEvent) -> None:
        """Close the case with the event that says how (completed, returned, withdrawn)."""
        self._state.status = Status.COMPLETED
        self._state.outcome = result
        self._state.completed_at = workflow.now()
        self._state.paused = False
        self._emit_by(meta, event)
        self._notice_given()
        self._timers_changed = True
        if self._patched(CLOSE_SETTLES_PATCH):
            self._settle_alerts()

    def _on_time(self) -> bool:
        due = self._state.due_at
        return due is None or workflow.now() <= due

    def _legal_on_time(self) -> bool | None:
        """None when no legal limit is counted."""
        legal = self._state.legal_due_at
        return None if legal is None else workflow.now() <= legal

    def _settle_alerts(self) -> None:
        """A closed case's open alerts are settled with it: its workflow ends, so nobody
        could acknowledge them later, and the late work they named is done."""
        for alert in self._state.alerts:
            if alert.acked_at is None:
                alert.acked_at, alert.acked_by = workflow.now(), SYSTEM
                self._emit(
                    AlertAcknowledged(alert.id, alert.kind, alert.level, reason="case_closed"),
                    SYSTEM,
                )

    def _emit_by(self, meta: ActionMeta, event: DomainEvent) -> None:
        if meta.idempotency_key is not None:
            self._keys[meta.idempotency_key] = meta.request_hash
        self._emit(event, meta.actor.staff_id)

    def _emit(self, event: DomainEvent, actor: str) -> None:
        seq = len(self._events) + 1
        self._events.append(recorded(seq, workflow.now(), actor, event))
        self._state.last_seq = seq
        workflow.logger.info(
            "case event", extra={"event_type": event.TYPE, "seq": seq, "actor": actor}
        )

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
