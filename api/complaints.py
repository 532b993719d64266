"""The API's side of a complaint: its bodies, its workflow, and who sees the complainant.

Temporal decides, as for a case: the complaint's workflow is started on receipt,
answered and acknowledged through updates, and a refused update becomes the
contract's error. The complainant's name and phone are shown to the director and
discipline inspection only (``applicant.complaints.CONFIDANTS``), masked to everyone
else, the window complained about included.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from pydantic import BaseModel, Field, model_validator
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.cases import action_hash, actor_of, counted, new_case_id
from api.context import AppContext
from api.errors import ApiError, not_found
from api.schemas import AlertOut, Code, NotBlank, Phone, Strict
from applicant.complaints import PREFIX, ComplaintInput, ComplaintState, sees_complainant
from documents.masking import mask
from projections.center import StaffMember
from projections.complaints import projected_seq
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.complaint import ComplaintWorkflow
from workflows.model import Role

log = structlog.get_logger(__name__)

PROJECTION_WAIT_SECONDS = 5.0
_STATUS_FOR_CODE = {
    "invalid_transition": 409,
    "idempotency_conflict": 409,
    "forbidden": 403,
    "validation_error": 422,
}


class AboutIn(Strict):
    window: Code | None = None
    staff: Code | None = None
    case_id: Annotated[str | None, Field(max_length=64)] = None

    @model_validator(mode="after")
    def _something(self) -> AboutIn:
        if self.window is None and self.staff is None and self.case_id is None:
            raise ValueError("name the window, the staff member or the case complained about")
        return self


class ComplainantIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), NotBlank]
    phone: Phone


class ComplaintIn(Strict):
    channel: Literal["window", "phone", "letter", "online"]
    about: AboutIn
    complainant: ComplainantIn
    text: Annotated[str, Field(min_length=1, max_length=5000), NotBlank]
    complicated: bool = False


class AnswerIn(Strict):
    finding: Literal["upheld", "not_upheld"]
    text: Annotated[str, Field(min_length=1, max_length=5000), NotBlank]


class AboutOut(BaseModel):
    window: str | None
    staff: str | None
    case_id: str | None


class ComplainantOut(BaseModel):
    name: str
    phone: str
    masked: bool  # true unless the viewer is the director or discipline inspection


class ComplaintOut(BaseModel):
    id: str
    channel: str
    about: AboutOut
    window: str | None  # the window that answers for it
    units: list[str]  # every window the complaint involves
    complicated: bool
    limit_days: int
    status: str  # open | answered
    text: str
    complainant: ComplainantOut
    received_at: datetime
    received_by: str
    due_at: datetime | None
    warned: bool
    overdue: bool
    finding: str | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    on_time: bool | None
    notice_url: str | None  # the written answer to a letter, once answered


def new_complaint_id(staff_id: str, idempotency_key: str | None) -> str:
    return PREFIX + new_case_id(staff_id, idempotency_key).removeprefix("BJ-")


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz) if at is not None else None


def complaint_out(c: dict[str, Any], viewer: Role, tz: ZoneInfo) -> ComplaintOut:
    """A complaint as ``fields_of_state`` or ``fields_of_row`` give it, for this viewer."""
    shown = sees_complainant(viewer)
    name, phone = c["complainant_name"], c["complainant_phone"]
    written = c["channel"] == "letter" and c["status"] == "answered"
    return ComplaintOut(
        id=c["id"],
        channel=c["channel"],
        about=AboutOut(window=c["about_window"], staff=c["about_staff"], case_id=c["about_case"]),
        window=c["window_code"],
        units=list(c["units"]),
        complicated=c["complicated"],
        limit_days=c["limit_days"],
        status=c["status"],
        text=c["text"],
        complainant=ComplainantOut(
            name=name if shown else mask(name),
            phone=phone if shown else mask(phone),
            masked=not shown,
        ),
        received_at=c["received_at"].astimezone(tz),
        received_by=c["received_by"],
        due_at=_local(c["due_at"], tz),
        warned=c["warned"],
        overdue=c["overdue"],
        finding=c["finding"],
        answer=c["answer"],
        answered_at=_local(c["answered_at"], tz),
        answered_by=c["answered_by"],
        on_time=c["on_time"],
        notice_url=f"/api/v1/complaints/{c['id']}/notice" if written else None,
    )


def fields_of_row(r: Any) -> dict[str, Any]:
    return dict(r)


def fields_of_state(s: ComplaintState) -> dict[str, Any]:
    return {
        "id": s.complaint_id,
        "channel": s.channel.value,
        "about_window": s.about.window,
        "about_staff": s.about.staff,
        "about_case": s.about.case_id,
        "window_code": s.window,
        "units": s.units,
        "complicated": s.complicated,
        "limit_days": s.limit_days,
        "status": s.status.value,
        "text": s.text,
        "complainant_name": s.complainant.name,
        "complainant_phone": s.complainant.phone,
        "received_at": s.received_at,
        "received_by": s.received_by,
        "due_at": s.due_at,
        "warned": s.warned,
        "overdue": s.overdue,
        "finding": s.finding.value if s.finding else None,
        "answer": s.answer,
        "answered_at": s.answered_at,
        "answered_by": s.answered_by,
        "on_time": s.on_time,
    }


def _rejection(err: WorkflowUpdateFailedError) -> ApiError:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in _STATUS_FOR_CODE:
        return ApiError(_STATUS_FOR_CODE[cause.type], cause.type, cause.message)
    raise err


class ComplaintGateway:
    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def _handle(self, complaint_id: str) -> WorkflowHandle[Any, Any]:
        return self._ctx.client.get_workflow_handle(complaint_id)

    async def receive(self, inp: ComplaintInput) -> ComplaintState:
        """Start the complaint's workflow; a retry with the same key and body finds it."""
        created = True
        with counted("complaint-receive"):
            try:
                await self._ctx.client.start_workflow(
                    ComplaintWorkflow.run,
                    inp,
                    id=inp.complaint_id,
                    task_queue=self._ctx.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                created = False
            try:
                state: ComplaintState = await self._handle(inp.complaint_id).execute_update(
                    "intake", id="intake", result_type=ComplaintState
                )
            except RPCError:
                if created:
                    raise
                state = await self.live_state(inp.complaint_id)  # answered meanwhile
            if not created and state.request_hash != inp.request_hash:
                raise ApiError(
                    409,
                    "idempotency_conflict",
                    "this Idempotency-Key was already used with a different request",
                )
        structlog.contextvars.bind_contextvars(complaint_id=inp.complaint_id)
        await self._projected(state)
        return state

    async def _projected(self, state: ComplaintState) -> None:
        """Wait, briefly, for the read model to show what was decided: the reads that follow
        an answer then see it. PostgreSQL slow or down, the answer goes out all the same."""
        loop = asyncio.get_running_loop()
        until = loop.time() + PROJECTION_WAIT_SECONDS
        while loop.time() < until:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                seq = await projected_seq(self._ctx.pool, state.complaint_id)
                if seq >= state.last_seq:
                    return
            await asyncio.sleep(0.02)

    async def act(
        self, complaint_id: str, action: str, arg: Any, meta: ActionMeta
    ) -> ComplaintState:
        structlog.contextvars.bind_contextvars(complaint_id=complaint_id)
        update_id = None
        if meta.idempotency_key is not None:
            update_id = f"{action}:{meta.idempotency_key}:{meta.request_hash}"
        with counted(f"complaint-{action}"):
            try:
                state: ComplaintState = await self._handle(complaint_id).execute_update(
                    action, arg, id=update_id, result_type=ComplaintState
                )
            except WorkflowUpdateFailedError as err:
                raise _rejection(err) from None
            except RPCError as err:
                if err.status == RPCStatusCode.UNAVAILABLE:
                    raise
                return await self._after_close(complaint_id, action, meta)
        log.info("complaint.action", action=action, seq=state.last_seq)
        await self._projected(state)
        return state

    async def _after_close(
        self, complaint_id: str, action: str, meta: ActionMeta
    ) -> ComplaintState:
        """An action on an answered complaint (its workflow has ended): the answer's own retry
        finds it; anything else is too late."""
        state = await self.live_state(complaint_id)
        if action == "answer" and meta.idempotency_key and state.answer_hash == meta.request_hash:
            return state
        raise ApiError(
            409,
            "invalid_transition",
            f"action {action!r} is not allowed while complaint {complaint_id} is answered",
        )

    async def live_state(self, complaint_id: str) -> ComplaintState:
        try:
            state: ComplaintState = await self._handle(complaint_id).query(
                "state", result_type=ComplaintState
            )
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise not_found("complaint", complaint_id) from None
            raise
        return state


async def acknowledge_complaint_alert(
    ctx: AppContext, staff: StaffMember, alert_id: str, idempotency_key: str | None
) -> AlertOut:
    """A complaint's alert (``<complaint>-A<seq>``) is acknowledged in its workflow, which
    stops the climb: by the director, or by discipline inspection at its own rung."""
    complaint_id, sep, seq = alert_id.rpartition("-A")
    if not sep or not seq.isdigit():
        raise not_found("alert", alert_id)
    meta = ActionMeta(
        actor_of(staff),
        idempotency_key,
        action_hash(staff.id, "acknowledge-alert", {"alert_id": alert_id}),
    )
    gateway = ComplaintGateway(ctx)
    try:
        state = await gateway.act(
            complaint_id, "acknowledge-alert", AcknowledgeAlert(meta, alert_id), meta
        )
    except ApiError as err:
        if err.code == "complaint_not_found":
            raise not_found("alert", alert_id) from None
        if err.code in ("validation_error", "invalid_transition"):
            known = await gateway.live_state(complaint_id)
            if not any(a.id == alert_id for a in known.alerts):
                raise not_found("alert", alert_id) from None
        raise
    alert = next(a for a in state.alerts if a.id == alert_id)
    tz = ctx.directory_tz
    return AlertOut(
        id=alert.id,
        case_id=None,
        kind="complaint",
        level=alert.level.value,
        window=state.window,
        clock="complaint",
        complaint_id=state.complaint_id,
        threshold=alert.threshold,
        raised_at=alert.raised_at.astimezone(tz),
        acked_at=_local(alert.acked_at, tz),
        acked_by=alert.acked_by,
    )
