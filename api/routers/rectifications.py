"""Rectifications of bad ratings (差评整改) for staff: the list, one with its events, and the
window's three steps, each an update of the rectification's workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.cases import action_hash, actor_of
from api.deps import Context, CurrentStaff, IdempotencyKey
from api.errors import not_found
from api.rectifying import act
from api.schemas import EventOut, Strict
from api.windows import window_scope
from applicant.rectification import Answer, Contact, RectificationState, Rectify
from projections.center import StaffMember
from projections.rectifications import (
    RectificationFilter,
    get_rectification,
    list_rectifications,
    rectification_events,
)
from workflows.actions import ActionMeta

router = APIRouter(prefix="/rectifications", tags=["rectifications"])


class RectificationOut(BaseModel):
    id: str
    case_id: str
    window: str
    status: str  # open | done
    rating_id: str
    level: int
    opened_at: datetime
    contact_due_at: datetime | None
    contacted_at: datetime | None
    contact_note: str | None
    contact_overdue: bool
    rectify_due_at: datetime | None
    rectified_at: datetime | None
    action: str | None
    answered_at: datetime | None
    answer: str | None
    overdue: bool
    on_time: bool | None  # answered within the 15 working days; null while open


class RectificationDetail(RectificationOut):
    events: list[EventOut]


_INSTANTS = (
    "opened_at",
    "contact_due_at",
    "contacted_at",
    "rectify_due_at",
    "rectified_at",
    "answered_at",
)


def _out(fields: dict[str, Any], tz: ZoneInfo) -> RectificationOut:
    for key in _INSTANTS:
        if fields.get(key) is not None:
            fields[key] = fields[key].astimezone(tz)
    return RectificationOut.model_validate(fields)


def _from_row(r: Any) -> dict[str, Any]:
    fields = {k: r[k] for k in RectificationOut.model_fields if k != "window"}
    return fields | {"window": r["window_code"]}


def _from_state(s: RectificationState) -> dict[str, Any]:
    names = set(RectificationOut.model_fields) - {"on_time"}
    return {k: getattr(s, k) for k in names} | {"on_time": s.on_time}


@router.get("", response_model=list[RectificationOut])
async def rectifications(
    ctx: Context,
    staff: CurrentStaff,
    status: Literal["open", "done"] | None = None,
    window: str | None = None,
    case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RectificationOut]:
    """Newest first; clerks and window heads see their own window's."""
    f = RectificationFilter(status, window_scope(staff, window), case_id)
    rows = await list_rectifications(ctx.pool, ctx.center, f, limit)
    return [_out(_from_row(r), ctx.directory_tz) for r in rows]


async def _readable(ctx: Context, staff: StaffMember, rid: str) -> Any:
    row = await get_rectification(ctx.pool, ctx.center, rid)
    if row is None or window_scope(staff, None) not in (None, row["window_code"]):
        raise not_found("rectification", rid)
    return row


@router.get("/{rectification_id}", response_model=RectificationDetail)
async def rectification(
    rectification_id: str, ctx: Context, staff: CurrentStaff
) -> RectificationDetail:
    row = await _readable(ctx, staff, rectification_id)
    tz = ctx.directory_tz
    events = [
        EventOut(
            seq=e["seq"],
            type=e["type"],
            at=e["at"].astimezone(tz),
            actor=e["actor"],
            data=e["data"],
            schema_version=e["schema_version"],
        )
        for e in await rectification_events(ctx.pool, ctx.center, rectification_id)
    ]
    out = _out(_from_row(row), tz)
    return RectificationDetail(**out.model_dump(), events=events)


class ContactIn(Strict):
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class RectifyIn(Strict):
    action: Annotated[str, Field(min_length=1, max_length=2000)]


class AnswerIn(Strict):
    text: Annotated[str, Field(min_length=1, max_length=2000)]


def _meta(staff: StaffMember, step: str, body: BaseModel, key: str | None) -> ActionMeta:
    return ActionMeta(actor_of(staff), key, action_hash(staff.id, f"rectification:{step}", body))


@router.post("/{rectification_id}/contact", response_model=RectificationOut)
async def contact(
    rectification_id: str,
    body: ContactIn,
    ctx: Context,
    staff: CurrentStaff,
    idempotency_key: IdempotencyKey = None,
) -> RectificationOut:
    """The window has contacted the applicant (within 1 working day)."""
    meta = _meta(staff, "contact", body, idempotency_key)
    state = await act(ctx, rectification_id, "contact", Contact(meta, body.note))
    return _out(_from_state(state), ctx.directory_tz)


@router.post("/{rectification_id}/rectify", response_model=RectificationOut)
async def rectify(
    rectification_id: str,
    body: RectifyIn,
    ctx: Context,
    staff: CurrentStaff,
    idempotency_key: IdempotencyKey = None,
) -> RectificationOut:
    """What the window did about it (整改措施)."""
    meta = _meta(staff, "rectify", body, idempotency_key)
    state = await act(ctx, rectification_id, "rectify", Rectify(meta, body.action))
    return _out(_from_state(state), ctx.directory_tz)


@router.post("/{rectification_id}/answer", response_model=RectificationOut)
async def answer(
    rectification_id: str,
    body: AnswerIn,
    ctx: Context,
    staff: CurrentStaff,
    idempotency_key: IdempotencyKey = None,
) -> RectificationOut:
    """The answer given to the applicant; the rectification is done (15 working days)."""
    meta = _meta(staff, "answer", body, idempotency_key)
    state = await act(ctx, rectification_id, "answer", Answer(meta, body.text))
    return _out(_from_state(state), ctx.directory_tz)
