"""A case's written notices (书面通知): their list, and each one as a printable page.

Readable by all of the center's staff; the page is the notice to hand the
applicant (print it from the browser, A4, or ask for the PDF).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import Context, CurrentStaff
from api.errors import not_found
from api.printable import PDF_TOO, Format, printable
from documents.notices import render_notice
from projections.notices import NoticeCase, read_notice_case

router = APIRouter(prefix="/cases", tags=["notices"])


class NoticeOut(BaseModel):
    id: str
    kind: str  # receipt | materials | return | extension | suspension | completion
    title: str
    seq: int  # of the event the notice is drawn from
    issued_at: datetime
    url: str


async def _case(ctx: Context, case_id: str) -> NoticeCase:
    case = await read_notice_case(ctx.pool, ctx.center, case_id, ctx.settings.pages_url())
    if case is None:
        raise not_found("case", case_id)
    return case


@router.get("/{case_id}/notices", response_model=list[NoticeOut])
async def list_notices(
    case_id: str, ctx: Context, _: CurrentStaff, request: Request
) -> list[NoticeOut]:
    """The case's notices in the order they were issued."""
    case = await _case(ctx, case_id)
    return [
        NoticeOut(
            id=n.id,
            kind=n.kind,
            title=n.title,
            seq=n.seq,
            issued_at=n.issued_at.astimezone(ctx.directory_tz),
            url=request.url_for("read_notice", case_id=case_id, notice_id=n.id).path,
        )
        for n in case.notices
    ]


@router.get(
    "/{case_id}/notices/{notice_id}",
    response_class=HTMLResponse,
    name="read_notice",
    responses=PDF_TOO,
)
async def read_notice(
    case_id: str, notice_id: str, ctx: Context, _: CurrentStaff, format: Format = "html"
) -> Response:
    """One notice as a printable page in Chinese: HTML, or A4 PDF with ``?format=pdf``."""
    case = await _case(ctx, case_id)
    notice = case.notice(notice_id)
    if notice is None:
        raise not_found("notice", notice_id)
    return await printable(
        render_notice(case, notice, ctx.directory_tz), format, f"{notice.id}.pdf"
    )
