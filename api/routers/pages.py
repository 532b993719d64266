"""The supervisors' page at ``/`` and ``/dashboard``, a case's timeline, and their static files.

The pages are plain HTML, CSS and JavaScript shipped in the ``api`` package
(``api/static``): no build step, nothing fetched from anywhere but this API,
which the Content-Security-Policy enforces.
"""

from __future__ import annotations

import json
from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from documents.timeline import LABELS

router = APIRouter(include_in_schema=False)

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


# The events' labels, as data the page reads (not run: the CSP's script-src does not apply).
_LABELS = json.dumps({t: list(pair) for t, pair in LABELS.items()}, ensure_ascii=False)
_LABELS_TAG = (
    '<script type="application/json" id="event-labels">'
    + _LABELS.replace("</", "<\\/")
    + "</script>"
)


def _page(name: str) -> HTMLResponse:
    html = resources.files("api").joinpath("static", name).read_text(encoding="utf-8")
    html = html.replace("<!-- event labels -->", _LABELS_TAG, 1)
    return HTMLResponse(
        html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"}
    )


@router.get("/")
@router.get("/dashboard")
async def dashboard_page() -> HTMLResponse:
    return _page("dashboard.html")


@router.get("/timeline/{case_id}")
async def timeline_page(case_id: str) -> HTMLResponse:
    del case_id  # the page reads it from its own address
    return _page("timeline.html")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
