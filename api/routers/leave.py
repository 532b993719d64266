"""Staff leave (请假/外出): registered by the window head; the B post covers the A post (AB岗)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from api.context import AppContext
from api.deps import BigId, Context, CurrentStaff, WriteShown
from api.errors import ApiError, forbidden, not_found, validation_error
from api.idempotency import IdempotentWrite
from api.read_your_writes import ReadYourWrites
from api.schemas import NotBlank, Strict
from centers.leave import LeaveClient, LeaveRefused, leave_input, record_leave
from projections import leave as store
from projections.center import StaffMember
from projections.db import Conn
from projections.leave import Leave
from workflows.model import Role

router = APIRouter(tags=["leave"])


class LeaveIn(Strict):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    first: dt.date = Field(alias="from")
    last: dt.date = Field(alias="to")
    reason: Annotated[str, Field(min_length=1, max_length=500), NotBlank]


class TakeoverOut(BaseModel):
    case_id: str
    takeover_seq: int | None
    taken_at: dt.datetime
    # null while the B post holds the case; handed_back | kept | closed | moved | not_taken
    outcome: str | None
    why: str | None
    handback_seq: int | None
    settled_at: dt.datetime | None


class LeaveOut(BaseModel):
    id: int
    staff_id: str
    staff_name: str
    window: str
    cover_staff: str
    first: dt.date = Field(serialization_alias="from")
    last: dt.date = Field(serialization_alias="to")
    reason: str
    status: str  # upcoming | current | ended
    registered_by: str
    registered_at: dt.datetime
    returned_on: dt.date | None
    returned_by: str | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    takeovers: list[TakeoverOut]


async def today(ctx: AppContext) -> dt.date:
    """The center's day: in the sandbox, the sandbox clock's."""
    sandbox = ctx.sandbox
    now = await sandbox.get_current_time() if sandbox is not None else dt.datetime.now(dt.UTC)
    return now.astimezone(ctx.directory_tz).date()


def _out(leave: Leave, ctx: AppContext) -> LeaveOut:
    tz = ctx.directory_tz

    def local(at: dt.datetime | None) -> dt.datetime | None:
        return at.astimezone(tz) if at is not None else None

    status = "ended" if leave.ended_at else "current" if leave.started_at else "upcoming"
    return LeaveOut(
        id=leave.id,
        staff_id=leave.staff_id,
        staff_name=leave.staff_name,
        window=leave.window,
        cover_staff=leave.cover_staff,
        first=leave.from_day,
        last=leave.to_day,
        reason=leave.reason,
        status=status,
        registered_by=leave.registered_by,
        registered_at=leave.registered_at.astimezone(tz),
        returned_on=leave.returned_on,
        returned_by=leave.returned_by,
        started_at=local(leave.started_at),
        ended_at=local(leave.ended_at),
        takeovers=[
            TakeoverOut(
                case_id=t.case_id,
                takeover_seq=t.takeover_seq,
                taken_at=t.taken_at.astimezone(tz),
                outcome=t.outcome,
                why=t.why,
                handback_seq=t.handback_seq,
                settled_at=local(t.settled_at),
            )
            for t in leave.takeovers
        ],
    )


def _staff(ctx: AppContext, staff_id: str) -> StaffMember:
    member = ctx.directory.staff.get(staff_id)
    if member is None:
        raise not_found("staff", staff_id)
    return member


def _may_manage(by: StaffMember, member: StaffMember) -> None:
    """The head of the staff member's window, or the director."""
    if by.role is Role.DIRECTOR:
        return
    if by.role is not Role.WINDOW_HEAD or by.window != member.window:
        raise forbidden(f"only the head of window {member.window!r} or the director may do this")


async def _moves_shown(leave: Leave, shown: ReadYourWrites) -> None:
    """Read your writes: the answer waits until the read model holds every takeover and
    hand-back the leave made (bounded; past that the answer says the read model is behind)."""
    for t in leave.takeovers:
        for seq in (t.takeover_seq, t.handback_seq):
            if seq is not None:
                await shown.seq(t.case_id, seq)


@router.post("/staff/{staff_id}/leave", status_code=201, response_model=LeaveOut)
async def register_leave(
    staff_id: str,
    body: LeaveIn,
    ctx: Context,
    staff: CurrentStaff,
    once: IdempotentWrite,
    shown: WriteShown,
) -> LeaveOut | Response:
    _may_manage(staff, _staff(ctx, staff_id))
    day = await today(ctx)

    async def record(conn: Conn) -> int:
        try:
            return await record_leave(
                conn, ctx.directory, staff_id, body.first, body.last, body.reason, staff, day
            )
        except LeaveRefused as err:
            raise validation_error(str(err)) from None

    async def start(leave_id: int) -> LeaveOut:
        leaves = LeaveClient(ctx.client, ctx.task_queue)
        await leaves.start(leave_input(leave_id, body.first, body.last, ctx.directory_tz))
        if ctx.sandbox is not None:
            ctx.sandbox_leaves.add(leave_id)
        await leaves.settled(leave_id)  # the takeovers, when its first day has come
        leave = await store.get_leave(ctx.pool, leave_id)
        assert leave is not None
        await _moves_shown(leave, shown)
        return _out(leave, ctx)

    return await once.respond_after(body, record, start)


@router.get("/staff/{staff_id}/leave", response_model=list[LeaveOut])
async def leave_of(staff_id: str, ctx: Context, _: CurrentStaff) -> list[LeaveOut]:
    _staff(ctx, staff_id)
    return [_out(x, ctx) for x in await store.leaves_of(ctx.pool, ctx.center, staff_id)]


@router.get("/leave", response_model=list[LeaveOut])
async def current_leave(ctx: Context, _: CurrentStaff, window: str | None = None) -> list[LeaveOut]:
    """Leave running now or to come, for one window or every one."""
    day = await today(ctx)
    return [
        _out(x, ctx) for x in await store.current_and_upcoming(ctx.pool, ctx.center, window, day)
    ]


@router.post("/staff/{staff_id}/leave/{leave_id}/end", response_model=LeaveOut)
async def end_leave(
    staff_id: str,
    leave_id: BigId,
    ctx: Context,
    staff: CurrentStaff,
    once: IdempotentWrite,
    shown: WriteShown,
) -> LeaveOut | Response:
    """A is back early: the cases the B post has not acted on go back to A."""
    _may_manage(staff, _staff(ctx, staff_id))
    leave = await store.get_center_leave(ctx.pool, ctx.center, leave_id)
    if leave is None or leave.staff_id != staff_id:
        raise not_found("leave", str(leave_id))
    day = await today(ctx)

    async def mark(conn: Conn) -> None:
        if not await store.mark_returned(conn, leave_id, day, staff.id):
            raise ApiError(409, "invalid_transition", f"leave {leave_id} has already ended")

    async def end(_: None) -> LeaveOut:
        back = await store.get_leave(ctx.pool, leave_id)
        assert back is not None
        await LeaveClient(ctx.client, ctx.task_queue).end_early(back, ctx.directory_tz)
        ended = await store.get_leave(ctx.pool, leave_id)
        assert ended is not None
        await _moves_shown(ended, shown)
        return _out(ended, ctx)

    return await once.respond_after({}, mark, end)
