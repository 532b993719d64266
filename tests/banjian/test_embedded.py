"""The bundled PostgreSQL and Temporal servers start, serve, and stop for real."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest, ListNamespacesRequest
from temporalio.client import Client

from banjian.embedded import (
    PG_SYSTEM_USER,
    EmbeddedPostgres,
    PortInUse,
    TemporalDevServer,
    ensure_port_free,
    free_port,
    test_server_path,
)


async def test_postgres_serves_the_banjian_database(tmp_path: Path) -> None:
    async with EmbeddedPostgres(tmp_path / "pg", free_port(), durable=False) as pg:
        assert pg.running
        conn = await asyncpg.connect(pg.dsn)
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == "banjian"
        finally:
            await conn.close()
    assert not pg.running


async def test_postgres_data_persists_across_restarts(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())
    await pg.start()
    await pg.start()  # already running: no-op
    conn = await asyncpg.connect(pg.dsn)
    await conn.execute("create table kept (id int); insert into kept values (42)")
    await conn.close()
    await pg.stop()
    await pg.stop()  # idempotent

    async with EmbeddedPostgres(tmp_path / "pg", free_port()) as again:
        conn = await asyncpg.connect(again.dsn)
        assert await conn.fetchval("select id from kept") == 42
        await conn.close()


async def test_postgres_restarts_after_being_killed(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    pg = EmbeddedPostgres(data_dir, free_port(), durable=False)
    await pg.start()
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    _wait_until_zombie(pid)  # we are its parent and have not reaped it

    async with EmbeddedPostgres(data_dir, free_port(), durable=False) as again:
        conn = await asyncpg.connect(again.dsn)
        assert await conn.fetchval("select 1") == 1
        await conn.close()
    await pg.stop()  # its process is already gone: nothing to do


async def test_postgres_starts_when_its_old_pid_was_recycled(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    async with EmbeddedPostgres(data_dir, free_port(), durable=False):
        pass
    # As after a container restart: postmaster.pid names a pid that now runs something else
    # as the same user (postgres itself treats other users' pids as stale already).
    same_user = PG_SYSTEM_USER if os.geteuid() == 0 else None
    other = await asyncio.create_subprocess_exec("sleep", "30", user=same_user)
    (data_dir / "postmaster.pid").write_text(f"{other.pid}\n{data_dir}\n")
    try:
        async with EmbeddedPostgres(data_dir, free_port(), durable=False) as again:
            conn = await asyncpg.connect(again.dsn)
            assert await conn.fetchval("select 1") == 1
            await conn.close()
    finally:
        other.kill()
        await other.wait()


def _wait_until_zombie(pid: int) -> None:
    for _ in range(200):
        if Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
            return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} still alive after SIGKILL")


async def test_start_on_busy_port_raises_port_in_use(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        with pytest.raises(PortInUse, match=f"port {port} \\(API\\)") as caught:
            ensure_port_free(port, "API")
        assert "BANJIAN_API_PORT" in str(caught.value)

        pg = EmbeddedPostgres(tmp_path / "pg", port)
        with pytest.raises(PortInUse, match=str(port)):
            await pg.start()
        assert not pg.running

    ensure_port_free(port, "API")  # released again


async def test_temporal_dev_server_serves_clients_and_stops(tmp_path: Path) -> None:
    server = TemporalDevServer(
        port=free_port(), ui_port=None, db_file=None, log_file=tmp_path / "temporal.log"
    )
    async with server:
        client = await Client.connect(server.address)
        info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
        assert info.server_version
        names = await client.workflow_service.list_namespaces(ListNamespacesRequest())
        default = next(n for n in names.namespaces if n.namespace_info.name == "default")
        assert default.config.workflow_execution_retention_ttl.ToSeconds() >= 365 * 86400
    assert not server.running
    ensure_port_free(int(server.address.rsplit(":", 1)[1]), "Temporal")


def test_time_skipping_test_server_binary_is_executable() -> None:
    path = test_server_path()
    assert path.is_file()
    assert os.access(path, os.X_OK)
