"""How the printable pages (a notice, the dossier) are answered: HTML by default, or A4 PDF.

Both name an applicant, so neither is cached nor framed; the HTML loads and runs nothing.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import Query, Response
from fastapi.responses import HTMLResponse

from documents.pdf import html_to_pdf

_HTML_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
}
_PDF_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors 'none'"}

Format = Annotated[Literal["html", "pdf"], Query(description="html (the default) or pdf")]
# For a route's OpenAPI entry: it may answer a PDF too.
PDF_TOO: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


async def printable(page: str, format: Literal["html", "pdf"], pdf_name: str) -> Response:
    """The page as it is, or drawn as a PDF (in a thread: it is CPU work) shown inline."""
    if format == "html":
        return HTMLResponse(page, headers=_HTML_HEADERS)
    pdf = await asyncio.to_thread(html_to_pdf, page)
    headers = {**_PDF_HEADERS, "Content-Disposition": f'inline; filename="{pdf_name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
