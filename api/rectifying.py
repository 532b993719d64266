"""The API's side of a rectification: open it with the bad rating, send it the staff's steps,
acknowledge its alerts. Temporal decides; this module only translates, as ``api.cases`` does
for a case."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.cases import action_hash, actor_of
from api.context import AppContext
from api.errors import ApiError, not_found
from api.owner import center_memo, ensure_owned
from api.schemas import AlertOut
from applicant.rectification import RectificationInput, RectificationState, rectification_id
from projections.center import StaffMember
from projections.db import Conn
from projections.links import LinkedCase
from projections.ratings import Rating, insert_rating
from projections.rectifications import get_rectification
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.model import ClockPolicy
from workflows.rectification import RectificationWorkflow

log = structlog.get_logger(__name__)

_STATUS_FOR_CODE = {
    "invalid_transition": 409,
    "idempotency_conflict": 409,
    "forbidden": 403,
    "validation_error": 422,
}


async def open_rectification(
    ctx: AppContext, conn: Conn, rating: Rating, case: LinkedCase
) -> Rating | None:
    """Inside the rating's transaction: record the bad rating and start its rectification, so
    that neither stands without the other (None: the stage was rated already). A start that
    succeeded before a lost commit is found again when the applicant retries."""
    rid = rectification_id(rating.id)
    rating = replace(rating, rectification_id=rid)
    if not await insert_rating(conn, rating):
        return None
    inp = RectificationInput(
        id=rid,
        rating_id=rating.id,
        case_id=case.case_id,
        service_name=case.service_name,
        window=case.window,
        assignee=case.assignee,
        level=rating.level,
        stage=rating.stage,
        tags=rating.tags,
        comment=rating.comment,
        calendar=ctx.calendar,
        policy=ctx.directory.policies.get(case.service_code, ClockPolicy()),
    )
    try:
        await ctx.client.start_workflow(
            RectificationWorkflow.run,
            inp,
            id=rid,
            task_queue=ctx.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=center_memo(ctx),
        )
    except WorkflowAlreadyStartedError:
        log.info("rectification.found_again", rectification_id=rid)
    if ctx.sandbox is not None:
        ctx.sandbox_cases.add(rid)  # the sandbox's clock waits for its timers too
    log.info("rectification.opened", rectification_id=rid, case_id=case.case_id)
    return rating


async def act(ctx: AppContext, rid: str, step: str, arg: Any) -> RectificationState:
    """Send a staff step; the workflow's refusal becomes the contract's error."""
    structlog.contextvars.bind_contextvars(rectification_id=rid, workflow_id=rid)
    await ensure_owned(ctx, "rectification", rid)
    try:
        state: RectificationState = await ctx.client.get_workflow_handle(rid).execute_update(
            step, arg, result_type=RectificationState
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in _STATUS_FOR_CODE:
            raise ApiError(_STATUS_FOR_CODE[cause.type], cause.type, cause.message) from None
        raise
    except RPCError as err:
        if err.status == RPCStatusCode.UNAVAILABLE:
            raise
        if await get_rectification(ctx.pool, ctx.center, rid) is None:
            raise not_found("rectification", rid) from None
        raise ApiError(
            409,
            "invalid_transition",
            f"action {step!r} is not allowed while rectification {rid} is done",
        ) from None
    log.info("rectification.step", step=step, seq=state.last_seq)
    return state


async def acknowledge_alert(
    ctx: AppContext, staff: StaffMember, alert_id: str, idempotency_key: str | None
) -> AlertOut:
    """A rectification's alert, acknowledged in its workflow (which stops its climb)."""
    rid, sep, seq = alert_id.rpartition("-A")
    if not sep or not seq.isdigit():
        raise not_found("alert", alert_id)
    meta = ActionMeta(
        actor_of(staff),
        idempotency_key,
        action_hash(staff.id, "acknowledge-alert", {"alert_id": alert_id}),
    )
    try:
        state = await act(ctx, rid, "acknowledge-alert", AcknowledgeAlert(meta, alert_id))
    except ApiError as err:
        if err.code in ("validation_error", "rectification_not_found"):
            raise not_found("alert", alert_id) from None
        raise
    alert = next(a for a in state.alerts if a.id == alert_id)
    tz = ctx.directory_tz
    return AlertOut(
        id=alert.id,
        case_id=state.case_id,
        kind=alert.kind,
        level=alert.level.value,
        window=state.window,
        clock=alert.clock,
        raised_at=alert.raised_at.astimezone(tz),
        acked_at=alert.acked_at.astimezone(tz) if alert.acked_at else None,
        acked_by=alert.acked_by,
    )
