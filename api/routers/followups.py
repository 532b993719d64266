"""Follow-up visits (回访): the director draws a month's sample; window staff record each visit.

Visits are listed with the applicant's name; the phone, which the visit needs, is shown
in full to those who may record it (the director, the case's window staff) and masked
to the others.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator

from api.dashboard import center_today, parse_month, scope
from api.deps import Context, CurrentStaff, require_role
from api.errors import ApiError, forbidden, not_found, validation_error
from api.idempotency import IdempotentWrite
from api.schemas import Strict, Text
from applicant.followups import DEFAULT_RATE, Reason, draw, due_on, visit_id
from documents.masking import mask
from projections import followups
from projections.center import StaffMember
from projections.db import Conn
from projections.followups import Sample, Visit, VisitRecord
from workflows.model import Role

router = APIRouter(prefix="/followups", tags=["followups"])

MAX_SEED = 2**63 - 1
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


class SampleIn(Strict):
    month: Month
    # A share of each window's cases (up to 1), or a whole number of them (above 1).
    rate: Annotated[float | None, Field(gt=0, le=10000)] = None
    per_window: Annotated[int | None, Field(ge=1, le=10000)] = None  # a number of them
    seed: Annotated[int | None, Field(ge=0, le=MAX_SEED)] = None

    @model_validator(mode="after")
    def _one_size(self) -> SampleIn:
        if self.rate is not None and self.per_window is not None:
            raise ValueError("give a rate or a number per window, not both")
        if self.rate is not None and self.rate > 1 and not self.rate.is_integer():
            raise ValueError("a rate above 1 is a number of cases per window: a whole number")
        return self

    def size(self) -> tuple[float | None, int | None]:
        """(rate, per_window) as drawn: a rate above 1 is a number per window."""
        if self.rate is not None and self.rate > 1:
            return None, int(self.rate)
        if self.rate is None and self.per_window is None:
            return DEFAULT_RATE, None
        return self.rate, self.per_window


class RecordIn(Strict):
    reached: bool
    level: Annotated[int | None, Field(ge=1, le=5)] = None  # 5 非常满意 … 1 非常不满意
    note: Text = ""

    @model_validator(mode="after")
    def _level_if_reached(self) -> RecordIn:
        if self.level is not None and not self.reached:
            raise ValueError("an applicant not reached gives no level")
        return self


class VisitedApplicant(BaseModel):
    name: str | None
    phone: str | None
    phone_masked: bool


class FollowupOut(BaseModel):
    id: str
    month: str  # YYYY-MM: the month whose cases were drawn
    case_id: str
    window: str
    reason: str  # sample | bad_rating
    status: str  # open | done
    due_on: date  # the last day of the month after
    late: bool  # still open after it
    service_code: str | None
    service_name: str | None
    completed_at: datetime | None
    applicant: VisitedApplicant
    reached: bool | None
    level: int | None
    note: str | None
    recorded_by: str | None
    recorded_at: datetime | None


class SampleOut(BaseModel):
    month: str
    rate: float | None
    per_window: int | None
    seed: int  # the same seed over the same cases draws the same sample
    bad_ratings: bool  # whether cases rated badly were added (there are ratings to read)
    drawn_by: str
    drawn_at: datetime
    items: list[FollowupOut]


def _visits(staff: StaffMember, window: str) -> bool:
    return staff.role is Role.DIRECTOR or (
        staff.role in (Role.CLERK, Role.WINDOW_HEAD) and staff.window == window
    )


def _out(ctx: Context, staff: StaffMember, r: Any, today: date) -> FollowupOut:
    tz, due = ctx.directory_tz, due_on(r["month"])
    phone, shown = r["applicant_phone"], _visits(staff, r["window_code"])

    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(tz) if at is not None else None

    return FollowupOut(
        id=r["id"],
        month=f"{r['month']:%Y-%m}",
        case_id=r["case_id"],
        window=r["window_code"],
        reason=r["reason"],
        status=r["status"],
        due_on=due,
        late=r["status"] == "open" and today > due,
        service_code=r["service_code"],
        service_name=r["service_name"],
        completed_at=local(r["completed_at"]),
        applicant=VisitedApplicant(
            name=r["applicant_name"],
            phone=phone if shown or phone is None else mask(phone),
            phone_masked=not shown,
        ),
        reached=r["reached"],
        level=r["level"],
        note=r["note"],
        recorded_by=r["recorded_by"],
        recorded_at=local(r["recorded_at"]),
    )


@router.post("/sample", status_code=201, response_model=SampleOut)
async def draw_sample(
    body: SampleIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> SampleOut | Response:
    """The month's visits: a sample of each window's completed cases and every case rated
    badly in the month. Director only; a month is drawn once."""
    require_role(staff, Role.DIRECTOR)
    today = await center_today(ctx)
    month = parse_month(body.month, today)
    if month > today.replace(day=1):
        raise validation_error("the month has not begun", [{"loc": ["body", "month"]}])
    tz, seed, now = ctx.directory_tz, body.seed, await ctx.now()
    seed = secrets.randbelow(2**31) if seed is None else seed
    rate, per_window = body.size()

    async def write(conn: Conn) -> SampleOut:
        if await followups.get_sample(conn, ctx.center, month) is not None:
            raise _already(month)
        completed = await followups.completed_in_month(conn, ctx.center, month, tz)
        drawn = draw(completed, month, seed, rate, per_window)
        picked = [(w, c, Reason.SAMPLE) for w, cases in drawn.items() for c in cases]
        bad = await followups.badly_rated_in_month(conn, ctx.center, month, tz)
        taken = {c for _, c, _ in picked}
        picked += [(w, c, Reason.BAD_RATING) for c, w in bad or [] if c not in taken]
        visits = [Visit(visit_id(month, n), c, w, r.value) for n, (w, c, r) in enumerate(picked, 1)]
        sample = Sample(ctx.center, month, rate, per_window, seed, bad is not None, staff.id, now)
        try:
            await followups.save_sample(conn, sample, visits)
        except asyncpg.UniqueViolationError:
            raise _already(month) from None  # drawn by another request meanwhile
        rows = await followups.list_followups(
            conn, ctx.center, month, None, None, limit=len(visits) + 1
        )
        return SampleOut(
            month=f"{month:%Y-%m}",
            rate=rate,
            per_window=per_window,
            seed=seed,
            bad_ratings=bad is not None,
            drawn_by=staff.id,
            drawn_at=now.astimezone(tz),
            items=[_out(ctx, staff, r, today) for r in rows],
        )

    return await once.respond(body, write)


def _already(month: date) -> ApiError:
    return ApiError(409, "already_sampled", f"the visits of {month:%Y-%m} were drawn already")


@router.get("", response_model=list[FollowupOut])
async def list_followups(
    ctx: Context,
    staff: CurrentStaff,
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    status: Literal["open", "done"] | None = None,
    window: Annotated[str | None, Query(description="a window code, or 'all'")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[FollowupOut]:
    """The visits of a month (or of every month), the window as on the dashboard; those
    still open after their month are ``late``."""
    today = await center_today(ctx)
    first = parse_month(month, today) if month else None
    rows = await followups.list_followups(
        ctx.pool, ctx.center, first, status, scope(ctx, staff, window), limit
    )
    return [_out(ctx, staff, r, today) for r in rows]


@router.post("/{followup_id}/record", response_model=FollowupOut)
async def record_visit(
    followup_id: str, body: RecordIn, ctx: Context, staff: CurrentStaff, once: IdempotentWrite
) -> FollowupOut | Response:
    """The visit made: the applicant reached or not, how satisfied, a note. Once."""
    row = await followups.get_followup(ctx.pool, ctx.center, followup_id)
    if row is None:
        raise not_found("followup", followup_id)
    if not _visits(staff, row["window_code"]):
        raise forbidden(f"the visits of window {row['window_code']!r} are its staff's")
    today, now = await center_today(ctx), await ctx.now()
    entry = VisitRecord(body.reached, body.level, body.note.strip(), staff.id, now)

    async def write(conn: Conn) -> FollowupOut:
        if not await followups.record_visit(conn, followup_id, entry):
            raise ApiError(
                409,
                "invalid_transition",
                f"follow-up {followup_id} is done: its visit is recorded already",
            )
        done = await followups.get_followup(conn, ctx.center, followup_id)
        return _out(ctx, staff, done, today)

    return await once.respond(body, write)
