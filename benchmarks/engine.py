"""The bare engine: a workflow shaped like a case with nothing of banjian in it.

It is started, answers three updates (intake, start review, complete), runs two
local activities (a limit counted at intake, a record written at the end) and
completes. Run in its own worker process on its own task queue, on the same
Temporal server as the case worker, it is the pace the engine sets for a case:
``python -m benchmarks.engine ADDRESS TASK_QUEUE`` serves it until SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

WORKFLOW = "BareCase"
_LOCAL_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True)
class BareInput:
    case_id: str
    days: int


@dataclass(frozen=True)
class BareState:
    status: str
    due_at: datetime | None
    seq: int


@activity.defn(name="bare_count")
async def bare_count(received_at: datetime, days: int) -> datetime:
    """The limit: as cheap as arithmetic gets, so only the engine's cost remains."""
    return received_at + timedelta(days=days)


@activity.defn(name="bare_record")
async def bare_record(case_id: str, seq: int) -> int:
    return seq


@workflow.defn(name=WORKFLOW)
class BareCase:
    @workflow.init
    def __init__(self, inp: BareInput) -> None:
        self._status = "received"
        self._due_at: datetime | None = None
        self._seq = 0
        self._ready = False
        self._done = False

    @workflow.run
    async def run(self, inp: BareInput) -> BareState:
        self._due_at = await workflow.execute_local_activity(
            bare_count, args=[workflow.now(), inp.days], start_to_close_timeout=_LOCAL_TIMEOUT
        )
        self._seq = 1
        self._ready = True
        await workflow.wait_condition(lambda: self._done)
        await workflow.execute_local_activity(
            bare_record, args=[inp.case_id, self._seq], start_to_close_timeout=_LOCAL_TIMEOUT
        )
        return self._state()

    def _state(self) -> BareState:
        return BareState(self._status, self._due_at, self._seq)

    @workflow.update(name="intake")
    async def intake(self) -> BareState:
        await workflow.wait_condition(lambda: self._ready)
        return self._state()

    @workflow.update(name="start-review")
    async def start_review(self) -> BareState:
        await workflow.wait_condition(lambda: self._ready)
        self._status, self._seq = "under_review", self._seq + 1
        return self._state()

    @workflow.update(name="complete")
    async def complete(self) -> BareState:
        await workflow.wait_condition(lambda: self._ready)
        self._status, self._seq, self._done = "completed", self._seq + 1, True
        return self._state()


def bare_worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[BareCase],
        activities=[bare_count, bare_record],
    )


async def serve(address: str, task_queue: str) -> None:
    from banjian.runtime import connect  # the case worker's client, data converter included
    from privacy import KeyRing

    # The same payload encryption as the cases' (the stack hands its keys down).
    client = await connect(address, "default", KeyRing.parse(os.environ["BANJIAN_PAYLOAD_KEYS"]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bare_worker(client, task_queue):
        await stop.wait()


if __name__ == "__main__":
    # The workflow is registered from its module, not from __main__: the sandbox re-imports it.
    from benchmarks import engine

    asyncio.run(engine.serve(sys.argv[1], sys.argv[2]))
