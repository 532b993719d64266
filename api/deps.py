"""Dependencies of the routers: the app context and the authenticated staff member."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Header, Request, Response

from api.context import AppContext
from api.errors import forbidden, unauthorized
from api.read_your_writes import ReadYourWrites
from projections.center import StaffMember
from workflows.model import Role


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.context
    return ctx


Context = Annotated[AppContext, Depends(get_context)]


async def get_staff(
    ctx: Context, authorization: Annotated[str | None, Header()] = None
) -> StaffMember:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    # A token not seen before needs PostgreSQL: DatabaseUnavailable becomes a 503 (api.errors).
    staff = await ctx.staff_for_token(token.strip())
    if staff is None:
        raise unauthorized("the token is unknown or revoked")
    structlog.contextvars.bind_contextvars(staff_id=staff.id)
    return staff


CurrentStaff = Annotated[StaffMember, Depends(get_staff)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def read_your_writes(ctx: Context, response: Response) -> ReadYourWrites:
    return ReadYourWrites(ctx.projections, response)


# ``await shown(case_id, state.last_seq)`` before answering a write: the read model then has it.
WriteShown = Annotated[ReadYourWrites, Depends(read_your_writes)]


def require_role(staff: StaffMember, *roles: Role) -> None:
    if staff.role not in roles:
        raise forbidden(f"role {staff.role.value} may not do this")
