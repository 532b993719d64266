"""Ratings (好差评) for staff: the list, window by window; and where the applicant's side is
installed in the app (the public routes, the applicant's page, the rectifications)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel

from api.deps import Context, CurrentStaff
from api.routers import public, rectifications
from api.windows import window_scope
from projections.ratings import RatingFilter, list_ratings, rating_json

router = APIRouter(prefix="/ratings", tags=["ratings"])


class RatingOut(BaseModel):
    id: str
    case_id: str
    window: str
    stage: str  # received | completed | followup
    level: int  # 5 非常满意 … 1 非常不满意
    level_name: str
    tags: list[str]
    comment: str | None
    rated_at: datetime
    rectification_id: str | None


@router.get("", response_model=list[RatingOut])
async def ratings(
    ctx: Context,
    staff: CurrentStaff,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    window: str | None = None,
    case_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RatingOut]:
    """Newest first."""
    f = RatingFilter(level, window_scope(staff, window), case_id)
    rows = await list_ratings(ctx.pool, ctx.center, f, limit)
    tz = ctx.directory_tz
    out = []
    for r in rows:
        body = rating_json(r)
        body["rated_at"] = body["rated_at"].astimezone(tz)
        out.append(RatingOut.model_validate(body))
    return out


def install(app: FastAPI, prefix: str) -> None:
    """The applicant's side: public routes and page, ratings and rectifications for staff."""
    app.include_router(public.router, prefix=prefix)
    app.include_router(router, prefix=prefix)
    app.include_router(rectifications.router, prefix=prefix)
    app.include_router(public.page)
