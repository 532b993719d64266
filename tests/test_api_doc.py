"""API.md documents what banjian offers beyond the public contract. These tests keep it
complete: every HTTP route of the app has one entry there (a list item beginning with
`` `METHOD /path` ``), no entry names a route the app lacks, and every event type the
timeline knows is named."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, cast

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.app import create_app
from api.context import AppContext
from api.routers import pages
from documents.timeline import LABELS

API_DOC = Path(__file__).resolve().parent.parent / "API.md"
# An endpoint's entry: a list item that begins with `METHOD /path`.
ENTRY = re.compile(r"^- `([A-Z]+) (/\S*)`", re.MULTILINE)

Route = tuple[str, str]


def _doc() -> str:
    return API_DOC.read_text(encoding="utf-8")


def _entries() -> list[Route]:
    return [(m[1], m[2]) for m in ENTRY.finditer(_doc())]


def _app() -> FastAPI:
    # Building the app and its schema needs no servers: the context is only used by requests.
    return create_app(cast(AppContext, None))


def _routes() -> set[Route]:
    """Every (METHOD, path) the app serves: those of its OpenAPI schema, and the pages the
    schema leaves out (``/``, ``/dashboard``, a case's timeline), mounted at the root."""
    paths: dict[str, dict[str, Any]] = _app().openapi()["paths"]
    in_schema = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    page_routes = {
        (method, r.path)
        for r in pages.router.routes
        if isinstance(r, APIRoute)
        for method in r.methods or ()
    }
    return in_schema | page_routes


def _listing(routes: set[Route] | list[Route]) -> str:
    return "\n".join(f"  {method} {path}" for method, path in sorted(routes))


def test_every_route_is_in_api_doc() -> None:
    missing = _routes() - set(_entries())
    assert not missing, (
        f"routes without an entry (- `METHOD path` …) in API.md:\n{_listing(missing)}"
    )


def test_api_doc_names_only_routes_the_app_has_each_once() -> None:
    entries = _entries()
    unknown = set(entries) - _routes()
    twice = [route for route, n in Counter(entries).items() if n > 1]
    assert not unknown, f"API.md has entries for routes the app lacks:\n{_listing(unknown)}"
    assert not twice, f"API.md has more than one entry for:\n{_listing(twice)}"


def test_every_event_type_is_in_api_doc() -> None:
    doc = _doc()
    missing = sorted(t for t in LABELS if f"`{t}`" not in doc)
    assert not missing, f"event types not named in API.md (in backticks): {', '.join(missing)}"
