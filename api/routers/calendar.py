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
from api.schemas import Strict
from projections.calendar import add_closure, import_notice
from projections.recount import recalculate_open_cases
from workflows.model import Role

router = APIRouter(prefix="/calendar", tags=["calendar"])


class NoticeIn(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\.(json|ics)$")]
    content: Annotated[str, Field(min_length=1, max_length=200_000)]


class ClosureIn(Strict):
    date: dt.date
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CalendarChange(BaseModel):
    first: dt.date
    last: dt.date
    recalculated: int


@router.post("/notices", response_model=CalendarChange)
async def import_holiday_notice(
    body: NoticeIn, ctx: Context, staff: CurrentStaff
) -> CalendarChange:
    require_role(staff, Role.DIRECTOR, Role.OPS)
    try:
        notice = parse_notice(body.content, body.filename)
    except NoticeError as err:
        raise validation_error(str(err)) from None
    async with ctx.pool.acquire() as conn:
        await import_notice(conn, notice, staff.id)
    days = [*notice.holidays, *notice.workdays]
    first, last = min(days), max(days)
    moved = await recalculate_open_cases(
        ctx.client, ctx.pool, first, last, f"节假日安排导入（{notice.source}）", actor_of(staff)
    )
    return CalendarChange(first=first, last=last, recalculated=moved)


@router.post("/closures", response_model=CalendarChange)
async def close_center(body: ClosureIn, ctx: Context, staff: CurrentStaff) -> CalendarChange:
    require_role(staff, Role.DIRECTOR)
    async with ctx.pool.acquire() as conn:
        await add_closure(conn, body.date, body.reason, staff.id)
    moved = await recalculate_open_cases(
        ctx.client, ctx.pool, body.date, body.date, f"中心闭馆：{body.reason}", actor_of(staff)
    )
    return CalendarChange(first=body.date, last=body.date, recalculated=moved)
