"""Complaints (投诉): received by any staff but ops, answered by the director, read by all staff
with the complainant masked but for the director and discipline inspection."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from api.cases import CaseGateway, action_hash, actor_of, request_hash
from api.complaint_bodies import (
    AboutIn,
    AnswerIn,
    ComplaintIn,
    ComplaintOut,
    complaint_out,
    fields_of_row,
    fields_of_state,
)
from api.complaints import ComplaintGateway, new_complaint_id
from api.dashboard import parse_span
from api.deps import Context, CurrentStaff, IdempotencyKey
from api.errors import forbidden, not_found, validation_error
from api.presenters import recorded_event_from_row
from api.printable import PDF_TOO, Format, printable
from api.schemas import EventOut
from applicant.complaints import (
    About,
    Answer,
    Channel,
    Complainant,
    ComplaintInput,
    Finding,
    sees_complainant,
)
from documents.complaint_answer import render_written_answer
from projections import complaints
from projections.cases import get_case
from projections.complaints import ComplaintFilter
from workflows.actions import ActionMeta
from workflows.model import Role

router = APIRouter(prefix="/complaints", tags=["complaints"])


async def _involved(ctx: Context, about: AboutIn) -> tuple[str | None, list[str]]:
    """The window that answers for the complaint, and every window it involves: the window
    named, the staff member's, the case's and, for a joint case, its departments'."""
    d = ctx.directory
    units: list[str] = []
    if about.window is not None:
        if about.window not in d.windows:
            raise validation_error(f"no window {about.window!r} in this center")
        units.append(about.window)
    if about.staff is not None:
        member = d.staff.get(about.staff)
        if member is None:
            raise validation_error(f"no staff member {about.staff!r} in this center")
        if member.window is not None:
            units.append(member.window)
    if about.case_id is not None:
        row = await get_case(ctx.pool, ctx.center, about.case_id)
        if row is not None:
            window, service = row["window_code"], row["service_code"]
        else:  # received a moment ago, not yet in the read model
            state = await CaseGateway(ctx).live_state(about.case_id)
            window, service = state.window, state.service_code
        units.append(window)
        snapshot = d.services.get(service)
        units.extend(snapshot.departments if snapshot is not None else [])
    units = list(dict.fromkeys(units))
    return (units[0] if units else None), units


@router.post("", status_code=201, response_model=ComplaintOut)
async def receive_complaint(
    body: ComplaintIn, ctx: Context, staff: CurrentStaff, idempotency_key: IdempotencyKey = None
) -> ComplaintOut:
    """A complaint received at the window, by phone, by letter or online: its limit runs."""
    if staff.role is Role.OPS:
        raise forbidden("ops staff do not receive complaints")
    window, units = await _involved(ctx, body.about)
    inp = ComplaintInput(
        complaint_id=new_complaint_id(staff.center, staff.id, idempotency_key),
        channel=Channel(body.channel),
        about=About(body.about.window, body.about.staff, body.about.case_id),
        complainant=Complainant(body.complainant.name.strip(), body.complainant.phone),
        text=body.text.strip(),
        complicated=body.complicated,
        window=window,
        units=units,
        actor=actor_of(staff),
        calendar=ctx.calendar,
        request_hash=request_hash(body),
        policy=await complaints.center_policy(ctx.pool, ctx.center),
    )
    state = await ComplaintGateway(ctx).receive(inp)
    if ctx.sandbox is not None:
        ctx.sandbox_cases.add(state.complaint_id)  # the sandbox's clock waits for it too
    return complaint_out(fields_of_state(state), staff.role, ctx.directory_tz)


@router.get("", response_model=list[ComplaintOut])
async def list_complaints(
    ctx: Context,
    staff: CurrentStaff,
    status: Literal["open", "answered"] | None = None,
    window: str | None = None,
    channel: Literal["window", "phone", "letter", "online"] | None = None,
    from_: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    to: Annotated[str | None, Query(description="YYYY-MM-DD, included")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ComplaintOut]:
    """Complaints received in the range (the center's days), the latest first."""
    tz = ctx.directory_tz
    span = parse_span(from_, to, tz)
    if window is not None and window not in ctx.directory.windows:
        raise validation_error(f"no window {window!r} in this center")
    since = datetime.combine(span.start, time(), tz) if span.start else None
    until = datetime.combine(span.end + timedelta(days=1), time(), tz) if span.end else None
    rows = await complaints.list_complaints(
        ctx.pool, ctx.center, ComplaintFilter(status, window, channel, since, until), limit
    )
    return [complaint_out(fields_of_row(r), staff.role, tz) for r in rows]


@router.get("/{complaint_id}", response_model=ComplaintOut)
async def read_complaint(complaint_id: str, ctx: Context, staff: CurrentStaff) -> ComplaintOut:
    row = await complaints.get_complaint(ctx.pool, ctx.center, complaint_id)
    if row is not None:
        return complaint_out(fields_of_row(row), staff.role, ctx.directory_tz)
    state = await ComplaintGateway(ctx).live_state(complaint_id)  # 404 when there is none
    return complaint_out(fields_of_state(state), staff.role, ctx.directory_tz)


@router.get("/{complaint_id}/events", response_model=list[EventOut])
async def complaint_events(complaint_id: str, ctx: Context, _: CurrentStaff) -> list[EventOut]:
    """What happened to the complaint, in order: no event names the complainant."""
    rows = await complaints.complaint_events(ctx.pool, ctx.center, complaint_id)
    if not rows and await complaints.get_complaint(ctx.pool, ctx.center, complaint_id) is None:
        raise not_found("complaint", complaint_id)
    return [recorded_event_from_row(r, ctx.directory_tz) for r in rows]


@router.post("/{complaint_id}/answer", response_model=ComplaintOut)
async def answer_complaint(
    complaint_id: str,
    body: AnswerIn,
    ctx: Context,
    staff: CurrentStaff,
    idempotency_key: IdempotencyKey = None,
) -> ComplaintOut:
    """The director's finding and answer; an upheld complaint costs the window 10 points."""
    meta = ActionMeta(actor_of(staff), idempotency_key, action_hash(staff.id, "answer", body))
    answer = Answer(meta, Finding(body.finding), body.text.strip())
    state = await ComplaintGateway(ctx).act(complaint_id, "answer", answer, meta)
    return complaint_out(fields_of_state(state), staff.role, ctx.directory_tz)


@router.get("/{complaint_id}/notice", response_class=HTMLResponse, responses=PDF_TOO)
async def read_written_answer(
    complaint_id: str, ctx: Context, staff: CurrentStaff, format: Format = "html"
) -> Response:
    """The written answer to a letter, once answered: HTML, or A4 PDF with ``?format=pdf``.
    It names the complainant: the director's and discipline inspection's only."""
    if not sees_complainant(staff.role):
        raise forbidden("the written answer names the complainant")
    answer = await complaints.written_answer(ctx.pool, ctx.center, complaint_id)
    if answer is None:
        if await complaints.get_complaint(ctx.pool, ctx.center, complaint_id) is None:
            raise not_found("complaint", complaint_id)
        raise not_found("notice", f"{complaint_id}: a letter's, once answered")
    page = render_written_answer(answer, ctx.directory_tz)
    return await printable(page, format, f"{answer.number}.pdf")
