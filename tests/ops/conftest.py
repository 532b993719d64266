"""A center of its own for the operations tests (and the CLI's): its database and worker on the
dev server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle

from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from banjian.runtime import build_worker
from projections.db import LazyPool, create_pool
from tests.conftest import TIMEZONE, eventually
from tests.databases import new_database
from tests.workflows.harness import act, case_input, meta
from workflows.actions import Complete, StartReview
from workflows.case import CaseWorkflow
from workflows.model import CaseState, Outcome


@dataclass
class Center:
    client: Client
    address: str
    queue: str
    dsn: str
    pool: asyncpg.Pool

    async def start(self, materials: list[str] | None = None) -> WorkflowHandle[Any, Any]:
        inp = case_input(materials=materials)
        handle = await self.client.start_workflow(
            CaseWorkflow.run, inp, id=inp.case_id, task_queue=self.queue
        )
        await handle.execute_update("intake", result_type=CaseState)
        return handle

    async def close(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Review and approve the case, and wait for its workflow to finish."""
        await act(handle, "start-review", StartReview(meta()))
        await act(handle, "complete", Complete(meta(), Outcome.APPROVED, "准予"))
        await handle.result()

    async def projected(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Wait until the read model has every event the case decided so far."""
        decided = (await handle.query("state", result_type=CaseState)).last_seq

        async def caught_up() -> bool:
            seq = await self.pool.fetchval(
                "select last_seq from cases where case_id = $1", handle.id
            )
            return bool(seq == decided)

        await eventually(caught_up)


@pytest_asyncio.fixture(scope="module")
async def center(
    postgres: EmbeddedPostgres, dev_server: tuple[TemporalDevServer, Client, str]
) -> AsyncIterator[Center]:
    server, client, _ = dev_server
    dsn = await new_database(postgres)
    db = LazyPool(dsn)
    pool = await create_pool(dsn)
    queue = "ops-" + uuid.uuid4().hex[:8]
    try:
        async with build_worker(client, queue, db, TIMEZONE):
            yield Center(client, server.address, queue, dsn, pool)
    finally:
        await pool.close()
        await db.close()
