"""The API on the real Temporal dev server and the embedded PostgreSQL, with the demo center."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from banjian.settings import Settings
from banjian.stack import prepare_database
from projections.center import create_token, load_directories
from projections.db import create_pool


@dataclass
class Api:
    http: httpx.AsyncClient
    root: httpx.AsyncClient  # the same app, outside the /api/v1 prefix
    ctx: AppContext
    tokens: dict[str, str]

    def auth(self, staff: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[staff]}"}


# The demo center's code (centers/demo_center.yaml): the center these tests work in.
DEMO_CENTER = "SFZ"

STAFF = (
    "mz-a",
    "mz-b",
    "mz-head",
    "sb-a",
    "director",
    "ops",
    "gt-a",
    "wj-a",
    "wj-b",
    "wj-head",
    "cl-a",
    "cl-head",
)


@pytest_asyncio.fixture(scope="session")
async def api(
    postgres: EmbeddedPostgres,
    dev_server: tuple[TemporalDevServer, Client, str],
) -> AsyncIterator[Api]:
    _, client, queue = dev_server
    await prepare_database(postgres.dsn)
    pool = await create_pool(postgres.dsn)
    ctx = AppContext(
        settings=Settings(),
        client=client,
        pool=pool,
        directories=await load_directories(pool),
        task_queue=queue,
    )
    center = DEMO_CENTER
    staff = ctx.directories[center].staff
    tokens = {s: await create_token(pool, center, s) for s in STAFF if s in staff}
    transport = httpx.ASGITransport(app=create_app(ctx))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://banjian.test/api/v1") as http,
        httpx.AsyncClient(transport=transport, base_url="http://banjian.test") as root,
    ):
        yield Api(http, root, ctx, tokens)
    await pool.close()


@pytest_asyncio.fixture(scope="module")
async def sandbox_app(
    postgres: EmbeddedPostgres, time_skipping: tuple[WorkflowEnvironment, str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    env, queue = time_skipping
    await prepare_database(postgres.dsn)
    pool = await create_pool(postgres.dsn)
    ctx = AppContext(
        settings=Settings(),
        client=env.client,
        pool=pool,
        directories=await load_directories(pool),
        task_queue=queue,
        sandbox=env,
    )
    app = create_app(ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test/api/v1") as c:
        yield app, c
    await pool.close()


@pytest_asyncio.fixture
async def sandbox(sandbox_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    """The sandbox API: a center on the time-skipping server, with its clock endpoints."""
    return sandbox_app[1]
