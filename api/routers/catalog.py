"""The center's published catalog of services, and its staff."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Context, CurrentStaff
from api.schemas import MaterialOut, ServiceOut, StaffOut
from workflows.model import Kind

router = APIRouter(tags=["catalog"])


@router.get("/services", response_model=list[ServiceOut])
async def services(ctx: Context, _: CurrentStaff, orphan: bool = False) -> list[ServiceOut]:
    """The published catalog (事项清单). The entry orphan matters (不管件) are taken in under is
    no published service: it is listed with ``?orphan=true``."""
    d = ctx.directory
    return [
        ServiceOut(
            code=s.code,
            name=s.name,
            window=s.window,
            kind=s.kind.value,
            promised_days=s.promised_days,
            legal_days=s.legal_days,
            legal_basis=d.legal_basis.get(s.code, ""),
            materials=[
                MaterialOut(code=m.code, name=m.name, required=m.required) for m in s.materials
            ],
            departments=s.departments,
        )
        for s in d.services.values()
        if (s.kind is Kind.ORPHAN) == orphan
    ]


@router.get("/staff", response_model=list[StaffOut])
async def staff(ctx: Context, _: CurrentStaff) -> list[StaffOut]:
    return [
        StaffOut(id=s.id, name=s.name, role=s.role.value, window=s.window, post=s.post)
        for s in ctx.directory.staff.values()
    ]
