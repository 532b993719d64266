"""The center's calendar: import the State Council's holiday notice, close the center for a day.

Either change is recorded and the answer comes at once, with the change's recount
(a workflow that recounts every open case the change may touch, recording
``deadline.recalculated`` where a limit moved) to follow at ``/calendar/recounts/{id}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from api.cases import actor_of
from api.deps import Context, CurrentStaff, require_role
from api.errors import not_found, validation_error
from api.idempotency import IdempotentWrite
from api.schemas import NotBlank, Strict
from centers.calendar import (
    CLOSURE_ROLES,
    NOTICE_ROLES,
    CalendarChange,
    record_closure,
    record_notice,
    recount_closure,
    recount_notice,
    recount_progress,
)
from workdays.notice import NoticeError, parse_notice
from workflows.recount import RecountProgress

router = APIRouter(prefix="/calendar", tags=["calendar"])


class NoticeIn(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\.(json|ics)$")]
    content: Annotated[str, Field(min_length=1, max_length=200_000)]


class ClosureIn(Strict):
    date: dt.date
    reason: Annotated[str, Field(min_length=1, max_length=500), NotBlank]


class RecountLink(BaseModel):
    id: str
    href: str  # GET it to follow the recount


class CalendarChangeOut(BaseModel):
    first: dt.date
    last: dt.date
    recount: RecountLink


class RecountOut(BaseModel):
    id: str
    first: dt.date
    last: dt.date
    status: str  # running | done
    cases: int  # open cases found so far
    recounted: int
    recalculated: int  # whose limits moved
    unchanged: int
    closed: int  # completed meanwhile
    failed: list[str]  # case ids still failing after their retries


def _change_out(change: CalendarChange) -> CalendarChangeOut:
    href = f"/api/v1/calendar/recounts/{change.id}"
    return CalendarChangeOut(
        first=change.first, last=change.last, recount=RecountLink(id=change.id, href=href)
    )


def _recount_out(p: RecountProgress) -> RecountOut:
    return RecountOut(
        id=p.change_id,
        first=p.first,
        last=p.last,
        status="done" if p.done else "running",
        cases=p.cases,
        recounted=p.recounted,
        recalculated=p.recalculated,
        unchanged=p.unchanged,
        closed=p.closed,
        failed=p.failed,
    )


@router.post("/notices", response_model=CalendarChangeOut)
async def import_holiday_notice(
    body: NoticeIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> CalendarChangeOut | Response:
    require_role(staff, *NOTICE_ROLES)
    try:
        notice = parse_notice(body.content, body.filename)
    except NoticeError as err:
        raise validation_error(str(err)) from None
    actor = actor_of(staff)

    async def recount(change_id: str) -> CalendarChangeOut:
        change = await recount_notice(ctx.client, ctx.task_queue, change_id, notice, actor)
        return _change_out(change)

    return await once.respond_after(body, lambda conn: record_notice(conn, notice, actor), recount)


@router.post("/closures", response_model=CalendarChangeOut)
async def close_center(
    body: ClosureIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> CalendarChangeOut | Response:
    require_role(staff, *CLOSURE_ROLES)
    actor = actor_of(staff)

    async def recount(change_id: str) -> CalendarChangeOut:
        change = await recount_closure(
            ctx.client, ctx.task_queue, change_id, body.date, body.reason, actor
        )
        return _change_out(change)

    return await once.respond_after(
        body, lambda conn: record_closure(conn, ctx.center, body.date, body.reason, actor), recount
    )


@router.get("/recounts/{recount_id}", response_model=RecountOut)
async def follow_recount(recount_id: str, ctx: Context, _: CurrentStaff) -> RecountOut:
    """How far the recount of a calendar change is: a closure's is its center's only (its id
    ends in ``@<center>``); a holiday notice's is the deployment's."""
    closure_of = recount_id.rpartition("@")[2] if "@" in recount_id else None
    progress = await recount_progress(ctx.client, recount_id)
    if progress is None or closure_of not in (None, ctx.center):
        raise not_found("recount", recount_id)
    return _recount_out(progress)
