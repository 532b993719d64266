"""A supervised embedded server that dies is started again on the same data, and said so once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import asyncpg
from structlog.testing import capture_logs

from banjian.embedded import EmbeddedPostgres, Supervised, free_port
from tests.conftest import eventually


async def test_a_killed_postgres_is_restarted_on_its_data_and_each_death_logged_once(
    tmp_path: Path,
) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port())  # durable: a commit survives kill -9
    with capture_logs() as logs:
        async with Supervised(pg) as supervised:
            conn = await asyncpg.connect(pg.dsn)
            await conn.execute("create table kept (id int); insert into kept values (42)")
            await conn.close()
            for death in (1, 2):
                pid = pg.pid
                assert pid is not None
                os.kill(pid, signal.SIGKILL)

                async def back(after: int = death, old: int = pid) -> bool:
                    return supervised.restarts == after and pg.running and pg.pid != old

                await eventually(back, within=60)
                conn = await asyncpg.connect(pg.dsn)
                assert await conn.fetchval("select id from kept") == 42
                await conn.close()
        assert not pg.running
    events = [e["event"] for e in logs if e["event"].startswith("embedded.")]
    assert events.count("embedded.died") == 2
    assert events.count("embedded.restarted") == 2
    died = [e for e in logs if e["event"] == "embedded.died"]
    assert {e["server"] for e in died} == {"postgres"}
    assert {e["exit_code"] for e in died} == {-signal.SIGKILL}


async def test_a_server_stopped_on_purpose_is_not_restarted(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(tmp_path / "pg", free_port(), durable=False)
    with capture_logs() as logs:
        async with Supervised(pg) as supervised:
            pass
    assert not pg.running and supervised.restarts == 0
    assert "embedded.died" not in [e["event"] for e in logs]
