"""Materials: the one-time notice of what is missing (一次性告知, 行政许可法 Art. 32), and
the applicant's supply, which resumes the clock or, by the center's policy, restarts it.

Staff actions like those in ``workflows.case``: an update whose validator applies
the rule and records nothing when it refuses.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import rules
from workflows.actions import RequestMaterials, SupplyMaterials
from workflows.events import ClockPaused, MaterialsRequested, MaterialsSupplied
from workflows.loops import CaseLoops
from workflows.model import Answer, CaseState, Status, Supply
from workflows.patches import CLOCKS_PATCH, MISSING_KEPT_PATCH
from workflows.record import Acting

# Missing materials are named in one notice within 5 working days (行政许可法 Art. 32).
NOTICE_DAYS = 5


class Materials(CaseLoops):
    @workflow.update(name="request-materials")
    async def request_materials(self, a: RequestMaterials) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_request(a)) as act:
            if not act:
                return self._answer()
            s = self._state
            first = not any(e.type == MaterialsRequested.TYPE for e in self._events)
            late = first and s.notice_due_at is not None and workflow.now() > s.notice_due_at
            self._resume_to = s.status
            s.status = Status.NEEDS_MATERIALS
            if self._patched(MISSING_KEPT_PATCH):
                # A request for defective materials adds to what is still missing.
                s.materials_missing = sorted(set(s.materials_missing) | set(a.missing))
            else:
                s.materials_missing = sorted(set(a.missing))
            self._emit_by(
                a.meta, MaterialsRequested(s.materials_missing, a.note, late, a.defective)
            )
            self._notice_given()
            self._pause(a.meta, ClockPaused("materials"))
        return self._answer()

    @request_materials.validator
    def _v_request(self, a: RequestMaterials) -> None:
        if self._precheck("request-materials", a.meta):
            rules.known_materials(a.missing, self._catalog, "a materials request")
            asked = any(e.type == MaterialsRequested.TYPE for e in self._events)
            check_materials_request(a, self._state, asked)

    @workflow.update(name="supply-materials")
    async def supply_materials(self, a: SupplyMaterials) -> Answer:
        async with Acting(self, a.meta, lambda: self._v_supply(a)) as act:
            if not act:
                return self._answer()
            s = self._state
            s.materials = sorted(set(s.materials) | set(a.materials))
            s.materials_missing = sorted(set(s.materials_missing) - set(a.materials))
            self._emit_by(a.meta, MaterialsSupplied(sorted(set(a.materials)), s.materials_missing))
            if not s.materials_missing:
                self._notice_given()
                s.status = self._resume_to
                if self._restarts_on_supply():
                    await self._restart(a.meta)
                else:
                    await self._resume(a.meta)
        return self._answer()

    def _restarts_on_supply(self) -> bool:
        return (
            self._inp.policy.on_supply is Supply.RESTART
            and self._paused_since is not None
            and not self._state.suspended
            and self._patched(CLOCKS_PATCH)
        )

    @supply_materials.validator
    def _v_supply(self, a: SupplyMaterials) -> None:
        if self._precheck("supply-materials", a.meta):
            rules.known_materials(a.materials, self._catalog, "a materials supply")


def check_materials_request(a: RequestMaterials, state: CaseState, asked_before: bool) -> None:
    """一次性告知: the first request names every material known to be missing, whether or not
    it also finds supplied ones defective; a later one is only for materials supplied but
    found defective."""
    if a.defective:
        claimed = set(a.missing) - set(state.materials_missing)
        not_supplied = sorted(claimed - set(state.materials))
        if not_supplied:
            raise rules.validation_error(
                f"only supplied materials can be found defective: {', '.join(not_supplied)}"
            )
        if asked_before:
            return
    elif asked_before:
        raise rules.invalid_transition(
            "request-materials",
            state,
            "the missing materials were already named in one notice (一次性告知);"
            " a second request is only for materials supplied but found defective",
        )
    left_out = sorted(set(state.materials_missing) - set(a.missing))
    if left_out:
        raise rules.validation_error(
            "a materials request names every material known to be missing at once"
            f" (一次性告知); left out: {', '.join(left_out)}"
        )
