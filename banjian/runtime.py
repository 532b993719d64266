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
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.complaint import ComplaintActivities
from activities.deadline import Deadlines
from activities.leave import LeaveActivities
from activities.notify import Notifier
from activities.projection import Projector
from activities.recount import Recounter
from activities.rectification import RectificationProjector
from api.app import create_app
from api.context import AppContext
from banjian.settings import Settings
from centers.leave import LeaveClient
from ops.archive import Archivist, ensure_archive_schedule
from privacy import KeyRing, KeyRingError, encrypted_converter, load_key_file
from projections.center import load_directories
from projections.db import DB_ERRORS, LazyPool, create_pool
from workflows.archive import ArchiveWorkflow
from workflows.case import CaseWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.leave import LeaveWorkflow
from workflows.recount import RecountWorkflow
from workflows.rectification import RectificationWorkflow

log = structlog.get_logger(__name__)

# Alert streams never end by themselves: the API does not wait on them longer than this.
SHUTDOWN_GRACE_SECONDS = 3
PAYLOAD_KEYS_FILE = "payload-keys"

# The workflows' modules and what they import of the project are deterministic, with no
# module-level state a workflow changes (constants, and a cache of type hints by class): the
# sandbox takes them from the worker's own imports instead of importing them again for every
# new workflow (most of the worker's time). Their calls into ``temporalio.workflow`` work as
# before; the sandbox's checks on them (``datetime.now()`` and the like) remain in the
# recorded-history replay tests (tests/histories), whose Replayer runs the full sandbox.
PURE_MODULES = ("workdays", "workflows", "applicant.complaints", "applicant.rectification")
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(*PURE_MODULES)
)


async def connect(address: str, namespace: str, keys: KeyRing) -> Client:
    """A client whose payloads are encrypted under ``keys`` (``privacy``)."""
    return await Client.connect(
        address, namespace=namespace, data_converter=encrypted_converter(keys)
    )


def payload_keys(settings: Settings) -> KeyRing:
    """The key ring of Temporal payloads: the setting's, else the embedded stack's key file
    (generated at the first start, mode 0600), which every process on the data folder shares."""
    if settings.payload_keys is not None:
        return KeyRing.parse(settings.payload_keys.get_secret_value())
    if settings.temporal_address is not None:
        raise KeyRingError(
            "BANJIAN_PAYLOAD_KEYS is not set: with BANJIAN_TEMPORAL_ADDRESS every worker, API and"
            " CLI needs the same payload keys (see the README's configuration)"
        )
    return load_key_file(settings.data_dir.resolve() / PAYLOAD_KEYS_FILE)


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
    """A worker for every workflow (cases, leaves, recounts, archive rounds) and every activity
    they call, writing through ``db``; ``deadlines`` counts limits in another way (a test's);
    alerts link to a case's page under ``pages_url``."""
    deadlines = deadlines or Deadlines(db)
    recounter = Recounter(db, timezone)
    leave = LeaveActivities(db)
    complaints = ComplaintActivities(db, ZoneInfo(timezone))
    return Worker(
        client,
        task_queue=task_queue,
        max_cached_workflows=max_cached_workflows,
        workflow_runner=WORKFLOW_RUNNER,
        workflows=[
            CaseWorkflow,
            LeaveWorkflow,
            RecountWorkflow,
            ArchiveWorkflow,
            ComplaintWorkflow,
            RectificationWorkflow,
        ],
        activities=[
            deadlines.compute_deadline,
            deadlines.compute_clocks,
            deadlines.shift_deadline,
            deadlines.ladder_times,
            deadlines.next_office_instant,
            Projector(db).project_events,
            Notifier(db, ZoneInfo(timezone), pages_url).deliver_alert,
            leave.leave_cases,
            leave.take_over_case,
            leave.mark_leave_started,
            leave.held_cases,
            leave.hand_back_case,
            leave.mark_leave_ended,
            recounter.affected_cases,
            recounter.recount_case,
            Archivist(db).archive_page,
            complaints.project_complaint,
            complaints.deliver_complaint_alert,
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
    try:
        async with build_worker(
            client, settings.task_queue, db, settings.timezone, pages_url=settings.pages_url()
        ):
            # The sandbox's test server has no Schedules: there the clock starts each round.
            if sandbox is None:
                await ensure_archive_schedule(client, settings.task_queue)
            await _resume_leaves(settings, client, db)
            log.info("worker.started", task_queue=settings.task_queue)
            yield
    finally:
        await db.close()
    log.info("worker.stopped")


async def _resume_leaves(settings: Settings, client: Client, db: LazyPool) -> None:
    try:
        leaves = LeaveClient(client, settings.task_queue)
        await leaves.resume(await db.get(), ZoneInfo(settings.timezone))
    except DB_ERRORS as err:
        # PostgreSQL is down: the leaves left without a workflow wait for the next start.
        log.warning("leave.resume_failed", error=type(err).__name__)


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
            directories=await load_directories(pool),
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
    client = await connect(address, settings.temporal_namespace, payload_keys(settings))
    if settings.worker_metrics_port is not None:
        # The projection lag and the delivery counters are the worker's own figures.
        prometheus_client.start_http_server(settings.worker_metrics_port)
    await serve(settings, client, dsn, stop_on_signals(), api=False)


async def run_api(settings: Settings, address: str, dsn: str) -> None:
    client = await connect(address, settings.temporal_namespace, payload_keys(settings))
    await serve(settings, client, dsn, stop_on_signals(), worker=False)
