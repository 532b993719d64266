"""Record the history of a scripted complaint, for ``tests/histories/test_complaint_replay.py``.

    .venv/bin/python -m tests.histories.record_complaints [NAME ...]

As ``tests.histories.record`` does for cases: each script runs on the time-skipping
server with a throwaway PostgreSQL and writes ``tests/histories/complaints/<name>.json``;
a history already recorded is never overwritten, and every ``make test`` replays it.
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

from applicant.complaints import (
    About,
    Answer,
    Channel,
    Complainant,
    ComplaintInput,
    ComplaintState,
    Finding,
)
from banjian.embedded import EmbeddedPostgres, free_port, test_server_path
from banjian.runtime import build_worker
from projections.db import LazyPool, connect
from projections.migrate import migrate
from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.complaint import ComplaintWorkflow
from workflows.model import Actor, OfficeCalendar, Role

HERE = Path(__file__).parent / "complaints"
QUEUE = "record-complaints"
CLERK = Actor("mz-a", Role.CLERK, "minzheng")
DIRECTOR = ActionMeta(Actor("director", Role.DIRECTOR, None))

Script = Callable[[WorkflowEnvironment, WorkflowHandle[Any, Any]], Awaitable[None]]


async def _update(h: WorkflowHandle[Any, Any], name: str, arg: object) -> ComplaintState:
    state: ComplaintState = await h.execute_update(name, arg, result_type=ComplaintState)
    return state


async def breached_escalated_upheld(env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]) -> None:
    """Unanswered: warned, breached, climbs to discipline inspection, who is acknowledged by
    the director; then upheld."""
    await env.sleep(timedelta(days=10))
    escalated = await h.query("state", result_type=ComplaintState)
    alert = next(a for a in escalated.alerts if a.threshold == "escalation")
    await _update(h, "acknowledge-alert", AcknowledgeAlert(DIRECTOR, alert.id))
    await _update(h, "answer", Answer(DIRECTOR, Finding.UPHELD, "属实，已整改。"))


async def complicated_answered_in_time(
    env: WorkflowEnvironment, h: WorkflowHandle[Any, Any]
) -> None:
    await env.sleep(timedelta(days=2))
    await _update(h, "answer", Answer(DIRECTOR, Finding.NOT_UPHELD, "经核实不属实。"))


# name → (script, channel, complicated)
SCRIPTS: dict[str, tuple[Script, Channel, bool]] = {
    "complaint-breached-escalated-upheld": (breached_escalated_upheld, Channel.PHONE, False),
    "complaint-complicated-answered-in-time": (
        complicated_answered_in_time,
        Channel.LETTER,
        True,
    ),
}


async def record(names: list[str]) -> None:
    todo = {n: SCRIPTS[n] for n in names or SCRIPTS if not (HERE / f"{n}.json").exists()}
    HERE.mkdir(exist_ok=True)
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
                for name, (script, channel, complicated) in todo.items():
                    inp = ComplaintInput(
                        complaint_id=f"TS-REC-{name}",
                        channel=channel,
                        about=About(window="minzheng"),
                        complainant=Complainant("示例", "13900000000"),
                        text="窗口服务态度差。",
                        complicated=complicated,
                        window="minzheng",
                        units=["minzheng"],
                        actor=CLERK,
                        calendar=OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30"),
                        request_hash="recorded",
                    )
                    h = await env.client.start_workflow(
                        ComplaintWorkflow.run, inp, id=inp.complaint_id, task_queue=QUEUE
                    )
                    await h.execute_update("intake", result_type=ComplaintState)
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
