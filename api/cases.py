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
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from pydantic import BaseModel
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.context import AppContext
from api.errors import ApiError, not_found
from projections.center import StaffMember
from workflows.actions import ActionMeta
from workflows.case import CaseWorkflow
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


def new_case_id(staff_id: str, idempotency_key: str | None) -> str:
    """Random, or derived from the caller's idempotency key so that a retry finds the same case."""
    if idempotency_key is None:
        raw = secrets.token_bytes(8)
    else:
        raw = hashlib.sha256(f"{staff_id}\0{idempotency_key}".encode()).digest()
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


def _rejection(err: WorkflowUpdateFailedError) -> ApiError:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in _STATUS_FOR_CODE:
        return ApiError(_STATUS_FOR_CODE[cause.type], cause.type, cause.message)
    raise err


class CaseGateway:
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def _handle(self, case_id: str) -> WorkflowHandle[Any, Any]:
        return self._ctx.client.get_workflow_handle(case_id)

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
        case_id = new_case_id(staff.id, idempotency_key)
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
        created = True
        try:
            await self._ctx.client.start_workflow(
                CaseWorkflow.run,
                inp,
                id=case_id,
                task_queue=self._ctx.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            created = False
        try:
            state = await self.received(case_id)
        except RPCError:
            if created:
                raise
            state = await self.live_state(case_id)  # a retry after the case was closed
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=case_id)
        if not created and state.request_hash != body_hash:
            raise ApiError(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was already used with a different request",
            )
        return state

    async def received(self, case_id: str) -> CaseState:
        """The state once intake is done (the due date computed)."""
        state: CaseState = await self._handle(case_id).execute_update(
            "intake", id="intake", result_type=CaseState
        )
        return state

    async def act(self, case_id: str, action: str, arg: Any, meta: ActionMeta) -> CaseState:
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=case_id)
        update_id = None
        if meta.idempotency_key is not None:
            update_id = f"{action}:{meta.idempotency_key}:{meta.request_hash}"
        with counted(action):
            try:
                state: CaseState = await self._handle(case_id).execute_update(
                    action, arg, id=update_id, result_type=CaseState
                )
            except WorkflowUpdateFailedError as err:
                raise _rejection(err) from None
            except RPCError as err:
                raise await self._closed_or_missing(case_id, action, err) from None
        log.info("case.action", action=action, seq=state.last_seq, status=state.status.value)
        return state

    async def live_state(self, case_id: str) -> CaseState:
        try:
            state: CaseState = await self._handle(case_id).query("state", result_type=CaseState)
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise not_found("case", case_id) from None
            raise
        return state

    async def live_events(self, case_id: str) -> list[Event]:
        try:
            events: list[Event] = await self._handle(case_id).query(
                "events", result_type=list[Event]
            )
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise not_found("case", case_id) from None
            raise
        return events

    async def _closed_or_missing(self, case_id: str, action: str, err: RPCError) -> Exception:
        if err.status == RPCStatusCode.UNAVAILABLE:
            return err  # Temporal is down: nothing to ask it (a 503, see api.errors)
        state = await self.live_state(case_id)  # raises case_not_found when there is no case
        if state.status.value == "completed":
            return ApiError(
                409,
                "invalid_transition",
                f"action {action!r} is not allowed while case {case_id} is completed",
            )
        return err
