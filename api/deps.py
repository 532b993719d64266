"""Dependencies of the routers: the app context and the authenticated staff member."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Header, Path, Request, Response

from api.context import AppContext
from api.errors import forbidden, unauthorized, validation_error
from api.read_your_writes import ReadYourWrites
from projections.center import StaffMember
from workflows.model import Role


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.context
    return ctx


Context = Annotated[AppContext, Depends(get_context)]


def storable_url(request: Request) -> None:
    """Every route's: a NUL character in the path or the query is refused before a handler
    passes it on, since PostgreSQL text cannot hold one (bodies: ``api.schemas.Strict``)."""
    parts = [("path", k, v) for k, v in request.path_params.items()]
    parts += [("query", k, v) for k, v in request.query_params.multi_items()]
    bad = [[where, name] for where, name, value in parts if "\x00" in name or "\x00" in value]
    if bad or "\x00" in request.url.path:
        raise validation_error(
            "the request is not valid",
            [{"loc": loc, "msg": "must not contain a NUL character", "type": "nul"} for loc in bad],
        )


def province_may(request: Request) -> bool:
    """Whether the province role may make this request: a read of the centers or their
    dashboards. Cases, applicants and every write are the centers' own."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    path = path.removeprefix("/api/v1")
    return path == "/centers" or path.startswith("/dashboard/")


async def get_staff(
    ctx: Context, request: Request, authorization: Annotated[str | None, Header()] = None
) -> StaffMember:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    # A token not seen before needs PostgreSQL: DatabaseUnavailable becomes a 503 (api.errors).
    staff = await ctx.staff_for_token(token.strip())
    if staff is None:
        raise unauthorized("the token is unknown or revoked")
    structlog.contextvars.bind_contextvars(staff_id=staff.id, center=staff.center)
    if staff.role is Role.PROVINCE and not province_may(request):
        raise forbidden("role province reads the centers' figures only")
    ctx.use_center(staff.center)
    return staff


CurrentStaff = Annotated[StaffMember, Depends(get_staff)]

# Row ids in a path, bounded as PostgreSQL keeps them (serial, bigint): a larger number names
# no row, and the driver could not even send it.
SerialId = Annotated[int, Path(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Path(ge=1, le=2**63 - 1)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def read_your_writes(ctx: Context, response: Response) -> ReadYourWrites:
    return ReadYourWrites(ctx.projections, response)


# ``await shown(state)`` with an action's answer before answering: the read model then has it.
WriteShown = Annotated[ReadYourWrites, Depends(read_your_writes)]


def require_role(staff: StaffMember, *roles: Role) -> None:
    if staff.role not in roles:
        raise forbidden(f"role {staff.role.value} may not do this")
