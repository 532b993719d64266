"""The center's published catalog of services, and its staff."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Context, CurrentStaff
from api.schemas import MaterialOut, ServiceOut, StaffOut

router = APIRouter(tags=["catalog"])


@router.get("/services", response_model=list[ServiceOut])
async def services(ctx: Context, _: CurrentStaff) -> list[ServiceOut]:
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
    ]


@router.get("/staff", response_model=list[StaffOut])
async def staff(ctx: Context, _: CurrentStaff) -> list[StaffOut]:
    return [
        StaffOut(id=s.id, name=s.name, role=s.role.value, window=s.window, post=s.post)
        for s in ctx.directory.staff.values()
    ]
