"""The two production processes: a case worker and the API, each configured by environment."""

from __future__ import annotations

import asyncio
import signal
from zoneinfo import ZoneInfo

import structlog
import uvicorn

from api.app import create_app
from api.context import AppContext
from banjian.archiver import run_archiver
from banjian.leave import run_leave_keeper
from banjian.settings import Settings
from banjian.stack import SHUTDOWN_GRACE_SECONDS
from banjian.temporal import build_worker, connect
from projections.center import load_directory
from projections.db import LazyPool, create_pool

log = structlog.get_logger(__name__)


async def run_worker(settings: Settings, address: str, dsn: str) -> None:
    client = await connect(address, settings.temporal_namespace)
    db = LazyPool(dsn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with build_worker(client, settings.task_queue, db, settings.timezone):
            log.info("worker.started", task_queue=settings.task_queue, temporal=address)
            archiver = asyncio.create_task(run_archiver(client, db))
            leave = asyncio.create_task(run_leave_keeper(client, db, ZoneInfo(settings.timezone)))
            try:
                await stop.wait()
            finally:
                archiver.cancel()
                leave.cancel()
    finally:
        await db.close()
    log.info("worker.stopped")


async def run_api(settings: Settings, address: str, dsn: str) -> None:
    client = await connect(address, settings.temporal_namespace)
    pool = await create_pool(dsn)
    try:
        ctx = AppContext(
            settings=settings,
            client=client,
            pool=pool,
            directory=await load_directory(pool),
            task_queue=settings.task_queue,
        )
        config = uvicorn.Config(
            create_app(ctx),
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )
        await uvicorn.Server(config).serve()
    finally:
        await pool.close()
