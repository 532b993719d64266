"""Record the history of a scripted case, for the replay tests in ``tests/histories``.

    .venv/bin/python -m tests.histories.record [NAME ...]

runs each script below (or the ones named) on the time-skipping server with a
throwaway PostgreSQL, and writes ``tests/histories/<name>.json`` (Temporal's
JSON history format). A history already recorded is never overwritten: it is
the record of what older code did, and it must keep replaying. Commit the new
file: from then on every ``make test`` replays it against the current workflow
code, so a change that would break a case already running fails there first.
Such a change goes through ``workflow.patched()``.

One history is not a script here: ``settled-then-write-through.json`` is a case received
and reviewed by the worker of 0515382 (under ``settled-2026-12``) and completed by the
worker of the write-through change, as a case running across that deploy is. Its new
worker took the old path to the end: a patch checked first while replaying stays unpatched.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from banjian.embedded import EmbeddedPostgres, free_port, test_server_path
from banjian.runtime import build_worker
from projections.db import LazyPool, connect
from projections.migrate import migrate
from workflows.actions import (
    AcknowledgeAlert,
    ActionMeta,
    Assign,
    Chase,
    Complete,
    DecideReview,
    DesignateUrgent,
    Extend,
    Forward,
    RecordDecision,
    RecordSignoff,
    RequestMaterials,
    RequestReview,
    RequestSignoff,
    Return,
    StartReview,
    SupplyMaterials,
    Withdraw,
)
from workflows.client import CaseClient
from workflows.model import (
    Actor,
    Applicant,
    CaseInput,
    CaseState,
    ClockPolicy,
    Kind,
    Material,
    OfficeCalendar,
    Outcome,
    Role,
    ServiceSnapshot,
    Supply,
)

HERE = Path(__file__).parent
QUEUE = "record"
CLERK = ActionMeta(Actor("mz-a", Role.CLERK, "minzheng"))
DIRECTOR = ActionMeta(Actor("director", Role.DIRECTOR, None))
SERVICE = ServiceSnapshot(
    "MZ-001",
    "临时救助申请",
    "minzheng",
    Kind.PROMISED,
    5,
    20,
    [Material("id_card", "申请人身份证", True), Material("photo", "照片", True)],
)

JOINT = ServiceSnapshot(
    "MZ-002",
    "城乡居民最低生活保障申请",
    "minzheng",
    Kind.JOINT,
    3,
    4,
    [Material("id_card", "申请人身份证", True)],
    ["canlian", "laodong"],
)
IMMEDIATE = ServiceSnapshot(
    "MZ-005",
    "老年人优待证办理",
    "minzheng",
    Kind.IMMEDIATE,
    0,
    0,
    [Material("id_card", "身份证", True)],
)
UPWARD = ServiceSnapshot(
    "SB-004",
    "养老保险待遇申领（代理）",
    "minzheng",
    Kind.UPWARD,
    15,
    20,
    [Material("id_card", "身份证", True), Material("photo", "照片", True)],
)
ORPHAN = ServiceSnapshot("ZH-900", "不管件", "zonghe", Kind.ORPHAN, 0, 0, [])
HEAD = ActionMeta(Actor("mz-head", Role.WINDOW_HEAD, "minzheng"))
GUOTU = ActionMeta(Actor("gt-a", Role.CLERK, "guotu"))
CANLIAN = ActionMeta(Actor("cl-a", Role.CLERK, "canlian"))
LAODONG = ActionMeta(Actor("ld-a", Role.CLERK, "laodong"))

Script = Callable[[WorkflowEnvironment, WorkflowHandle[Any, Any]], Awaitable[None]]


async def _update(h: WorkflowHandle[Any, Any], name: str, arg: object) -> CaseState:
    state: CaseState = await h.execute_update(name, arg, result_type=CaseState)
    return state


async def promised_pause_extend(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Materials requested and supplied two days later, extended, completed."""
    await h.execute_update(
        "request-materials", RequestMaterials(CLERK, ["photo"], "补交照片"), result_type=CaseState
    )
    await env.sleep(timedelta(days=2))
    await h.execute_update(
        "supply-materials", SupplyMaterials(CLERK, ["photo"]), result_type=CaseState
    )
    await h.execute_update("start-review", StartReview(CLERK), result_type=CaseState)
    await h.execute_update("extend", Extend(DIRECTOR, 5, "需要现场核查"), result_type=CaseState)
    await h.execute_update(
        "complete", Complete(CLERK, Outcome.APPROVED, "准予"), result_type=CaseState
    )


async def joint_late_department_legal_breach(
    env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]
) -> None:
    """A joint case: one department signs, the other is late; the promised and the legal
    limits run out and climb; the director extends the legal limit, the head acknowledges,
    the late department signs at last and the case is approved."""
    await _update(h, "start-review", StartReview(CLERK))
    await _update(h, "request-signoff", RequestSignoff(CLERK, ["canlian", "laodong"]))
    await _update(h, "signoff", RecordSignoff(CANLIAN, "canlian", "approve", "同意"))
    await env.sleep(timedelta(days=5))
    state = await _update(h, "extend", Extend(DIRECTOR, 2, "联办部门逾期", "legal"))
    overdue = next(a for a in state.alerts if a.kind == "overdue" and a.clock == "promised")
    await _update(h, "acknowledge-alert", AcknowledgeAlert(HEAD, overdue.id))
    await env.sleep(timedelta(days=10))
    await _update(h, "signoff", RecordSignoff(LAODONG, "laodong", "approve", "同意（逾期）"))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "准予"))


async def immediate_on_the_spot(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """An immediate case completed on the spot."""
    await env.sleep(timedelta(minutes=10))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "当场办结"))


async def restart_on_supply(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """A center that restarts the clock on supply: materials asked for, supplied, approved."""
    await _update(h, "request-materials", RequestMaterials(CLERK, ["photo"], "补交照片"))
    await env.sleep(timedelta(days=3))
    await _update(h, "supply-materials", SupplyMaterials(CLERK, ["photo"]))
    await _update(h, "start-review", StartReview(CLERK))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "准予"))


async def upward_chased_and_decided(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """An upward case forwarded, late at the higher authority, chased, decided, completed."""
    await _update(h, "start-review", StartReview(CLERK))
    await _update(h, "forward", Forward(CLERK, "县人力资源和社会保障局", "县人社〔2026〕118号", 2))
    await env.sleep(timedelta(days=5))
    await _update(h, "chase", Chase(CLERK, "电话催办"))
    await _update(h, "record-decision", RecordDecision(CLERK, "approved", "县人社〔2026〕130号"))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "按上级决定办结"))


async def orphan_assigned(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """An orphan matter assigned by the director, made urgent, reviewed and completed."""
    await _update(h, "assign", Assign(DIRECTOR, "gt-a", "guotu", 3, "由国土村建窗口牵头"))
    await _update(h, "designate-urgent", DesignateUrgent(DIRECTOR, "群众急需"))
    await _update(h, "start-review", StartReview(GUOTU))
    await env.sleep(timedelta(days=1))
    await _update(h, "complete", Complete(GUOTU, Outcome.APPROVED, "已协调解决"))


async def return_reviewed_reopened(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Returned late, a review asked for, reopened by the director, then withdrawn."""
    await _update(h, "start-review", StartReview(CLERK))
    await env.sleep(timedelta(days=6))
    await _update(h, "return", Return(CLERK, "不符合条件"))
    await _update(h, "request-review", RequestReview(CLERK, "申请人请求复核"))
    await _update(h, "decide-review", DecideReview(DIRECTOR, "reopen", "退回依据不足"))
    await _update(h, "withdraw", Withdraw(CLERK, "申请人撤回"))


async def received_in_one_task(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Received as the API receives a case (the intake update riding with the start), its
    review started the next day and the case approved."""
    await env.sleep(timedelta(days=1))
    await _update(h, "start-review", StartReview(CLERK))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "准予"))


async def handled_at_the_counter(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Received, reviewed and approved within the projector's grace: its events go out in the
    answers, and the projector writes them once, as the case closes."""
    await _update(h, "start-review", StartReview(CLERK))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "准予"))


async def overdue_escalated_closed(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Late, the breach climbs to the director unacknowledged; completing the case settles
    its open alerts."""
    await _update(h, "start-review", StartReview(CLERK))
    await env.sleep(timedelta(days=12))
    await _update(h, "complete", Complete(CLERK, Outcome.APPROVED, "准予（逾期）"))


# name → (script, service, materials at intake, the center's policy)
SCRIPTS: dict[str, tuple[Script, ServiceSnapshot, list[str], ClockPolicy]] = {
    "promised-pause-extend": (promised_pause_extend, SERVICE, ["id_card"], ClockPolicy()),
    "joint-late-department-legal-breach": (
        joint_late_department_legal_breach,
        JOINT,
        ["id_card"],
        ClockPolicy(signoff_days=2),
    ),
    "immediate-on-the-spot": (immediate_on_the_spot, IMMEDIATE, ["id_card"], ClockPolicy()),
    "upward-chased-and-decided": (
        upward_chased_and_decided,
        UPWARD,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    "orphan-assigned": (orphan_assigned, ORPHAN, [], ClockPolicy()),
    "return-reviewed-reopened": (
        return_reviewed_reopened,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    "overdue-escalated-closed": (
        overdue_escalated_closed,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    "restart-on-supply": (
        restart_on_supply,
        SERVICE,
        ["id_card"],
        ClockPolicy(on_supply=Supply.RESTART),
    ),
    # Received under the settled marker (``workflows.patches``), intake in one task.
    "received-in-one-task": (received_in_one_task, SERVICE, ["id_card", "photo"], ClockPolicy()),
    "missing-at-intake-settled": (promised_pause_extend, SERVICE, ["id_card"], ClockPolicy()),
    "joint-late-settled": (
        joint_late_department_legal_breach,
        JOINT,
        ["id_card"],
        ClockPolicy(signoff_days=2),
    ),
    "return-reopened-settled": (
        return_reviewed_reopened,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    "overdue-escalated-settled": (
        overdue_escalated_closed,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    # Received under the write-through settled marker: the answers carry the events.
    "counter-write-through": (
        handled_at_the_counter,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
    "missing-at-intake-write-through": (
        promised_pause_extend,
        SERVICE,
        ["id_card"],
        ClockPolicy(),
    ),
    "overdue-escalated-write-through": (
        overdue_escalated_closed,
        SERVICE,
        ["id_card", "photo"],
        ClockPolicy(),
    ),
}


async def record(names: list[str]) -> None:
    todo = {n: SCRIPTS[n] for n in names or SCRIPTS if not (HERE / f"{n}.json").exists()}
    with tempfile.TemporaryDirectory() as folder:
        pg = EmbeddedPostgres(Path(folder) / "pg", free_port(), durable=False)
        await pg.start()
        db = LazyPool(pg.dsn)
        try:
            conn = await connect(pg.dsn)
            await migrate(conn)
            await conn.close()
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=str(test_server_path()),
                data_converter=pydantic_data_converter,
            )
            async with env, build_worker(env.client, QUEUE, db, "Asia/Shanghai"):
                for name, (script, service, materials, policy) in todo.items():
                    inp = CaseInput(
                        f"REC-{name}",
                        service,
                        Applicant("示例", "11010519491231002X", "13900000000"),
                        materials,
                        False,
                        CLERK.actor,
                        OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30"),
                        "recorded",
                        policy,
                    )
                    # As the API receives a case: the intake update rides with the start.
                    await CaseClient(env.client, "").receive(inp, QUEUE)
                    h: WorkflowHandle[Any, CaseState] = env.client.get_workflow_handle(
                        inp.case_id, result_type=CaseState
                    )
                    await script(env, h)
                    await h.result()
                    history = await h.fetch_history()
                    (HERE / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
                    print(f"recorded {name}")
        finally:
            await db.close()
            await pg.stop()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
