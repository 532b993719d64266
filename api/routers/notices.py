"""A case's written notices (书面通知): their list, and each one as a printable page.

Readable by all of the center's staff; the page is the notice to hand the
applicant (print it from the browser, A4, or ask for the PDF).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import Context, CurrentStaff
from api.errors import not_found
from banjian.notices import render_notice
from banjian.pdf import html_to_pdf
from projections.notices import NoticeCase, read_notice_case

router = APIRouter(prefix="/cases", tags=["notices"])

# The page shows an applicant's name: never cached, never framed, nothing loaded or run.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
}


# A PDF is a download of the same page: not cached or framed either.
PDF_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'"}
Format = Annotated[Literal["html", "pdf"], Query(description="html (the default) or pdf")]


async def pdf_response(html: str, filename: str) -> Response:
    """The page as an A4 PDF (drawn in a thread: it is CPU work), to show in the browser."""
    headers = {**PDF_HEADERS, "Content-Disposition": f'inline; filename="{filename}"'}
    pdf = await asyncio.to_thread(html_to_pdf, html)
    return Response(pdf, media_type="application/pdf", headers=headers)


class NoticeOut(BaseModel):
    id: str
    kind: str  # receipt | materials | return | extension | suspension
    title: str
    seq: int  # of the event the notice is drawn from
    issued_at: datetime
    url: str


async def _case(ctx: Context, case_id: str) -> NoticeCase:
    case = await read_notice_case(ctx.pool, case_id)
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
    responses={200: {"content": {"application/pdf": {}}}},
)
async def read_notice(
    case_id: str, notice_id: str, ctx: Context, _: CurrentStaff, format: Format = "html"
) -> Response:
    """One notice as a printable page in Chinese: HTML, or A4 PDF with ``?format=pdf``."""
    case = await _case(ctx, case_id)
    notice = case.notice(notice_id)
    if notice is None:
        raise not_found("notice", notice_id)
    page = render_notice(case, notice, ctx.directory_tz)
    if format == "pdf":
        return await pdf_response(page, f"{notice.id}.pdf")
    return HTMLResponse(page, headers=PAGE_HEADERS)
