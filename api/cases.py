"""The API's side of a case: start its workflow, send it actions, read its live state.

Temporal decides; this module only translates. A rejected update becomes the
contract's error (the workflow names the code), a missing workflow a 404, an
action on a closed case a 409; Temporal down, a 503 (``api.errors``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from collections.abc import Iterator
from typing import Any, TypeVar

import structlog
from prometheus_client import Counter, Histogram
from pydantic import BaseModel

from api.context import AppContext
from api.errors import ApiError, not_found
from projections.center import StaffMember
from workflows.actions import ActionMeta
from workflows.client import (
    ActionRejected,
    CaseClient,
    CaseClosed,
    CaseNotFound,
    Update,
    case_workflow_id,
)
from workflows.model import (
    Actor,
    Applicant,
    CaseInput,
    CaseState,
    ClockPolicy,
    Event,
    ServiceSnapshot,
)

log = structlog.get_logger(__name__)

Arg = TypeVar("Arg")

ACTIONS = Counter("banjian_actions", "Staff actions on cases", ["action", "outcome"])
ACTION_SECONDS = Histogram("banjian_action_seconds", "Time to decide a staff action", ["action"])

_CASE_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_STATUS_FOR_CODE = {
    "invalid_transition": 409,
    "idempotency_conflict": 409,
    "forbidden": 403,
    "validation_error": 422,
}


def request_hash(body: BaseModel | dict[str, Any]) -> str:
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def action_hash(staff_id: str, action: str, body: BaseModel | dict[str, Any]) -> str:
    """What an action's ``Idempotency-Key`` is bound to: one action of one staff member with
    one body, so the same key on another action (even with the same body) is a conflict."""
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return request_hash({"staff": staff_id, "action": action, "body": data})


def new_case_id(center: str, staff_id: str, idempotency_key: str | None) -> str:
    """Random, or derived from the caller's idempotency key so that a retry finds the same case.
    The center is in the hash: staff ids are unique within a center only, and case ids across
    the deployment."""
    if idempotency_key is None:
        raw = secrets.token_bytes(8)
    else:
        raw = hashlib.sha256(f"{center}\0{staff_id}\0{idempotency_key}".encode()).digest()
    number = int.from_bytes(raw[:8], "big")
    chars = [_CASE_ID_ALPHABET[(number >> (5 * i)) & 31] for i in range(10)]
    return "BJ-" + "".join(reversed(chars))


def actor_of(staff: StaffMember) -> Actor:
    return Actor(staff_id=staff.id, role=staff.role, window=staff.window)


@contextlib.contextmanager
def counted(action: str) -> Iterator[None]:
    """Count the action by outcome and time it: ``accepted``; ``rejected`` when the answer is
    one of the contract's errors (the workflow or the API said no); ``failed`` otherwise."""
    outcome = "failed"
    with ACTION_SECONDS.labels(action).time():
        try:
            yield
            outcome = "accepted"
        except ApiError:
            outcome = "rejected"
            raise
        finally:
            ACTIONS.labels(action, outcome).inc()


def _refused(err: ActionRejected) -> Exception:
    """The contract's error for a refusal the workflow named; any other code is a fault."""
    if err.code in _STATUS_FOR_CODE:
        return ApiError(_STATUS_FOR_CODE[err.code], err.code, err.message)
    return err


class CaseGateway:
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._cases = CaseClient(
            ctx.client,
            ctx.center,
            bare_ids=ctx.directory.bare_workflow_ids,
            center_attribute=ctx.center_attribute,
        )

    async def receive(
        self,
        staff: StaffMember,
        service: ServiceSnapshot,
        applicant: Applicant,
        materials: list[str],
        urgent: bool,
        body_hash: str,
        idempotency_key: str | None,
    ) -> CaseState:
        """Start the case's workflow. A retry with the same key and body finds the first case."""
        case_id = new_case_id(staff.center, staff.id, idempotency_key)
        inp = CaseInput(
            case_id=case_id,
            service=service,
            applicant=applicant,
            materials=materials,
            urgent=urgent,
            actor=actor_of(staff),
            calendar=self._ctx.calendar,
            request_hash=body_hash,
            policy=self._ctx.directory.policies.get(service.code, ClockPolicy()),
        )
        with counted("receive"):
            return await self._receive(case_id, inp, body_hash)

    async def _receive(self, case_id: str, inp: CaseInput, body_hash: str) -> CaseState:
        try:
            state = await self._cases.receive(inp, self._ctx.task_queue)
        except CaseClosed:
            state = await self.live_state(case_id)  # a retry after the case was closed
        workflow_id = case_workflow_id(self._ctx.center, case_id)
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=workflow_id)
        if state.request_hash != body_hash:  # the key's first case, received with another body
            raise ApiError(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was already used with a different request",
            )
        return state

    async def act(
        self, case_id: str, action: str, update: Update[Arg], arg: Arg, meta: ActionMeta
    ) -> CaseState:
        """Send ``update`` (the action named ``action`` in routes and metrics) to the case."""
        workflow_id = case_workflow_id(self._ctx.center, case_id)
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=workflow_id)
        update_id = None
        if meta.idempotency_key is not None:
            update_id = f"{action}:{meta.idempotency_key}:{meta.request_hash}"
        with counted(action):
            try:
                state = await self._cases.act(case_id, update, arg, update_id=update_id)
            except ActionRejected as err:
                raise _refused(err) from None
            except CaseNotFound:
                raise not_found("case", case_id) from None
            except CaseClosed:
                raise ApiError(
                    409,
                    "invalid_transition",
                    f"action {action!r} is not allowed while case {case_id} is completed",
                ) from None
        log.info("case.action", action=action, seq=state.last_seq, status=state.status.value)
        return state

    async def live_state(self, case_id: str) -> CaseState:
        try:
            return await self._cases.state(case_id)
        except CaseNotFound:
            raise not_found("case", case_id) from None

    async def live_events(self, case_id: str) -> list[Event]:
        try:
            return await self._cases.events(case_id)
        except CaseNotFound:
            raise not_found("case", case_id) from None
