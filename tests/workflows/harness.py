"""Driving a case workflow in tests: who acts, which service, start a case, send actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.conftest import new_case_id
from workdays.calendar import OfficeHours, WorkingCalendar
from workflows.actions import ActionMeta
from workflows.case import CaseWorkflow
from workflows.model import (
    Actor,
    Applicant,
    CaseInput,
    CaseState,
    ClockPolicy,
    Kind,
    Material,
    OfficeCalendar,
    Role,
    ServiceSnapshot,
)

CLERK = Actor("mz-a", Role.CLERK, "minzheng")
OTHER_CLERK = Actor("sb-a", Role.CLERK, "shebao")
HEAD = Actor("mz-head", Role.WINDOW_HEAD, "minzheng")
DIRECTOR = Actor("director", Role.DIRECTOR, None)
OPS = Actor("ops", Role.OPS, None)
CALENDAR = OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30", center="SFZ")
WORKING = WorkingCalendar(OfficeHours.parse(CALENDAR.office_hours, CALENDAR.timezone))

MATERIALS = [
    Material("id_card", "申请人身份证", True),
    Material("application_form", "申请表", True),
    Material("photo", "照片", False),
]


def service(
    kind: Kind = Kind.PROMISED,
    days: int = 5,
    departments: list[str] | None = None,
    legal_days: int = 20,
) -> ServiceSnapshot:
    return ServiceSnapshot(
        code="MZ-001",
        name="临时救助申请",
        window="minzheng",
        kind=kind,
        promised_days=days,
        legal_days=legal_days,
        materials=MATERIALS,
        departments=departments or [],
    )


def meta(actor: Actor = CLERK, key: str | None = None, body: str | None = None) -> ActionMeta:
    return ActionMeta(actor=actor, idempotency_key=key, request_hash=body)


def case_input(
    svc: ServiceSnapshot | None = None,
    materials: list[str] | None = None,
    policy: ClockPolicy | None = None,
) -> CaseInput:
    """A new case received by ``CLERK``: the service's, by default every material at hand."""
    return CaseInput(
        case_id=new_case_id(),
        service=svc or service(),
        applicant=Applicant("张三", "350521199001011234", "13800000000"),
        materials=["id_card", "application_form"] if materials is None else materials,
        urgent=False,
        actor=CLERK,
        calendar=CALENDAR,
        request_hash="h",
        policy=policy or ClockPolicy(),
    )


async def start(
    env_queue: tuple[WorkflowEnvironment, str],
    svc: ServiceSnapshot | None = None,
    materials: list[str] | None = None,
    policy: ClockPolicy | None = None,
) -> WorkflowHandle[Any, Any]:
    env, queue = env_queue
    inp = case_input(svc, materials, policy)
    handle = await env.client.start_workflow(
        CaseWorkflow.run, inp, id=inp.case_id, task_queue=queue
    )
    await handle.execute_update("intake", result_type=CaseState)
    return handle


async def act(handle: WorkflowHandle[Any, Any], name: str, arg: object) -> CaseState:
    state: CaseState = await handle.execute_update(name, arg, result_type=CaseState)
    return state


async def state_of(handle: WorkflowHandle[Any, Any]) -> CaseState:
    state: CaseState = await handle.query("state", result_type=CaseState)
    return state


async def events_of(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = await handle.query("events", result_type=list[dict[str, Any]])
    return events


async def event_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    events = await handle.query("events", result_type=list[dict[str, Any]])
    return [e["type"] for e in events]


# Every threshold of a case lies on its grid: the received time of day plus whole working
# days, or an office boundary. A skip that lands exactly on one races the timer: fired after
# the skip returns, while the next action's workflow task is with the worker, the task's
# cancel of that timer is refused by the time-skipping server and the run is stranded
# (temporalio/sdk-java#2606; the real server takes it). Skips aimed at a threshold therefore
# land a little past the instant named, off the grid, every timer due by then fired.
OFF_GRID = timedelta(seconds=7)


async def skip_past(env: WorkflowEnvironment, at: datetime, extra: timedelta) -> None:
    """Move the time-skipping server's clock to ``extra`` after ``at``, off the grid."""
    await env.sleep(at - await env.get_current_time() + extra + OFF_GRID)


def rejection_code(err: WorkflowUpdateFailedError) -> str | None:
    cause = err.cause
    return cause.type if isinstance(cause, ApplicationError) else None
