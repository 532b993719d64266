"""Replaying a case for operations, and its printable dossier."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from api.deps import Context, CurrentStaff, require_role
from api.errors import not_found
from api.printable import PDF_TOO, Format, printable
from documents.dossier import render_dossier
from documents.replay_report import ReplayReport
from ops.history import CaseNotFound
from ops.replay import replay_case
from projections.centers import center_of_case
from workflows.model import Role

router = APIRouter(prefix="/cases", tags=["operations"])


async def _replay(ctx: Context, case_id: str) -> ReplayReport:
    """The center's case only: another's is not found, and so is one the read model lacks
    unless the center held the deployment's cases before it had centers (bare ids)."""
    owner = await center_of_case(ctx.pool, case_id)
    if owner != ctx.center and not (owner is None and ctx.directory.bare_workflow_ids):
        raise not_found("case", case_id)
    try:
        return await replay_case(ctx.client, ctx.pool, case_id, ctx.directory_tz)
    except CaseNotFound:
        raise not_found("case", case_id) from None


@router.get("/{case_id}/replay")
async def replay(case_id: str, ctx: Context, staff: CurrentStaff) -> dict[str, Any]:
    """The case's history replayed against the current code, its timeline, and every
    difference from the read model (``consistent`` is true when there is none)."""
    require_role(staff, Role.OPS)
    return (await _replay(ctx, case_id)).as_json()


@router.get(
    "/{case_id}/dossier",
    response_class=HTMLResponse,
    responses=PDF_TOO,
)
async def dossier(
    case_id: str, ctx: Context, staff: CurrentStaff, format: Format = "html"
) -> Response:
    """A printable record of the case (Chinese): events, clocks, the archive hash. HTML, or
    A4 PDF with ``?format=pdf``."""
    require_role(staff, Role.OPS, Role.DIRECTOR)
    report = await _replay(ctx, case_id)
    return await printable(render_dossier(report), format, f"{report.case_id}-dossier.pdf")
