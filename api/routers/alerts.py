"""Alerts for supervisors: the list, acknowledgement (which stops the climb), and a live stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from api import rectifying
from api.cases import CaseGateway, action_hash, actor_of
from api.complaints import acknowledge_complaint_alert
from api.deps import (
    Context,
    CurrentStaff,
    IdempotencyKey,
    SerialId,
    WriteShown,
    get_staff,
    require_role,
)
from api.errors import ApiError, not_found
from api.idempotency import IdempotentWrite
from api.schemas import AlertOut, Strict
from applicant.complaints import is_complaint_id
from applicant.rectification import ID_PREFIX as RECTIFICATION_ALERTS
from projections.alerts import AlertFilter, alert_json, get_alert, list_alerts
from projections.center import StaffMember
from projections.db import Conn
from projections.notifications import active_channels, add_channel, deactivate_channel
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.case import CaseWorkflow
from workflows.model import Role

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=list[AlertOut])
async def alerts(
    ctx: Context,
    _: CurrentStaff,
    status: Literal["open", "acked"] | None = None,
    level: Literal["window_head", "director", "discipline", "ops"] | None = None,
    window: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    rows = await list_alerts(ctx.pool, ctx.center, AlertFilter(status, level, window), limit)
    return [_out(r, ctx.directory_tz) for r in rows]


def _out(row: Any, tz: ZoneInfo) -> AlertOut:
    """An alert row with its instants in the center's time zone, like every other answer."""
    body = alert_json(row)
    for key in ("raised_at", "acked_at"):
        if body[key] is not None:
            body[key] = body[key].astimezone(tz)
    return AlertOut.model_validate(body)


@router.post("/{alert_id}/ack", response_model=AlertOut)
async def acknowledge(
    alert_id: str,
    ctx: Context,
    staff: CurrentStaff,
    shown: WriteShown,
    idempotency_key: IdempotencyKey = None,
) -> AlertOut:
    if alert_id.startswith("CAL-"):
        return await _acknowledge_center_alert(alert_id, ctx, staff, idempotency_key)
    if is_complaint_id(alert_id):
        return await acknowledge_complaint_alert(ctx, staff, alert_id, idempotency_key)
    if alert_id.startswith(RECTIFICATION_ALERTS):
        return await rectifying.acknowledge_alert(ctx, staff, alert_id, idempotency_key)
    # An alert's id names its case ("<case id>-A<seq>"), so this needs no database read.
    case_id, sep, seq = alert_id.rpartition("-A")
    if not sep or not seq.isdigit():
        raise not_found("alert", alert_id)
    meta = ActionMeta(
        actor_of(staff),
        idempotency_key,
        action_hash(staff.id, "acknowledge-alert", {"alert_id": alert_id}),
    )
    gateway = CaseGateway(ctx)
    try:
        state = await gateway.act(
            case_id,
            "acknowledge-alert",
            CaseWorkflow.acknowledge_alert,
            AcknowledgeAlert(meta, alert_id),
            meta,
        )
    except ApiError as err:
        # The workflow names an alert its case lacks as a validation error, after checking the
        # case's status: whichever it said, an alert the case does not have is not found.
        if err.code in ("validation_error", "invalid_transition") and not await _case_has_alert(
            gateway, case_id, alert_id
        ):
            raise not_found("alert", alert_id) from None
        raise
    await shown(state)
    alert = next(a for a in state.alerts if a.id == alert_id)
    return AlertOut(
        id=alert.id,
        case_id=case_id,
        kind=alert.kind,
        level=alert.level.value,
        window=alert.window or state.window,
        clock=alert.clock,
        raised_at=alert.raised_at.astimezone(ctx.directory_tz),
        acked_at=alert.acked_at.astimezone(ctx.directory_tz) if alert.acked_at else None,
        acked_by=alert.acked_by,
    )


async def _case_has_alert(gateway: CaseGateway, case_id: str, alert_id: str) -> bool:
    try:
        state = await gateway.live_state(case_id)
    except ApiError:  # case_not_found
        return False
    return any(a.id == alert_id for a in state.alerts)


async def _acknowledge_center_alert(
    alert_id: str, ctx: Context, staff: StaffMember, idempotency_key: str | None
) -> AlertOut:
    """The center's own alerts (no case) are for ops and the director, acknowledged here once,
    like a case's: acknowledged already, it is ``409 invalid_transition`` and stays as it was."""
    if staff.role not in (Role.OPS, Role.DIRECTOR):
        raise ApiError(403, "forbidden", "the center's own alerts are for ops and the director")
    row = await get_alert(ctx.pool, alert_id)
    if row is None or row["case_id"] is not None or row["center_code"] not in ("", staff.center):
        raise not_found("alert", alert_id)
    acked = await ctx.pool.fetchrow(
        "update alerts set acked_at = now(), acked_by = $2"
        " where alert_id = $1 and acked_at is null returning *",
        alert_id,
        staff.id,
    )
    if acked is not None:
        return _out(acked, ctx.directory_tz)
    row = await get_alert(ctx.pool, alert_id)
    assert row is not None
    # No key is kept for these: a retry carrying an Idempotency-Key by whoever acknowledged it
    # gets the answer the first request got.
    if idempotency_key is not None and row["acked_by"] == staff.id:
        return _out(row, ctx.directory_tz)
    raise ApiError(
        409,
        "invalid_transition",
        f"alert {alert_id} was already acknowledged; it cannot be acknowledged again",
    )


async def _streaming_staff(ctx: Context, request: Request, token: str | None = None) -> StaffMember:
    """The bearer token as on every route, or ``?token=``: EventSource cannot send a header."""
    header = request.headers.get("authorization") or (f"Bearer {token}" if token else None)
    return await get_staff(ctx, request, header)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    ctx: Context, staff: Annotated[StaffMember, Depends(_streaming_staff)]
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events, one ``alert`` event per new alert of a case or a complaint, one
    ``center_alert`` per alert of the center itself; FastAPI adds a ``: ping`` comment after
    15 idle seconds."""
    async with ctx.alerts.subscribe() as queue:
        yield ServerSentEvent(comment="connected")
        while True:
            alert_id = await queue.get()
            row = await get_alert(ctx.pool, alert_id)
            if row is not None and row["center_code"] in ("", staff.center):  # not another's
                # The contract's ``alert`` events are a case's (or a complaint's); the center's
                # own differ.
                event = "center_alert" if row["level"] == "ops" else "alert"
                yield ServerSentEvent(data=_out(row, ctx.directory_tz), event=event, id=alert_id)


channels = APIRouter(prefix="/alert-channels", tags=["alerts"])


class ChannelIn(Strict):
    level: Literal["window_head", "director", "discipline"]
    kind: Literal["webhook", "wecom", "dingtalk"]
    url: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]
    secret: Annotated[str | None, Field(max_length=500)] = None


class ChannelOut(BaseModel):
    id: int
    level: str
    kind: str
    signed: bool  # the URL and the secret are never shown again


@channels.get("", response_model=list[ChannelOut])
async def list_channels(ctx: Context, staff: CurrentStaff) -> list[ChannelOut]:
    require_role(staff, Role.DIRECTOR, Role.OPS)
    rows = await active_channels(ctx.pool, ctx.center)
    return [
        ChannelOut(id=r["id"], level=r["level"], kind=r["kind"], signed=r["signed"]) for r in rows
    ]


@channels.post("", response_model=ChannelOut, status_code=201)
async def create_channel(
    body: ChannelIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> ChannelOut | Response:
    require_role(staff, Role.DIRECTOR)

    async def add(conn: Conn) -> ChannelOut:
        channel_id = await add_channel(
            conn, ctx.center, body.level, body.kind, body.url, body.secret
        )
        return ChannelOut(id=channel_id, level=body.level, kind=body.kind, signed=bool(body.secret))

    return await once.respond(body, add)


@channels.delete("/{channel_id}", status_code=204)
async def remove_channel(channel_id: SerialId, ctx: Context, staff: CurrentStaff) -> Response:
    require_role(staff, Role.DIRECTOR)
    if not await deactivate_channel(ctx.pool, ctx.center, channel_id):
        raise not_found("channel", str(channel_id))
    return Response(status_code=204)
