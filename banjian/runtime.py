"""One bootstrap for the long-running processes: the worker, the API, or both in one process.

``banjian worker`` and ``banjian api`` (production, one process each) and ``banjian
run`` (everything on this machine) all come through ``serve``: the same Temporal
client, the same worker with every workflow and activity, the same API context,
and the same way to stop on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from zoneinfo import ZoneInfo

import prometheus_client
import structlog
import uvicorn
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.deadline import Deadlines
from activities.notify import Notifier
from activities.projection import Projector
from activities.rectification import RectificationProjector
from api.app import create_app
from api.context import AppContext
from banjian.settings import Settings
from centers.leave import run_leave_keeper, system_clock
from ops.archive import run_archiver
from projections.center import load_directory
from projections.db import LazyPool, create_pool
from workflows.case import CaseWorkflow
from workflows.rectification import RectificationWorkflow

log = structlog.get_logger(__name__)

# Alert streams never end by themselves: the API does not wait on them longer than this.
SHUTDOWN_GRACE_SECONDS = 3


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


def build_worker(
    client: Client,
    task_queue: str,
    db: LazyPool,
    timezone: str,
    *,
    max_cached_workflows: int = 1000,
    deadlines: Deadlines | None = None,
    pages_url: str | None = None,
) -> Worker:
    """A worker for case workflows and every activity they call, writing through ``db``;
    ``deadlines`` counts limits in another way (a test's); alerts link to a case's page under
    ``pages_url``."""
    deadlines = deadlines or Deadlines(db)
    return Worker(
        client,
        task_queue=task_queue,
        max_cached_workflows=max_cached_workflows,
        workflows=[CaseWorkflow, RectificationWorkflow],
        activities=[
            deadlines.compute_deadline,
            deadlines.compute_clocks,
            deadlines.shift_deadline,
            deadlines.ladder_times,
            deadlines.next_office_instant,
            Projector(db).project_events,
            Notifier(db, ZoneInfo(timezone), pages_url).deliver_alert,
            RectificationProjector(db).project_rectification,
        ],
    )


def stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def _worker(
    settings: Settings, client: Client, dsn: str, sandbox: WorkflowEnvironment | None
) -> AsyncIterator[None]:
    db = LazyPool(dsn)
    # Leaves start and end on the center's days; in the sandbox, on the sandbox's clock.
    now = sandbox.get_current_time if sandbox is not None else system_clock
    background = [
        asyncio.create_task(run_archiver(client, db)),
        asyncio.create_task(run_leave_keeper(client, db, ZoneInfo(settings.timezone), now)),
    ]
    try:
        async with build_worker(
            client, settings.task_queue, db, settings.timezone, pages_url=settings.pages_url()
        ):
            log.info("worker.started", task_queue=settings.task_queue)
            yield
    finally:
        for task in background:
            task.cancel()
        await db.close()
    log.info("worker.stopped")


@contextlib.asynccontextmanager
async def _api(
    settings: Settings, client: Client, dsn: str, sandbox: WorkflowEnvironment | None
) -> AsyncIterator[None]:
    pool = await create_pool(dsn)
    try:
        ctx = AppContext(
            settings=settings,
            client=client,
            pool=pool,
            directory=await load_directory(pool),
            task_queue=settings.task_queue,
            sandbox=sandbox,
        )
        server = _Server(
            uvicorn.Config(
                create_app(ctx),
                host=settings.api_host,
                port=settings.api_port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            )
        )
        serving = asyncio.create_task(server.serve())
        # uvicorn only exposes a flag for "started"; poll it briefly.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if serving.done():
            await serving  # raises what stopped uvicorn from starting
        try:
            yield
        finally:
            server.should_exit = True
            await serving
    finally:
        await pool.close()


async def serve(
    settings: Settings,
    client: Client,
    dsn: str,
    stop: asyncio.Event,
    *,
    worker: bool = True,
    api: bool = True,
    sandbox: WorkflowEnvironment | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Run the worker, the API, or both until ``stop`` is set; ``ready`` once they serve."""
    async with contextlib.AsyncExitStack() as running:
        if worker:
            await running.enter_async_context(_worker(settings, client, dsn, sandbox))
        if api:
            await running.enter_async_context(_api(settings, client, dsn, sandbox))
        if ready is not None:
            ready()
        await stop.wait()
        log.info("stopping")


async def run_worker(settings: Settings, address: str, dsn: str) -> None:
    client = await connect(address, settings.temporal_namespace)
    if settings.worker_metrics_port is not None:
        # The projection lag and the delivery counters are the worker's own figures.
        prometheus_client.start_http_server(settings.worker_metrics_port)
    await serve(settings, client, dsn, stop_on_signals(), api=False)


async def run_api(settings: Settings, address: str, dsn: str) -> None:
    client = await connect(address, settings.temporal_namespace)
    await serve(settings, client, dsn, stop_on_signals(), worker=False)
