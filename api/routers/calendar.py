"""The center's calendar: import the State Council's holiday notice, close the center for a day.

Either change is recorded, then every open case it may touch is recounted
(``deadline.recalculated`` where its limit moved).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.cases import actor_of
from api.deps import Context, CurrentStaff, WriteShown, require_role
from api.errors import validation_error
from api.idempotency import IdempotentWrite
from api.schemas import NotBlank, Strict
from centers.calendar import (
    CLOSURE_ROLES,
    NOTICE_ROLES,
    record_closure,
    record_notice,
    recount_closure,
    recount_notice,
)
from workdays.notice import NoticeError, parse_notice

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
    body: NoticeIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite, shown: WriteShown
) -> CalendarChangeOut | Response:
    require_role(staff, *NOTICE_ROLES)
    try:
        notice = parse_notice(body.content, body.filename)
    except NoticeError as err:
        raise validation_error(str(err)) from None
    actor = actor_of(staff)

    async def recount(_: None) -> CalendarChangeOut:
        change = await recount_notice(ctx.client, ctx.pool, notice, actor, shown)
        return CalendarChangeOut.model_validate(change, from_attributes=True)

    return await once.respond_after(body, lambda conn: record_notice(conn, notice, actor), recount)


@router.post("/closures", response_model=CalendarChangeOut)
async def close_center(
    body: ClosureIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite, shown: WriteShown
) -> CalendarChangeOut | Response:
    require_role(staff, *CLOSURE_ROLES)
    actor = actor_of(staff)

    async def recount(_: None) -> CalendarChangeOut:
        change = await recount_closure(ctx.client, ctx.pool, body.date, body.reason, actor, shown)
        return CalendarChangeOut.model_validate(change, from_attributes=True)

    return await once.respond_after(
        body, lambda conn: record_closure(conn, body.date, body.reason, actor), recount
    )
