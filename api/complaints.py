"""The API's side of a complaint: its workflow started, answered and acknowledged.

Temporal decides, as for a case: the complaint's workflow is started on receipt,
answered and acknowledged through updates, and a refused update becomes the
contract's error. Each answer waits, briefly, for the read model to show it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.cases import action_hash, actor_of, counted, new_case_id
from api.context import AppContext
from api.errors import ApiError, not_found
from api.owner import center_memo, ensure_owned
from api.schemas import AlertOut
from applicant.complaints import PREFIX, ComplaintInput, ComplaintState
from projections.center import StaffMember
from projections.complaints import projected_seq
from projections.db import DB_ERRORS
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.complaint import ComplaintWorkflow

log = structlog.get_logger(__name__)

PROJECTION_WAIT_SECONDS = 5.0
_STATUS_FOR_CODE = {
    "invalid_transition": 409,
    "idempotency_conflict": 409,
    "forbidden": 403,
    "validation_error": 422,
}


def new_complaint_id(center: str, staff_id: str, idempotency_key: str | None) -> str:
    return PREFIX + new_case_id(center, staff_id, idempotency_key).removeprefix("BJ-")


def _rejection(err: WorkflowUpdateFailedError) -> ApiError:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in _STATUS_FOR_CODE:
        return ApiError(_STATUS_FOR_CODE[cause.type], cause.type, cause.message)
    raise err


class ComplaintGateway:
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def _handle(self, complaint_id: str) -> WorkflowHandle[Any, Any]:
        return self._ctx.client.get_workflow_handle(complaint_id)

    async def receive(self, inp: ComplaintInput) -> ComplaintState:
        """Start the complaint's workflow; a retry with the same key and body finds it."""
        created = True
        with counted("complaint-receive"):
            try:
                await self._ctx.client.start_workflow(
                    ComplaintWorkflow.run,
                    inp,
                    id=inp.complaint_id,
                    task_queue=self._ctx.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    memo=center_memo(self._ctx),
                )
            except WorkflowAlreadyStartedError:
                created = False
            try:
                state: ComplaintState = await self._handle(inp.complaint_id).execute_update(
                    "intake", id="intake", result_type=ComplaintState
                )
            except RPCError:
                if created:
                    raise
                state = await self.live_state(inp.complaint_id)  # answered meanwhile
            if not created and state.request_hash != inp.request_hash:
                raise ApiError(
                    409,
                    "idempotency_conflict",
                    "this Idempotency-Key was already used with a different request",
                )
        structlog.contextvars.bind_contextvars(complaint_id=inp.complaint_id)
        await self._projected(state)
        return state

    async def _projected(self, state: ComplaintState) -> None:
        """Wait, briefly, for the read model to show what was decided: the reads that follow
        an answer then see it. PostgreSQL slow or down, the answer goes out all the same."""
        loop = asyncio.get_running_loop()
        until = loop.time() + PROJECTION_WAIT_SECONDS
        while loop.time() < until:
            with contextlib.suppress(*DB_ERRORS):
                seq = await projected_seq(self._ctx.pool, state.complaint_id)
                if seq >= state.last_seq:
                    return
            await asyncio.sleep(0.02)

    async def act(
        self, complaint_id: str, action: str, arg: Any, meta: ActionMeta
    ) -> ComplaintState:
        structlog.contextvars.bind_contextvars(complaint_id=complaint_id)
        await ensure_owned(self._ctx, "complaint", complaint_id)
        update_id = None
        if meta.idempotency_key is not None:
            update_id = f"{action}:{meta.idempotency_key}:{meta.request_hash}"
        with counted(f"complaint-{action}"):
            try:
                state: ComplaintState = await self._handle(complaint_id).execute_update(
                    action, arg, id=update_id, result_type=ComplaintState
                )
            except WorkflowUpdateFailedError as err:
                raise _rejection(err) from None
            except RPCError as err:
                if err.status == RPCStatusCode.UNAVAILABLE:
                    raise
                return await self._after_close(complaint_id, action, meta)
        log.info("complaint.action", action=action, seq=state.last_seq)
        await self._projected(state)
        return state

    async def _after_close(
        self, complaint_id: str, action: str, meta: ActionMeta
    ) -> ComplaintState:
        """An action on an answered complaint (its workflow has ended): the answer's own retry
        finds it; anything else is too late."""
        state = await self.live_state(complaint_id)
        if action == "answer" and meta.idempotency_key and state.answer_hash == meta.request_hash:
            return state
        raise ApiError(
            409,
            "invalid_transition",
            f"action {action!r} is not allowed while complaint {complaint_id} is answered",
        )

    async def live_state(self, complaint_id: str) -> ComplaintState:
        await ensure_owned(self._ctx, "complaint", complaint_id)
        try:
            state: ComplaintState = await self._handle(complaint_id).query(
                "state", result_type=ComplaintState
            )
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise not_found("complaint", complaint_id) from None
            raise
        return state


async def acknowledge_complaint_alert(
    ctx: AppContext, staff: StaffMember, alert_id: str, idempotency_key: str | None
) -> AlertOut:
    """A complaint's alert (``<complaint>-A<seq>``) is acknowledged in its workflow, which
    stops the climb: by the director, or by discipline inspection at its own rung."""
    complaint_id, sep, seq = alert_id.rpartition("-A")
    if not sep or not seq.isdigit():
        raise not_found("alert", alert_id)
    meta = ActionMeta(
        actor_of(staff),
        idempotency_key,
        action_hash(staff.id, "acknowledge-alert", {"alert_id": alert_id}),
    )
    gateway = ComplaintGateway(ctx)
    try:
        state = await gateway.act(
            complaint_id, "acknowledge-alert", AcknowledgeAlert(meta, alert_id), meta
        )
    except ApiError as err:
        if err.code == "complaint_not_found":
            raise not_found("alert", alert_id) from None
        if err.code in ("validation_error", "invalid_transition"):
            known = await gateway.live_state(complaint_id)
            if not any(a.id == alert_id for a in known.alerts):
                raise not_found("alert", alert_id) from None
        raise
    alert = next(a for a in state.alerts if a.id == alert_id)
    tz = ctx.directory_tz
    return AlertOut(
        id=alert.id,
        case_id=None,
        kind="complaint",
        level=alert.level.value,
        window=state.window,
        clock="complaint",
        complaint_id=state.complaint_id,
        threshold=alert.threshold,
        raised_at=alert.raised_at.astimezone(tz),
        acked_at=alert.acked_at.astimezone(tz) if alert.acked_at else None,
        acked_by=alert.acked_by,
    )
