"""The dashboard's answers: their shapes, and the reading of its query parameters.

``window``: absent means the viewer's own window for window staff (clerks,
window heads) and the whole center for the director and ops; ``all`` means
the whole center; anything else must be one of the center's windows.
``from``/``to``: dates ``YYYY-MM-DD`` in the center's time zone, both included.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import BaseModel, Field

from api.context import AppContext
from api.errors import forbidden, not_found, validation_error
from api.schemas import Strict
from projections.center import StaffMember
from projections.complaints import ComplaintFigures
from projections.figures import CaseCounts, CenterRow, Completions, Span
from workflows.model import Kind, Role, Status

ALL_WINDOWS = "all"
# ``?center=``: the province names the center it reads (absent: every center); a center's
# staff may leave it out or name their own.
CenterParam = Annotated[
    str | None,
    Query(description="a center's code (province: absent is every center; staff: their own)"),
]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def _invalid(param: str, message: str) -> Exception:
    return validation_error(message, [{"loc": ["query", param], "msg": message}])


def parse_day(text: str | None, param: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(param, f"{param} must be a date YYYY-MM-DD") from None


def parse_span(start: str | None, end: str | None, tz: ZoneInfo) -> Span:
    span = Span(parse_day(start, "from"), parse_day(end, "to"), tz)
    if span.start and span.end and span.start > span.end:
        raise _invalid("to", "to must not be before from")
    return span


def parse_month(text: str | None, today: date) -> date:
    if text is None or text == "":
        return today.replace(day=1)
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise _invalid("month", "month must be YYYY-MM")
    return date(int(match[1]), int(match[2]), 1)


async def viewed_center(ctx: AppContext, staff: StaffMember, center: str | None) -> str | None:
    """The center the figures are for, made the request's center; None is every center, which
    only the province sees. A center's staff see their own center only."""
    if staff.role is not Role.PROVINCE:
        if center not in (None, "", staff.center):
            raise forbidden("staff see their own center's figures only")
        return staff.center
    if center is None or center == "":
        return None
    if center not in ctx.directories:
        await ctx.refresh_directory()  # a center applied since the last refresh
    if center not in ctx.directories:
        raise not_found("center", center)
    ctx.use_center(center)
    return center


def scope(
    ctx: AppContext, staff: StaffMember, window: str | None, center: str | None = ""
) -> str | None:
    """The window the figures are for; None is the whole center (every center when
    ``center`` is None: a window is then refused, windows being a center's)."""
    if window is None or window == "":
        return staff.window if staff.role in (Role.CLERK, Role.WINDOW_HEAD) else None
    if window == ALL_WINDOWS:
        return None
    if center is None:
        raise _invalid("window", "a window is a center's: give center as well")
    if window not in ctx.directory.windows:
        raise _invalid("window", f"no window {window!r} in this center")
    return window


async def center_today(ctx: AppContext) -> date:
    """Today in the center's time zone, by the sandbox's clock in the sandbox."""
    now = await ctx.sandbox.get_current_time() if ctx.sandbox else datetime.now(UTC)
    return now.astimezone(ctx.directory_tz).date()


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class Handling(BaseModel):
    completed: int  # completions with a measured handling time
    average_days: float | None
    p90_days: float | None


class WindowFigures(BaseModel):
    window: str
    name: str
    received: int
    open: int
    overdue_now: int
    at_risk_now: int
    completed: int
    completed_on_time: int
    on_time_rate: float | None


class ClerkFigures(BaseModel):
    staff_id: str
    name: str
    window: str | None
    open: int
    overdue_now: int
    at_risk_now: int
    completed: int
    completed_on_time: int


class ComplaintFiguresOut(BaseModel):
    received: int  # complaints received in the range
    upheld: int  # of them, found true
    per_1000_cases: float | None  # received per 1,000 cases received; null without cases


class FollowupFiguresOut(BaseModel):
    due: int  # visits drawn for the months the range touches
    done: int  # of them, recorded


class RatingFigures(BaseModel):
    """Ratings given in the range (好差评) by level ("1" … "5"); the satisfaction rate is
    基本满意 and above over all of them."""

    count: int = 0
    by_level: dict[str, int] = Field(default_factory=dict)
    satisfaction_rate: float | None = None


class RectificationFigures(BaseModel):
    """Rectifications of bad ratings opened in the range; answered within their limit."""

    open: int = 0
    done: int = 0
    on_time_rate: float | None = None


class CenterFigures(BaseModel):
    """A center's line in the province's summary; ``rank`` by on-time rate (best first; none
    completed last), then fewest overdue."""

    code: str
    name: str
    received: int
    open: int
    overdue_now: int
    completed: int
    completed_on_time: int
    on_time_rate: float | None
    open_alerts: int
    rank: int


def ranked_centers(rows: list[CenterRow]) -> list[CenterFigures]:
    order = sorted(
        rows,
        key=lambda r: (r.on_time_rate is None, -(r.on_time_rate or 0.0), r.overdue_now, r.code),
    )
    return [
        CenterFigures(
            code=r.code,
            name=r.name,
            received=r.received,
            open=r.open,
            overdue_now=r.overdue_now,
            completed=r.completed,
            completed_on_time=r.completed_on_time,
            on_time_rate=r.on_time_rate,
            open_alerts=r.open_alerts,
            rank=i,
        )
        for i, r in enumerate(order, start=1)
    ]


class Summary(BaseModel):
    # The center the figures are for; null: every center (the province's view), with a line
    # per center in ``centers`` and no window or clerk lines.
    center: str | None = None
    centers: list[CenterFigures] | None = None
    window: str | None  # the scope the figures are for; null is the whole center
    by_status: dict[str, int]
    by_kind: dict[str, int]
    received: int
    open: int
    completed: int
    completed_on_time: int
    on_time_rate: float | None
    legal_completed: int  # completions of cases with a legal limit
    legal_completed_on_time: int
    legal_on_time_rate: float | None
    overdue_now: int
    at_risk_now: int
    open_alerts: int  # cases' alerts, as GET /alerts?status=open lists them
    open_alerts_by_level: dict[str, int]
    center_alerts_open: int  # the center's own (level ops, no case); 0 for a window's scope
    handling: dict[str, Handling]  # per kind, and "all"
    by_window: list[WindowFigures]
    by_clerk: list[ClerkFigures]
    inquiries: int  # logged in the range (咨询件)
    complaints: ComplaintFiguresOut
    followups: FollowupFiguresOut
    ratings: RatingFigures = Field(default_factory=RatingFigures)
    rectifications: RectificationFigures = Field(default_factory=RectificationFigures)


def summary(
    ctx: AppContext,
    window: str | None,
    counts: CaseCounts,
    done: Completions,
    p90: dict[str, float],
    alerts: dict[str, int],
    center_alerts: int,
    *,
    inquiries: int,
    complaints: ComplaintFigures,
    followups: tuple[int, int],
) -> Summary:
    d = ctx.directory
    handling = {
        k: Handling(completed=n, average_days=round(total / n, 2), p90_days=p90.get(k))
        for k, (n, total) in done.handling.items()
    }
    windows = sorted(set(counts.by_window) | set(done.by_window))
    assignees = sorted(set(counts.by_assignee) | set(done.by_assignee))

    def figures(source: dict[str, dict[str, int]], key: str) -> dict[str, int]:
        return dict(source.get(key, {}))

    by_window = []
    for w in windows:
        c, f = figures(counts.by_window, w), figures(done.by_window, w)
        by_window.append(
            WindowFigures(
                window=w,
                name=d.windows.get(w, w),
                received=c.get("received", 0),
                open=c.get("open", 0),
                overdue_now=c.get("overdue_now", 0),
                at_risk_now=c.get("at_risk_now", 0),
                completed=f.get("completed", 0),
                completed_on_time=f.get("completed_on_time", 0),
                on_time_rate=rate(f.get("completed_on_time", 0), f.get("completed", 0)),
            )
        )
    by_clerk = []
    for a in assignees:
        c, f = figures(counts.by_assignee, a), figures(done.by_assignee, a)
        member = d.staff.get(a)
        by_clerk.append(
            ClerkFigures(
                staff_id=a,
                name=member.name if member else a,
                window=member.window if member else None,
                open=c.get("open", 0),
                overdue_now=c.get("overdue_now", 0),
                at_risk_now=c.get("at_risk_now", 0),
                completed=f.get("completed", 0),
                completed_on_time=f.get("completed_on_time", 0),
            )
        )
    return Summary(
        window=window,
        by_status={s.value: counts.by_status.get(s.value, 0) for s in Status},
        by_kind={k.value: counts.by_kind.get(k.value, 0) for k in Kind},
        received=counts.received,
        open=counts.open,
        completed=done.completed,
        completed_on_time=done.on_time,
        on_time_rate=rate(done.on_time, done.completed),
        legal_completed=done.legal_counted,
        legal_completed_on_time=done.legal_on_time,
        legal_on_time_rate=rate(done.legal_on_time, done.legal_counted),
        overdue_now=counts.overdue_now,
        at_risk_now=counts.at_risk_now,
        open_alerts=sum(alerts.values()),
        open_alerts_by_level=alerts,
        center_alerts_open=center_alerts,
        handling=handling,
        by_window=by_window,
        by_clerk=by_clerk,
        inquiries=inquiries,
        complaints=ComplaintFiguresOut(
            received=complaints.received,
            upheld=complaints.upheld,
            per_1000_cases=(
                round(complaints.received * 1000 / counts.received, 2) if counts.received else None
            ),
        ),
        followups=FollowupFiguresOut(due=followups[0], done=followups[1]),
    )


class ListedCase(BaseModel):
    """A case on the overdue or at-risk list: no applicant data at all."""

    center: str
    case_id: str
    service_code: str
    service_name: str
    window: str
    kind: str
    status: str
    assignee: str
    assignee_name: str
    received_at: datetime
    due_at: datetime | None
    legal_due_at: datetime | None
    overdue: bool
    warned: bool
    paused: bool
    urgent: bool


def listed_case(ctx: AppContext, row: Any) -> ListedCase:
    tz = ctx.directory_tz
    directory = ctx.directories.get(row["center_code"], ctx.directory)
    member = directory.staff.get(row["assignee"])

    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(tz) if at is not None else None

    return ListedCase(
        center=row["center_code"],
        case_id=row["case_id"],
        service_code=row["service_code"],
        service_name=row["service_name"],
        window=row["window_code"],
        kind=row["kind"],
        status=row["status"],
        assignee=row["assignee"],
        assignee_name=member.name if member else row["assignee"],
        received_at=row["received_at"].astimezone(tz),
        due_at=local(row["due_at"]),
        legal_due_at=local(row["legal_due_at"]),
        overdue=row["overdue"],
        warned=row["warned"],
        paused=row["paused"],
        urgent=row["urgent"],
    )


class CaseListOut(BaseModel):
    window: str | None
    items: list[ListedCase]


class DayFigures(BaseModel):
    day: date
    received: int
    completed: int


class Trend(BaseModel):
    window: str | None
    days: list[DayFigures]


class WindowScoreOut(BaseModel):
    window: str
    name: str
    score: int
    deducted: int
    by_kind: dict[str, int]
    rank: int
    red_flag: bool


class Ranking(BaseModel):
    month: str  # YYYY-MM
    full_marks: int
    points: dict[str, int]  # what each kind of deduction costs
    windows: list[WindowScoreOut]


class DeductionIn(Strict):
    window: str
    kind: str
    on: str = Field(description="the day it happened, YYYY-MM-DD")
    count: int = Field(default=1, ge=1, le=100)
    note: str = Field(default="", max_length=500)
    case_id: str | None = Field(default=None, max_length=64)


class DeductionOut(BaseModel):
    id: int
    window: str
    on: date
    kind: str
    points: int
    case_id: str | None
    note: str
    recorded_by: str
    recorded_at: datetime


def deduction_out(ctx: AppContext, row: Any) -> DeductionOut:
    return DeductionOut(
        id=row["id"],
        window=row["window_code"],
        on=row["on_day"],
        kind=row["kind"],
        points=row["points"],
        case_id=row["case_id"],
        note=row["note"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"].astimezone(ctx.directory_tz),
    )


class Viewer(BaseModel):
    id: str
    name: str
    role: str
    window: str | None
    windows: dict[str, str]  # every window of the center: code -> name
    today: date
