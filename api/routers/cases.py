"""Cases: intake, reads, and the staff actions, each one a workflow update."""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from api.cases import CaseGateway, action_hash, actor_of, request_hash
from api.deps import Context, CurrentStaff, IdempotencyKey, WriteShown
from api.errors import forbidden, not_found, validation_error
from api.presenters import case_from_row, case_from_state, event_from_live, event_from_row
from api.schemas import (
    AssignIn,
    CaseCreate,
    CaseList,
    CaseOut,
    ChaseIn,
    CompleteIn,
    DecisionIn,
    Empty,
    EventOut,
    ExtendIn,
    ForwardIn,
    ReasonIn,
    ReassignIn,
    RequestMaterialsIn,
    RequestSignoffIn,
    ReturnIn,
    ReviewDecisionIn,
    SignoffIn,
    SupplyMaterialsIn,
    SuspendIn,
)
from projections.cases import CaseFilter, case_events, get_case, list_cases
from projections.center import StaffMember
from projections.links import link_url, token_of
from workflows import actions, model
from workflows.actions import ActionMeta
from workflows.case import CaseWorkflow
from workflows.client import Update, case_workflow_id
from workflows.model import Applicant, Role

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", status_code=201, response_model=CaseOut)
async def receive_case(
    body: CaseCreate,
    ctx: Context,
    staff: CurrentStaff,
    shown: WriteShown,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    service = ctx.directory.services.get(body.service_code)
    if service is None:
        raise not_found("service", body.service_code)
    if staff.role is Role.OPS or (
        staff.role is not Role.DIRECTOR and staff.window != service.window
    ):
        raise forbidden(f"cases of {service.code} are received at window {service.window!r}")
    unknown = sorted(set(body.materials) - {m.code for m in service.materials})
    if unknown:
        raise validation_error(f"materials not in service {service.code}: {', '.join(unknown)}")
    applicant = Applicant(body.applicant.name, body.applicant.id_number, body.applicant.phone)
    state = await CaseGateway(ctx).receive(
        staff,
        service,
        applicant,
        sorted(set(body.materials)),
        body.urgent,
        request_hash(body),
        idempotency_key,
    )
    if ctx.sandbox is not None:
        ctx.sandbox_cases.add(case_workflow_id(ctx.center, state.case_id))
    await shown(state)
    return case_from_state(state, ctx.directory_tz)


@router.get("", response_model=CaseList)
async def list_all(
    ctx: Context,
    staff: CurrentStaff,
    status: model.Status | None = None,
    window: str | None = None,
    overdue: bool | None = None,
    assignee: str | None = None,
    first_receiver: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CaseList:
    after = _decode_cursor(cursor) if cursor else None
    rows = await list_cases(
        ctx.pool,
        staff.center,
        CaseFilter(status.value if status else None, window, overdue, assignee, first_receiver),
        limit + 1,
        after,
    )
    page = rows[:limit]
    last = page[-1] if page else None
    next_cursor = (
        _encode_cursor(last["urgent"], last["received_at"], last["case_id"])
        if last is not None and len(rows) > limit
        else None
    )
    return CaseList(
        items=[case_from_row(r, ctx.directory_tz) for r in page], next_cursor=next_cursor
    )


@router.get("/{case_id}", response_model=CaseOut)
async def read_case(
    case_id: str, ctx: Context, staff: CurrentStaff, consistent: bool = False
) -> CaseOut:
    if consistent:
        case = case_from_state(await CaseGateway(ctx).live_state(case_id), ctx.directory_tz)
    else:
        row = await get_case(ctx.pool, staff.center, case_id)
        if row is None:
            raise not_found("case", case_id)
        case = case_from_row(row, ctx.directory_tz)
    token = await token_of(ctx.pool, staff.center, case_id)
    if token is not None:
        case.rating_url = link_url(ctx.settings.pages_url(), token)
    return case


@router.get("/{case_id}/events", response_model=list[EventOut])
async def read_events(
    case_id: str, ctx: Context, staff: CurrentStaff, consistent: bool = False
) -> list[EventOut]:
    tz = ctx.directory_tz
    if consistent:
        return [event_from_live(e, tz) for e in await CaseGateway(ctx).live_events(case_id)]
    rows = await case_events(ctx.pool, staff.center, case_id)
    if not rows and await get_case(ctx.pool, staff.center, case_id) is None:
        raise not_found("case", case_id)
    return [event_from_row(r, tz) for r in rows]


def _encode_cursor(urgent: bool, received_at: datetime, case_id: str) -> str:
    raw = json.dumps([urgent, received_at.isoformat(), case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[bool, datetime, str]:
    try:
        urgent, at, case_id = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        if not isinstance(urgent, bool):
            raise TypeError("urgent")
        return urgent, datetime.fromisoformat(at), str(case_id)
    except (ValueError, TypeError) as err:
        raise validation_error("cursor is not one this API returned") from err


# -- actions -------------------------------------------------------------------

Builder = Callable[[Any, ActionMeta, Any], object]


def _action(name: str, update: Update[Any], body_type: type[BaseModel], build: Builder) -> None:
    async def handler(
        *,
        case_id: str,
        body: Any,
        ctx: Context,
        staff: CurrentStaff,
        shown: WriteShown,
        idempotency_key: IdempotencyKey = None,
    ) -> CaseOut:
        body = body if body is not None else Empty()
        meta = ActionMeta(actor_of(staff), idempotency_key, action_hash(staff.id, name, body))
        state = await CaseGateway(ctx).act(case_id, name, update, build(body, meta, ctx), meta)
        await shown(state)
        return case_from_state(state, ctx.directory_tz)

    # The body's model is the action's; actions without fields accept an empty body or none.
    sig = inspect.signature(handler, eval_str=True)
    body_param = sig.parameters["body"].replace(
        annotation=Annotated[body_type | None, Body()] if body_type is Empty else body_type,
        default=None if body_type is Empty else inspect.Parameter.empty,
    )
    params = [body_param if p.name == "body" else p for p in sig.parameters.values()]
    handler.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    handler.__name__ = name.replace("-", "_")
    router.add_api_route(
        f"/{{case_id}}/{name}",
        handler,
        methods=["POST"],
        response_model=CaseOut,
        name=name,
        summary=name.replace("-", " ").capitalize(),
    )


def _handler(staff_id: str, ctx: Any) -> StaffMember:
    """Who a case is handed to: a clerk or a window head of the center."""
    target: StaffMember | None = ctx.directory.staff.get(staff_id)
    if target is None or target.role not in (Role.CLERK, Role.WINDOW_HEAD):
        raise validation_error(f"{staff_id!r} is not a clerk or window head")
    return target


def _assign(body: AssignIn, meta: ActionMeta, ctx: Any) -> actions.Assign:
    target = _handler(body.to_staff, ctx)
    return actions.Assign(meta, target.id, target.window or "", body.days, body.reason)


def _reassign(body: ReassignIn, meta: ActionMeta, ctx: Any) -> actions.Reassign:
    target = _handler(body.to_staff, ctx)
    return actions.Reassign(meta, target.id, target.window, body.reason)


_action(
    "request-materials",
    CaseWorkflow.request_materials,
    RequestMaterialsIn,
    lambda b, m, _: actions.RequestMaterials(m, b.missing, b.note, b.defective),
)
_action(
    "supply-materials",
    CaseWorkflow.supply_materials,
    SupplyMaterialsIn,
    lambda b, m, _: actions.SupplyMaterials(m, b.materials),
)
_action("start-review", CaseWorkflow.start_review, Empty, lambda b, m, _: actions.StartReview(m))
_action(
    "request-signoff",
    CaseWorkflow.request_signoff,
    RequestSignoffIn,
    lambda b, m, _: actions.RequestSignoff(m, b.departments),
)
_action(
    "signoff",
    CaseWorkflow.signoff,
    SignoffIn,
    lambda b, m, _: actions.RecordSignoff(m, b.department, b.decision, b.comment),
)
_action(
    "complete",
    CaseWorkflow.complete,
    CompleteIn,
    lambda b, m, _: actions.Complete(m, model.Outcome(b.outcome), b.note),
)
_action("return", CaseWorkflow.return_case, ReturnIn, lambda b, m, _: actions.Return(m, b.reason))
_action("reassign", CaseWorkflow.reassign, ReassignIn, _reassign)
_action(
    "extend",
    CaseWorkflow.extend,
    ExtendIn,
    lambda b, m, _: actions.Extend(m, b.days, b.reason, b.clock),
)
_action(
    "suspend",
    CaseWorkflow.suspend,
    SuspendIn,
    lambda b, m, _: actions.Suspend(m, b.reason, b.expected_days),
)
_action("resume", CaseWorkflow.resume, Empty, lambda b, m, _: actions.Resume(m))
_action("withdraw", CaseWorkflow.withdraw, ReasonIn, lambda b, m, _: actions.Withdraw(m, b.reason))
_action(
    "designate-urgent",
    CaseWorkflow.designate_urgent,
    ReasonIn,
    lambda b, m, _: actions.DesignateUrgent(m, b.reason),
)
_action("assign", CaseWorkflow.assign, AssignIn, _assign)
_action(
    "forward",
    CaseWorkflow.forward,
    ForwardIn,
    lambda b, m, _: actions.Forward(m, b.authority, b.reference, b.days),
)
_action("chase", CaseWorkflow.chase, ChaseIn, lambda b, m, _: actions.Chase(m, b.note))
_action(
    "record-decision",
    CaseWorkflow.record_decision,
    DecisionIn,
    lambda b, m, _: actions.RecordDecision(m, b.decision, b.reference, b.note),
)
_action(
    "request-review",
    CaseWorkflow.request_review,
    ReasonIn,
    lambda b, m, _: actions.RequestReview(m, b.reason),
)
_action(
    "decide-review",
    CaseWorkflow.decide_review,
    ReviewDecisionIn,
    lambda b, m, _: actions.DecideReview(m, b.decision, b.note),
)
