"""The supervisors' figures: the contract's summary and what the dashboard page reads besides.

Reads are open to all staff; the default scope is the viewer's own window for
window staff and the whole center for the director (see ``api.dashboard``).
Only the director enters score deductions.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.context import AppContext
from api.dashboard import (
    CaseListOut,
    CenterParam,
    DayFigures,
    DeductionIn,
    DeductionOut,
    Ranking,
    RatingFigures,
    RectificationFigures,
    Summary,
    Trend,
    Viewer,
    WindowScoreOut,
    center_today,
    deduction_out,
    listed_case,
    parse_day,
    parse_month,
    parse_span,
    ranked_centers,
    scope,
    summary,
    viewed_center,
)
from api.deps import Context, CurrentStaff, require_role
from api.errors import validation_error
from api.idempotency import IdempotentWrite
from projections import figures, scores
from projections.center import StaffMember
from projections.complaints import complaint_figures
from projections.db import Conn
from projections.figures import Span
from projections.followups import followup_figures
from projections.inquiries import inquiry_count
from projections.ratings import rating_figures
from projections.rectifications import rectification_figures
from workflows.model import Role

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

MAX_TREND_DAYS = 366
DEFAULT_TREND_DAYS = 30

WindowParam = Annotated[str | None, Query(description="a window code, or 'all'")]
FromParam = Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, included")]
ToParam = Annotated[str | None, Query(alias="to", description="YYYY-MM-DD, included")]


async def one_center(ctx: AppContext, staff: StaffMember, center: str | None) -> str:
    """The one center a window's figures are read in: the province names it."""
    c = await viewed_center(ctx, staff, center)
    if c is None:
        message = "windows are a center's: give center"
        raise validation_error(message, [{"loc": ["query", "center"], "msg": message}])
    return c


@router.get("/summary", response_model=Summary)
async def read_summary(
    ctx: Context,
    staff: CurrentStaff,
    window: WindowParam = None,
    from_: FromParam = None,
    to: ToParam = None,
    center: CenterParam = None,
) -> Summary:
    """Cases received in the range by where they stand now; completions in the range; open
    alerts raised in the range, the cases' apart from the center's own. No range: all time.
    The province's view of every center adds a line per center, ranked."""
    c = await viewed_center(ctx, staff, center)
    span = parse_span(from_, to, ctx.directory_tz)
    w = scope(ctx, staff, window, c)
    counts, done, p90, alerts, center_alerts = await asyncio.gather(
        figures.case_counts(ctx.pool, c, span, w),
        figures.completions(ctx.pool, c, span, w),
        figures.handling_percentile(ctx.pool, c, span, w),
        figures.open_alerts(ctx.pool, c, span, w),
        figures.open_center_alerts(ctx.pool, c, span, w),
    )
    asked, complained, visits = await asyncio.gather(
        inquiry_count(ctx.pool, c, span, w),
        complaint_figures(ctx.pool, c, span, w),
        followup_figures(ctx.pool, c, span, w),
    )
    out = summary(
        ctx,
        w,
        counts,
        done,
        p90,
        alerts,
        center_alerts,
        inquiries=asked,
        complaints=complained,
        followups=visits,
    )
    days = span.bounds() if span.start or span.end else None
    tz = str(ctx.directory_tz)
    out.ratings = RatingFigures(**await rating_figures(ctx.pool, c, w, days, tz))
    out.rectifications = RectificationFigures(
        **await rectification_figures(ctx.pool, c, w, days, tz)
    )
    out.center = c
    if c is None:  # windows and clerks are a center's: every center has a line instead
        out.by_window, out.by_clerk = [], []
        out.centers = ranked_centers(await figures.center_rows(ctx.pool, span))
    return out


@router.get("/cases", response_model=CaseListOut)
async def read_cases(
    ctx: Context,
    staff: CurrentStaff,
    list_: Annotated[Literal["overdue", "at_risk"], Query(alias="list")] = "overdue",
    window: WindowParam = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    center: CenterParam = None,
) -> CaseListOut:
    """Open cases past their limit, or warned and about to be, the earliest due first."""
    c = await viewed_center(ctx, staff, center)
    w = scope(ctx, staff, window, c)
    rows = await figures.case_list(ctx.pool, c, list_, w, limit)
    return CaseListOut(window=w, items=[listed_case(ctx, r) for r in rows])


@router.get("/trend", response_model=Trend)
async def read_trend(
    ctx: Context,
    staff: CurrentStaff,
    window: WindowParam = None,
    from_: FromParam = None,
    to: ToParam = None,
    center: CenterParam = None,
) -> Trend:
    """Cases received and completed each day; by default the last 30 days."""
    c = await viewed_center(ctx, staff, center)
    w = scope(ctx, staff, window, c)
    span = parse_span(from_, to, ctx.directory_tz)
    end = span.end or await center_today(ctx)
    start = span.start or end - timedelta(days=DEFAULT_TREND_DAYS - 1)
    if (end - start).days >= MAX_TREND_DAYS or start > end:
        raise validation_error(f"a trend covers 1 to {MAX_TREND_DAYS} days")
    days = await figures.daily(ctx.pool, c, Span(start, end, ctx.directory_tz), w)
    return Trend(window=w, days=[DayFigures(day=d, received=i, completed=o) for d, i, o in days])


@router.get("/ranking", response_model=Ranking)
async def read_ranking(
    ctx: Context,
    staff: CurrentStaff,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month")] = None,
    center: CenterParam = None,
) -> Ranking:
    """Every window's score for the month (流动红旗), best first, and who holds the flag."""
    await one_center(ctx, staff, center)
    first = parse_month(month, await center_today(ctx))
    names = ctx.directory.windows
    ranked = await scores.ranking(ctx.pool, ctx.center, first, sorted(names))
    return Ranking(
        month=f"{first:%Y-%m}",
        full_marks=scores.FULL_MARKS,
        points=scores.DEDUCTIONS,
        windows=[
            WindowScoreOut(
                window=r.window,
                name=names[r.window],
                score=r.score,
                deducted=r.deducted,
                by_kind=r.by_kind,
                rank=r.rank,
                red_flag=r.red_flag,
            )
            for r in ranked
        ],
    )


@router.get("/deductions", response_model=list[DeductionOut])
async def read_deductions(
    ctx: Context,
    staff: CurrentStaff,
    month: Annotated[str | None, Query(description="YYYY-MM; default this month")] = None,
    window: WindowParam = None,
    center: CenterParam = None,
) -> list[DeductionOut]:
    await one_center(ctx, staff, center)
    first = parse_month(month, await center_today(ctx))
    rows = await scores.deductions(ctx.pool, ctx.center, first, scope(ctx, staff, window))
    return [deduction_out(ctx, r) for r in rows]


@router.post("/deductions", response_model=DeductionOut, status_code=201)
async def add_deduction(
    body: DeductionIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> DeductionOut | Response:
    """A finding that costs a window points: a complaint found true, a notice of criticism,
    attendance, conduct. Cases gone overdue and one-time notice breaches are deducted by the
    system."""
    require_role(staff, Role.DIRECTOR)
    if body.window not in ctx.directory.windows:
        raise validation_error(f"no window {body.window!r} in this center")
    if body.kind not in scores.MANUAL:
        raise validation_error(f"kind must be one of {', '.join(scores.MANUAL)}")
    on = parse_day(body.on, "on")
    assert on is not None
    entry = scores.ManualDeduction(
        body.window,
        body.kind,
        on,
        body.count,
        body.note.strip(),
        body.case_id,
        staff.id,
        ctx.center,
    )

    async def record(conn: Conn) -> DeductionOut:
        row_id = await scores.record_deduction(conn, entry)
        row = await conn.fetchrow(
            "select * from score_deductions where id = $1 and center_code = $2", row_id, ctx.center
        )
        return deduction_out(ctx, row)

    return await once.respond(body, record)


@router.get("/me", response_model=Viewer)
async def read_viewer(ctx: Context, staff: CurrentStaff) -> Viewer:
    """Who the token belongs to, the center's windows and today's date: what the page starts
    from."""
    return Viewer(
        id=staff.id,
        name=staff.name,
        role=staff.role.value,
        window=staff.window,
        windows=dict(sorted(ctx.directory.windows.items())),
        today=await center_today(ctx),
    )
