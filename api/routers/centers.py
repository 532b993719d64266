"""The deployment's centers, for the province role (read-only across centers).

A center's own staff see their center only, so the list is the province's; the figures of
each are the dashboard's with ``?center=CODE``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import Context, CurrentStaff, require_role
from projections.centers import list_centers
from workflows.model import Role

router = APIRouter(tags=["centers"])


class CenterOut(BaseModel):
    code: str
    name: str
    timezone: str


@router.get("/centers", response_model=list[CenterOut])
async def read_centers(ctx: Context, staff: CurrentStaff) -> list[CenterOut]:
    """Every center of the deployment, by code."""
    require_role(staff, Role.PROVINCE)
    return [
        CenterOut(code=c.code, name=c.name, timezone=str(c.settings.get("timezone") or ""))
        for c in await list_centers(ctx.pool)
    ]
