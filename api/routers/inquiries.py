"""Inquiries (咨询件): logged by window staff in seconds, read by all, counted on the dashboard.

The window and the staff member are the token's; a staff member of no window logs none.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.dashboard import CenterParam, center_today, parse_span, scope, viewed_center
from api.deps import Context, CurrentStaff
from api.errors import forbidden, not_found, validation_error
from api.idempotency import IdempotentWrite
from api.schemas import Code, NotBlank, Strict, Text
from applicant.inquiries import Outcome, referral_problem
from projections import inquiries
from projections.db import Conn
from projections.figures import Span
from projections.inquiries import Inquiry

router = APIRouter(tags=["inquiries"])

DEFAULT_DAYS = 30
MAX_DAYS = 366


class InquiryIn(Strict):
    topic: Annotated[str, Field(min_length=1, max_length=200), NotBlank]
    service_code: Code | None = None
    outcome: Literal["answered", "referred"]
    referred_to: Code | None = None
    note: Text = ""


class InquiryOut(BaseModel):
    id: int
    asked_at: datetime
    day: date
    window: str
    staff_id: str
    topic: str
    service_code: str | None
    outcome: str
    referred_to: str | None
    note: str


class InquiryDay(BaseModel):
    day: date
    total: int
    by_window: dict[str, int]


class InquiryDays(BaseModel):
    window: str | None  # the scope; null is the whole center
    days: list[InquiryDay]  # the latest first; days without inquiries are left out


def _out(ctx: Context, r: Any) -> InquiryOut:
    return InquiryOut(
        id=r["id"],
        asked_at=r["asked_at"].astimezone(ctx.directory_tz),
        day=r["on_day"],
        window=r["window_code"],
        staff_id=r["staff_id"],
        topic=r["topic"],
        service_code=r["service_code"],
        outcome=r["outcome"],
        referred_to=r["referred_to"],
        note=r["note"],
    )


@router.post("/inquiries", status_code=201, response_model=InquiryOut)
async def log_inquiry(
    body: InquiryIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> InquiryOut | Response:
    """An inquiry answered on the spot or referred to another window, at the token's window."""
    if staff.window is None:
        raise forbidden("an inquiry is logged at a window, by its staff")
    if body.service_code is not None and body.service_code not in ctx.directory.services:
        raise not_found("service", body.service_code)
    outcome = Outcome(body.outcome)
    problem = referral_problem(outcome, body.referred_to, staff.window, ctx.directory.windows)
    if problem is not None:
        raise validation_error(problem, [{"loc": ["body", "referred_to"], "msg": problem}])
    now = await ctx.now()
    entry = Inquiry(
        center=ctx.center,
        asked_at=now,
        on_day=now.astimezone(ctx.directory_tz).date(),
        window=staff.window,
        staff_id=staff.id,
        topic=body.topic.strip(),
        service_code=body.service_code,
        outcome=outcome.value,
        referred_to=body.referred_to,
        note=body.note.strip(),
    )

    async def record(conn: Conn) -> InquiryOut:
        return _out(ctx, await inquiries.record_inquiry(conn, entry))

    return await once.respond(body, record)


WindowParam = Annotated[str | None, Query(description="a window code, or 'all'")]
FromParam = Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, included")]
ToParam = Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, included")]


@router.get("/inquiries", response_model=list[InquiryOut])
async def list_inquiries(
    ctx: Context,
    staff: CurrentStaff,
    from_: FromParam = None,
    to: ToParam = None,
    window: WindowParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[InquiryOut]:
    """Inquiries asked in the range, the latest first; the window as on the dashboard."""
    span = parse_span(from_, to, ctx.directory_tz)
    rows = await inquiries.list_inquiries(
        ctx.pool, ctx.center, span, scope(ctx, staff, window), limit
    )
    return [_out(ctx, r) for r in rows]


@router.get("/dashboard/inquiries", response_model=InquiryDays, tags=["dashboard"])
async def inquiries_by_day(
    ctx: Context,
    staff: CurrentStaff,
    window: WindowParam = None,
    from_: FromParam = None,
    to: ToParam = None,
    center: CenterParam = None,
) -> InquiryDays:
    """Inquiries by day and window; by default the last 30 days."""
    c = await viewed_center(ctx, staff, center)
    w = scope(ctx, staff, window, c)
    span = parse_span(from_, to, ctx.directory_tz)
    end = span.end or await center_today(ctx)
    start = span.start or end - timedelta(days=DEFAULT_DAYS - 1)
    if (end - start).days >= MAX_DAYS:
        raise validation_error(f"a table of inquiries covers 1 to {MAX_DAYS} days")
    days: dict[date, InquiryDay] = {}
    for day, code, n in await inquiries.inquiries_by_day(
        ctx.pool, c, Span(start, end, ctx.directory_tz), w
    ):
        entry = days.setdefault(day, InquiryDay(day=day, total=0, by_window={}))
        entry.total += n
        entry.by_window[code] = n
    return InquiryDays(window=w, days=list(days.values()))
