"""The whole API served over HTTP by uvicorn, on a center of its own.

For tests that throw many requests at every route, some of which change the center
(a closure, a channel, leave): a database of its own and a worker on its own task
queue of the session's Temporal dev server, so no other test sees what they did.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from banjian.embedded import EmbeddedPostgres, free_port
from banjian.runtime import build_worker
from banjian.settings import Settings
from projections.center import create_token, load_directories
from projections.db import LazyPool, create_pool
from tests.api.test_cases import ID_NUMBER, PHONE
from tests.conftest import TIMEZONE
from tests.databases import new_database


@dataclass
class Served:
    app: FastAPI
    ctx: AppContext
    http: httpx.AsyncClient  # onto the server's root; the API is under /api/v1
    tokens: dict[str, str]  # staff id -> a valid token

    def auth(self, staff: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[staff]}"}

    async def receive(self, service: str, staff: str, **extra: Any) -> dict[str, Any]:
        """A new case of ``service`` with every required material, received by ``staff``."""
        materials = [
            m.code for m in self.ctx.directories["SFZ"].services[service].materials if m.required
        ]
        body = {
            "service_code": service,
            "applicant": {"name": "王小明", "id_number": ID_NUMBER, "phone": PHONE},
            "materials": materials,
            **extra,
        }
        r = await self.http.post("/api/v1/cases", json=body, headers=self.auth(staff))
        assert r.status_code == 201, r.text
        case: dict[str, Any] = r.json()
        return case

    async def act(
        self, case_id: str, action: str, staff: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        r = await self.http.post(
            f"/api/v1/cases/{case_id}/{action}", json=body or {}, headers=self.auth(staff)
        )
        assert r.status_code == 200, r.text
        case: dict[str, Any] = r.json()
        return case


@contextlib.asynccontextmanager
async def own_center(
    postgres: EmbeddedPostgres, client: Client, sandbox: WorkflowEnvironment | None = None
) -> AsyncIterator[Served]:
    """The API served on a center of its own; with ``sandbox`` (whose client ``client`` is),
    the sandbox's, with its clock."""
    dsn = await new_database(postgres)
    db = LazyPool(dsn)
    pool = await create_pool(dsn)
    queue = "own-" + uuid.uuid4().hex[:8]
    ctx = AppContext(
        settings=Settings(),
        client=client,
        pool=pool,
        directories=await load_directories(pool),
        task_queue=queue,
        sandbox=sandbox,
    )
    tokens = {s: await create_token(pool, "SFZ", s) for s in ctx.directories["SFZ"].staff}
    app = create_app(ctx)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    try:
        async with build_worker(client, queue, db, TIMEZONE):
            serving = asyncio.create_task(server.serve())
            try:
                while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
                    await asyncio.sleep(0.02)
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", timeout=60
                ) as http:
                    yield Served(app, ctx, http, tokens)
            finally:
                server.should_exit = True
                await serving
    finally:
        await pool.close()
        await db.close()
