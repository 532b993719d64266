"""The center's calendar: import the State Council's holiday notice, close the center for a day.

Either change is recorded, then every open case it may touch is recounted
(``deadline.recalculated`` where its limit moved).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from activities.notice import NoticeError, parse_notice
from api.cases import actor_of
from api.deps import Context, CurrentStaff, require_role
from api.errors import validation_error
from api.schemas import NotBlank, Strict
from banjian.calendar_change import apply_closure, apply_notice
from workflows.model import Role

router = APIRouter(prefix="/calendar", tags=["calendar"])


class NoticeIn(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\.(json|ics)$")]
    content: Annotated[str, Field(min_length=1, max_length=200_000)]


class ClosureIn(Strict):
    date: dt.date
    reason: Annotated[str, Field(min_length=1, max_length=500), NotBlank]


class CalendarChangeOut(BaseModel):
    first: dt.date
    last: dt.date
    recalculated: int


@router.post("/notices", response_model=CalendarChangeOut)
async def import_holiday_notice(
    body: NoticeIn, ctx: Context, staff: CurrentStaff
) -> CalendarChangeOut:
    require_role(staff, Role.DIRECTOR, Role.OPS)
    try:
        notice = parse_notice(body.content, body.filename)
    except NoticeError as err:
        raise validation_error(str(err)) from None
    change = await apply_notice(ctx.client, ctx.pool, notice, actor_of(staff))
    return CalendarChangeOut.model_validate(change, from_attributes=True)


@router.post("/closures", response_model=CalendarChangeOut)
async def close_center(body: ClosureIn, ctx: Context, staff: CurrentStaff) -> CalendarChangeOut:
    require_role(staff, Role.DIRECTOR)
    change = await apply_closure(ctx.client, ctx.pool, body.date, body.reason, actor_of(staff))
    return CalendarChangeOut.model_validate(change, from_attributes=True)
