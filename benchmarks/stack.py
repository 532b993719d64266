"""The stack under measurement: the embedded servers, the case worker, the API, the bare engine.

PostgreSQL (durable, as ``banjian run`` keeps it) and the Temporal dev server
(its SQLite file in write-ahead mode) run from their wheels in a temporary
folder. The case worker and the API are the ``banjian worker`` and ``banjian
api`` commands, each its own process, so the CPU each spends is its own; with
``one_process`` they are one ``banjian run`` process, as on a center's machine.
The bare engine's worker (``benchmarks.engine``) is a third process on the same
Temporal server. Every process is measured with psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from banjian.embedded import EmbeddedPostgres, TemporalDevServer, free_port
from banjian.runtime import connect
from banjian.stack import prepare_database
from privacy import KeyRing
from projections.center import create_token
from projections.db import connect as db_connect

CASE_QUEUE = "banjian-cases"
ENGINE_QUEUE = "bare-engine"
CENTER = "SFZ"  # the demo center, whose clerk drives the cases
CLERK = "mz-a"
_READY_SECONDS = 60.0
_STOP_SECONDS = 20.0
_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stack:
    dsn: str
    address: str
    api_url: str
    client: Client
    token: str
    folder: Path
    # What is measured, by name: temporal, postgres, worker, api (or worker+api), engine, driver.
    processes: dict[str, psutil.Process] = field(default_factory=dict)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU (user and system) each process has used so far; PostgreSQL's with its backends."""
        return {name: _cpu(p, children=name == "postgres") for name, p in self.processes.items()}

    def rss_mb(self) -> dict[str, float]:
        return {
            name: p.memory_info().rss / 2**20
            for name, p in self.processes.items()
            if name != "postgres"
        }


def _cpu(p: psutil.Process, *, children: bool) -> float:
    t = p.cpu_times()
    total = t.user + t.system
    if children:
        total += t.children_user + t.children_system  # backends that have exited
        for child in p.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                c = child.cpu_times()
                total += c.user + c.system
    return float(total)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, env=env, cwd=_ROOT, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            await asyncio.to_thread(proc.wait, _STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)


async def _polled(client: Client, queue: str) -> bool:
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return bool(answer.pollers)


async def _serving(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(url + "/healthz")).status_code == 200
    except httpx.TransportError:
        return False


async def _wait_ready(
    stack: Stack, procs: dict[str, subprocess.Popen[bytes]], logs: dict[str, Path]
) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    async with httpx.AsyncClient() as http:
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    tail = logs[name].read_text(errors="replace").splitlines()[-20:]
                    raise RuntimeError(f"{name} exited at start:\n" + "\n".join(tail))
            ready = (
                await _serving(http, stack.api_url)
                and await _polled(stack.client, CASE_QUEUE)
                and await _polled(stack.client, ENGINE_QUEUE)
            )
            if ready:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack was not ready after {_READY_SECONDS:.0f}s")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def running_stack(folder: Path, *, one_process: bool = False) -> AsyncIterator[Stack]:
    pg = EmbeddedPostgres(folder / "postgres", free_port())
    temporal = TemporalDevServer(
        port=free_port(),
        ui_port=None,
        db_file=folder / "temporal.db",
        log_file=folder / "temporal.log",
    )
    async with pg, temporal:
        await prepare_database(pg.dsn)
        conn = await db_connect(pg.dsn)
        try:
            token = await create_token(conn, CENTER, CLERK)
        finally:
            await conn.close()
        api_port = free_port()
        # Every process of the stack, and the benchmark's own client, share one key ring.
        keys = KeyRing.generate()
        env = {
            **os.environ,
            "BANJIAN_PAYLOAD_KEYS": keys.text(),
            "BANJIAN_DATA_DIR": str(folder / "data"),
            "BANJIAN_DATABASE_URL": pg.dsn,
            "BANJIAN_TEMPORAL_ADDRESS": temporal.address,
            "BANJIAN_TASK_QUEUE": CASE_QUEUE,
            "BANJIAN_API_PORT": str(api_port),
            "BANJIAN_LOG_LEVEL": "warning",
            "BANJIAN_LOG_FORMAT": "json",
        }
        banjian = str(Path(sys.executable).parent / "banjian")
        commands = {"worker+api": [banjian, "run"]} if one_process else {
            "worker": [banjian, "worker"],
            "api": [banjian, "api"],
        }  # fmt: skip
        commands["engine"] = [sys.executable, "-m", "benchmarks.engine", temporal.address,
                              ENGINE_QUEUE]  # fmt: skip
        logs = {name: folder / f"{name}.log" for name in commands}
        procs = {name: _spawn(args, env, logs[name]) for name, args in commands.items()}
        try:
            assert pg.pid is not None and temporal.pid is not None
            stack = Stack(
                dsn=pg.dsn,
                address=temporal.address,
                api_url=f"http://127.0.0.1:{api_port}",
                client=await connect(temporal.address, "default", keys),
                token=token,
                folder=folder,
                processes={
                    "temporal": psutil.Process(temporal.pid),
                    "postgres": psutil.Process(pg.pid),
                    **{name: psutil.Process(p.pid) for name, p in procs.items()},
                    "driver": psutil.Process(),
                },
            )
            await _wait_ready(stack, procs, logs)
            yield stack
        finally:
            await asyncio.gather(*(_stop(p) for p in procs.values()))
