"""The applicant's pages, without an account: the case's token is the key (``/public/...``),
and the small mobile page at ``/r/{token}`` that uses them.

Every request spends from the client address's and the link's rate limits first
(``api.ratelimit``). An answer names the service, the dates and where the case stands, never
a person: no applicant's data, no staff names, no internal notes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from api.context import AppContext
from api.deps import Context
from api.errors import ApiError
from api.printable import PDF_TOO, Format, printable
from api.ratelimit import check_public_limits
from api.rectifying import open_rectification
from api.schemas import Strict
from applicant.progress import stages_open, status_text
from applicant.ratings import LEVELS, RatingRefused, Stage, Tag, check_stage, is_bad, rating_id
from documents.notices import render_notice
from projections.links import LinkedCase, case_for_token
from projections.notices import NoticeCase, read_notice_case
from projections.ratings import Rating, insert_rating, stages_rated
from projections.rectifications import answered_rectification

router = APIRouter(prefix="/public", tags=["public"])
page = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'"
)
# The token is in the address: no page it opens may learn it from the Referer.
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


_TOKEN_IN_PATH = re.compile(r"^(/api/v1/public/(?:ratings|cases)/|/r/)[^/]+")


def loggable_path(path: str) -> str:
    """A request's path as logged: a link's token is a key, and never written to a log."""
    return _TOKEN_IN_PATH.sub(r"\1…", path)


def limited(request: Request, token: Token) -> str:
    check_public_limits(request, token)
    return token


LimitedToken = Annotated[str, Depends(limited)]


def link_not_found() -> ApiError:
    # The token is a key: it is not repeated back.
    return ApiError(404, "link_not_found", "no case has this link")


async def _case(ctx: AppContext, token: str) -> LinkedCase:
    case = await case_for_token(ctx.pool, token)
    if case is None:
        raise link_not_found()
    ctx.use_center(case.center)  # the rest of the request is the case's center's
    return case


async def now_of(ctx: AppContext) -> datetime:
    """The time by the sandbox's clock in the sandbox."""
    return await ctx.sandbox.get_current_time() if ctx.sandbox else datetime.now(UTC)


class RatingIn(Strict):
    stage: Stage
    level: Annotated[int, Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")]
    tags: Annotated[list[Tag], Field(default_factory=list, max_length=len(Tag))]
    comment: Annotated[str | None, Field(max_length=500)] = None


class RatingOut(BaseModel):
    stage: str
    level: int
    level_name: str
    tags: list[str]
    comment: str | None
    rated_at: datetime
    # A bad rating is followed up by the window (差评整改): the applicant is told so.
    rectification: bool


@router.post("/ratings/{token}", status_code=201, response_model=RatingOut)
async def rate(body: RatingIn, token: LimitedToken, ctx: Context) -> RatingOut:
    """Rate the service at a stage of the case: once per stage."""
    case = await _case(ctx, token)
    try:
        answered = await answered_rectification(ctx.pool, case.case_id)
        check_stage(body.stage, case.status, answered)
    except RatingRefused as err:
        raise ApiError(err.status, err.code, err.message) from None
    rid = rating_id(case.case_id, body.stage)
    opens = is_bad(body.level) and body.stage is not Stage.FOLLOWUP
    comment = body.comment.strip() if body.comment and body.comment.strip() else None
    rating = Rating(
        id=rid,
        case_id=case.case_id,
        stage=body.stage.value,
        level=body.level,
        tags=sorted({t.value for t in body.tags}),
        comment=comment,
        window=case.window,
        rated_at=await now_of(ctx),
        rectification_id=None,
        center=case.center,
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        recorded = (
            await open_rectification(ctx, conn, rating, case)
            if opens
            else (rating if await insert_rating(conn, rating) else None)
        )
    if recorded is None:
        raise _already_rated(body.stage)
    rating = recorded
    return RatingOut(
        stage=rating.stage,
        level=rating.level,
        level_name=LEVELS[rating.level],
        tags=rating.tags,
        comment=rating.comment,
        rated_at=rating.rated_at.astimezone(ctx.directory_tz),
        rectification=rating.rectification_id is not None,
    )


def _already_rated(stage: Stage) -> ApiError:
    return ApiError(409, "already_rated", f"this case was already rated at stage {stage.value!r}")


class NoticeLink(BaseModel):
    title: str
    issued_at: datetime
    url: str


class ProgressOut(BaseModel):
    service_name: str
    status: str
    status_text: str  # in Chinese, for the applicant
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    paused: bool
    missing: list[str]  # the names of the materials still to bring
    notices: list[NoticeLink]
    ratings: dict[str, int]  # stage → level given
    can_rate: list[str]  # the stages open to rating now


async def _notices(ctx: AppContext, case: LinkedCase) -> NoticeCase:
    found = await read_notice_case(ctx.pool, case.center, case.case_id, ctx.settings.pages_url())
    if found is None:
        raise link_not_found()
    return found


@router.get("/cases/{token}", response_model=ProgressOut)
async def progress(token: LimitedToken, ctx: Context, request: Request) -> ProgressOut:
    """Where the case stands (办件进度查询): no person's name, no staff note."""
    case = await _case(ctx, token)
    written = await _notices(ctx, case)
    rated = await stages_rated(ctx.pool, case.case_id)
    answered = await answered_rectification(ctx.pool, case.case_id)
    tz = ctx.directory_tz
    catalog = written.catalog
    return ProgressOut(
        service_name=case.service_name,
        status=case.status,
        status_text=status_text(case.status, case.outcome, case.paused),
        received_at=case.received_at.astimezone(tz),
        due_at=case.due_at.astimezone(tz) if case.due_at else None,
        completed_at=case.completed_at.astimezone(tz) if case.completed_at else None,
        paused=case.paused,
        missing=[catalog[m].name if m in catalog else m for m in case.materials_missing],
        notices=[
            NoticeLink(
                title=n.title,
                issued_at=n.issued_at.astimezone(tz),
                url=request.url_for("public_notice", token=token, seq=str(n.seq)).path,
            )
            for n in written.notices
        ],
        ratings=rated,
        can_rate=[s.value for s in stages_open(case.status, set(rated), answered)],
    )


@router.get(
    "/cases/{token}/notices/{seq}",
    response_class=HTMLResponse,
    name="public_notice",
    responses=PDF_TOO,
)
async def public_notice(
    token: LimitedToken, seq: Annotated[int, Path(ge=1)], ctx: Context, format: Format = "html"
) -> Response:
    """A notice issued to the applicant, naming no one (``?format=pdf`` for A4)."""
    case = await _case(ctx, token)
    written = await _notices(ctx, case)
    notice = next((n for n in written.notices if n.seq == seq), None)
    if notice is None:
        raise ApiError(404, "notice_not_found", f"this case has no notice {seq}")
    page = render_notice(written.for_public(), notice, ctx.directory_tz)
    return await printable(page, format, f"notice-{seq}.pdf")


@page.get("/r/{token}")
async def rating_page(token: str) -> HTMLResponse:
    """The applicant's page; it reads its token from its own address."""
    del token
    html = resources.files("api").joinpath("static", "rate.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers=_PAGE_HEADERS)
