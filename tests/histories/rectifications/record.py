"""Record the history of a scripted rectification, for the replay test beside it.

    .venv/bin/python -m tests.histories.rectifications.record

runs each script below on the time-skipping server with a throwaway PostgreSQL and writes
``tests/histories/rectifications/<name>.json``. As for cases (``tests.histories.record``), a
history already recorded is never overwritten: it must keep replaying against today's code.
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

from applicant.rectification import (
    Answer,
    Contact,
    RectificationInput,
    RectificationState,
    Rectify,
)
from banjian.embedded import EmbeddedPostgres, free_port, test_server_path
from banjian.runtime import build_worker
from projections.db import LazyPool, connect
from projections.migrate import migrate
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.model import Actor, OfficeCalendar, Role
from workflows.rectification import RectificationWorkflow

HERE = Path(__file__).parent
QUEUE = "record-rectifications"
CLERK = ActionMeta(Actor("mz-a", Role.CLERK, "minzheng"))
HEAD = ActionMeta(Actor("mz-head", Role.WINDOW_HEAD, "minzheng"))

Script = Callable[[WorkflowEnvironment, WorkflowHandle[Any, Any]], Awaitable[None]]


async def contacted_late_answered(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """The contact goes overdue and climbs; the head acknowledges; the window catches up."""
    await env.sleep(timedelta(days=3))
    state = await h.query("state", result_type=RectificationState)
    alert = next(a for a in state.alerts if a.level.value == "window_head")
    await h.execute_update("acknowledge-alert", AcknowledgeAlert(HEAD, alert.id))
    await h.execute_update("contact", Contact(CLERK, "电话联系申请人，核实情况"))
    await env.sleep(timedelta(days=2))
    await h.execute_update("rectify", Rectify(CLERK, "窗口服务规范培训"))
    await h.execute_update("answer", Answer(CLERK, "已向申请人说明整改情况"))


SCRIPTS: dict[str, Script] = {"contacted-late-answered": contacted_late_answered}


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
                for name, script in todo.items():
                    inp = RectificationInput(
                        id=f"RECT-REC-{name}-received",
                        rating_id=f"REC-{name}-received",
                        case_id=f"REC-{name}",
                        service_name="临时救助申请",
                        window="minzheng",
                        assignee="mz-a",
                        level=1,
                        stage="received",
                        tags=["attitude"],
                        comment="态度不好",
                        calendar=OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30"),
                    )
                    h = await env.client.start_workflow(
                        RectificationWorkflow.run, inp, id=inp.id, task_queue=QUEUE
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
