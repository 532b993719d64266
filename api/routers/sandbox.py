"""The sandbox: tokens without sign-in and a clock that staff can move forward.

Mounted only by ``banjian run --sandbox``, where Temporal is the time-skipping
test server. Moving the clock fires every timer due in between, starts and ends
the leaves whose days came, and answers only once the events raised are in the
read model; it then starts an archive round (the test server has no Schedules).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from api.context import AppContext
from api.deps import Context
from api.errors import ApiError, not_found, validation_error
from api.schemas import StaffOut, Strict
from centers.demo import demo_center_file
from centers.leave import LeaveClient
from ops.archive import start_archive_round
from projections.center import create_token
from workflows.client import CaseClient
from workflows.leave import LeavePhase
from workflows.model import Role

router = APIRouter(prefix="/sandbox", tags=["sandbox"])

SETTLE_TIMEOUT_SECONDS = 60.0


class TokenRequest(Strict):
    staff_id: str | None = None
    role: Role | None = None
    window: str | None = None
    # The center's code; absent: the demo center (for ``role: province``, the center that
    # lists the province's viewer).
    center: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> TokenRequest:
        if (self.staff_id is None) == (self.role is None):
            raise ValueError("give either staff_id or role (with window for window staff)")
        return self


class TokenOut(BaseModel):
    token: str
    staff: StaffOut
    center: str  # the staff member's center


class Advance(Strict):
    hours: Annotated[float | None, Field(gt=0, le=24 * 366)] = None
    days: Annotated[float | None, Field(gt=0, le=366)] = None

    @model_validator(mode="after")
    def _one_amount(self) -> Advance:
        if (self.hours is None) == (self.days is None):
            raise ValueError("give either hours or days")
        return self


class ClockOut(BaseModel):
    now: datetime


def _env(ctx: AppContext) -> object:
    if ctx.sandbox is None:
        raise ApiError(404, "not_found", "the sandbox is only available with banjian run --sandbox")
    return ctx.sandbox


def _zone(ctx: AppContext) -> ZoneInfo:
    """The clock is the deployment's, shown in the demo center's time zone (no sign-in: no
    center of the caller's)."""
    ctx.use_center(_default_center(ctx, None))
    return ctx.directory_tz


def _default_center(ctx: AppContext, role: Role | None) -> str:
    if role is Role.PROVINCE:
        for code, directory in sorted(ctx.directories.items()):
            if any(s.role is Role.PROVINCE for s in directory.staff.values()):
                return code
    demo = demo_center_file().center.code
    return demo if demo in ctx.directories else min(ctx.directories, default="")


@router.post("/tokens", response_model=TokenOut)
async def token(body: TokenRequest, ctx: Context) -> TokenOut:
    _env(ctx)
    await ctx.refresh_directory()  # a center applied since the last refresh
    code = body.center if body.center is not None else _default_center(ctx, body.role)
    if code not in ctx.directories:
        raise not_found("center", code)
    staff = list(ctx.directories[code].staff.values())
    if body.staff_id is not None:
        match = [s for s in staff if s.id == body.staff_id]
        if not match:
            raise not_found("staff", body.staff_id)
    else:
        match = [s for s in staff if s.role is body.role and (body.window in (None, s.window))]
        match.sort(key=lambda s: (s.post != "A", s.id))
        if not match:
            raise validation_error(f"no staff with role {body.role} on window {body.window!r}")
    chosen = match[0]
    return TokenOut(
        token=await create_token(ctx.pool, code, chosen.id),
        staff=StaffOut(
            id=chosen.id,
            name=chosen.name,
            role=chosen.role.value,
            window=chosen.window,
            post=chosen.post,
        ),
        center=code,
    )


@router.get("/clock", response_model=ClockOut)
async def clock(ctx: Context) -> ClockOut:
    _env(ctx)
    assert ctx.sandbox is not None
    return ClockOut(now=(await ctx.sandbox.get_current_time()).astimezone(_zone(ctx)))


@router.post("/clock/advance", response_model=ClockOut)
async def advance(body: Advance, ctx: Context) -> ClockOut:
    _env(ctx)
    assert ctx.sandbox is not None
    delta = timedelta(hours=body.hours) if body.hours else timedelta(days=body.days or 0)
    await ctx.sandbox.sleep(delta)
    now = await ctx.sandbox.get_current_time()
    deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT_SECONDS
    await _settle_leaves(ctx, now, deadline)  # their takeovers and hand-backs raise case events
    await _settle(ctx, now, deadline)
    # The test server has no Schedules: each move of the clock starts an archive round.
    await start_archive_round(ctx.client, ctx.task_queue, f"archive-sandbox-{now:%Y%m%dT%H%M%S}")
    return ClockOut(now=now.astimezone(_zone(ctx)))


def _not_settled(deadline: float, pending: set[str] | set[int], what: str) -> None:
    """Past the deadline, the 503 that says how many did not settle."""
    if asyncio.get_running_loop().time() > deadline:
        raise ApiError(
            503,
            "sandbox_not_settled",
            f"{len(pending)} {what} did not settle after the clock moved",
        )


async def _settle_leaves(ctx: AppContext, now: datetime, deadline: float) -> None:
    """Wait for every leave whose day came by ``now`` to have taken over or handed back."""
    pending = set(ctx.sandbox_leaves)
    leaves = LeaveClient(ctx.client, ctx.task_queue)
    while pending:
        for leave_id in list(pending):
            p = await leaves.progress(leave_id)
            if p is None or p.phase is LeavePhase.ENDED:
                pending.discard(leave_id)
                ctx.sandbox_leaves.discard(leave_id)  # nothing left to do
            elif p.wakes_at is not None and p.wakes_at > now:
                pending.discard(leave_id)
        if pending:
            _not_settled(deadline, pending, "leaves")
            await asyncio.sleep(0.05)


async def _settle(ctx: AppContext, now: datetime, deadline: float) -> None:
    """Wait for every case to have raised what was due by ``now`` and projected it."""
    pending = set(ctx.sandbox_cases)
    cases = CaseClient(ctx.client, "")  # sandbox_cases holds workflow ids
    while pending:
        for case_id in list(pending):
            p = await cases.pending(case_id)
            upcoming = p.next_threshold_at
            if p.projection_lag == 0 and (upcoming is None or upcoming > now):
                pending.discard(case_id)
                if p.closed:
                    ctx.sandbox_cases.discard(case_id)  # nothing left to fire
        if pending:
            _not_settled(deadline, pending, "cases")
            await asyncio.sleep(0.05)
