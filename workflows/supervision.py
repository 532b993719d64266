"""What supervisors and ops do to a case: acknowledge an alert (which stops its clock's
climb up the ladder) and recount its limits after the center's calendar changed."""

from __future__ import annotations

from temporalio import workflow

from workflows import rules
from workflows.actions import AcknowledgeAlert, Recalculate
from workflows.events import AlertAcknowledged
from workflows.loops import CaseLoops
from workflows.model import Answer
from workflows.patches import WARNING_ACK_PATCH
from workflows.record import Acting


class Supervision(CaseLoops):
    @workflow.update(name="acknowledge-alert")
    async def acknowledge_alert(self, a: AcknowledgeAlert) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_ack(a)) as act:
            if not act:
                return self._answer()
            alert = next(x for x in self._state.alerts if x.id == a.alert_id)
            alert.acked_at, alert.acked_by = workflow.now(), a.meta.actor.staff_id
            # Acknowledging the breach stops the climb; acknowledging the warning does not.
            if alert.kind == "warning":
                self._deprecate(WARNING_ACK_PATCH)
            else:
                self._ladder = [r for r in self._ladder if r[2] != alert.clock]
                self._timers_changed = True
            self._emit_by(a.meta, AlertAcknowledged(alert.id, alert.kind, alert.level))
        return self._answer()

    @acknowledge_alert.validator
    def _v_ack(self, a: AcknowledgeAlert) -> None:
        alert = next((x for x in self._state.alerts if x.id == a.alert_id), None)
        # A late department's alert is its own window's to acknowledge.
        department = alert.window if alert is not None else None
        if self._precheck("acknowledge-alert", a.meta, department):
            rules.check_acknowledgement(a, self._state)

    @workflow.update(name="recalculate")
    async def recalculate(self, a: Recalculate) -> Answer:
        """The calendar changed: count the limit again; an event only if it moved."""
        async with Acting(self, a.meta, lambda: self._v_recalc(a)) as act:
            if not act:
                return self._answer()
            await self._recalculate(a.meta, a.reason)
        return self._answer()

    @recalculate.validator
    def _v_recalc(self, a: Recalculate) -> None:
        if self._precheck("recalculate", a.meta):
            rules.written_reason(a.reason, "a recalculation")
