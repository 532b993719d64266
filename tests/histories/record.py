"""Record the history of a scripted case, for the replay tests in ``tests/histories``.

    .venv/bin/python -m tests.histories.record

runs each script below on the time-skipping server with a throwaway
PostgreSQL, and writes ``tests/histories/<name>.json`` (Temporal's JSON
history format). Commit the file: from then on every ``make test`` replays
it against the current workflow code, so a change that would break a case
already running fails there first. Such a change goes through
``workflow.patched()``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from banjian.embedded import EmbeddedPostgres, free_port, test_server_path
from banjian.temporal import build_worker
from projections.db import LazyPool, connect
from projections.migrate import migrate
from workflows.case import CaseWorkflow
from workflows.model import (
    ActionMeta,
    Actor,
    Applicant,
    CaseInput,
    CaseState,
    Complete,
    Extend,
    Kind,
    Material,
    OfficeCalendar,
    Outcome,
    RequestMaterials,
    Role,
    ServiceSnapshot,
    StartReview,
    SupplyMaterials,
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

Script = Callable[[WorkflowEnvironment, WorkflowHandle[Any, Any]], Awaitable[None]]


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


SCRIPTS: dict[str, Script] = {"promised-pause-extend": promised_pause_extend}


async def record() -> None:
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
                for name, script in SCRIPTS.items():
                    inp = CaseInput(
                        f"REC-{name}",
                        SERVICE,
                        Applicant("示例", "11010519491231002X", "13900000000"),
                        ["id_card"],
                        False,
                        CLERK.actor,
                        OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30"),
                        "recorded",
                    )
                    h = await env.client.start_workflow(
                        CaseWorkflow.run, inp, id=inp.case_id, task_queue=QUEUE
                    )
                    await h.execute_update("intake", result_type=CaseState)
                    await script(env, h)
                    await h.result()
                    history = await h.fetch_history()
                    (HERE / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
                    print(f"recorded {name}")
        finally:
            await db.close()
            await pg.stop()


if __name__ == "__main__":
    asyncio.run(record())
