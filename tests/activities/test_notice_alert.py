"""Ops are told, once a year, that limits are counted without that year's holiday notice."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.deadline import Deadlines
from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from banjian.runtime import build_worker
from centers.calendar import apply_notice, recounted
from projections.db import LazyPool, create_pool
from tests.databases import new_database
from workdays.notice import parse_notice
from workflows.counting import ClockSpec, ClocksRequest
from workflows.model import Actor, OfficeCalendar, Role

TZ = ZoneInfo("Asia/Shanghai")
SPEC = OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30")
NOTICE = Path(__file__).parents[1] / "workdays" / "notice_2027.json"


async def test_a_missing_notice_is_alerted_once_and_settled_by_its_import(
    postgres: EmbeddedPostgres, dev_server: tuple[TemporalDevServer, Client, str]
) -> None:
    dsn = await new_database(postgres)
    db, pool = LazyPool(dsn), await create_pool(dsn)
    try:
        into_2027 = ClocksRequest(
            datetime(2026, 12, 28, 10, tzinfo=TZ),
            [ClockSpec("promised", 5), ClockSpec("legal", 20)],
            SPEC,
        )
        within_2026 = ClocksRequest(
            datetime(2026, 12, 1, 10, tzinfo=TZ), [ClockSpec("promised", 5)], SPEC
        )
        env = ActivityEnvironment()
        assert not any(
            d.provisional for d in await env.run(Deadlines(db).compute_clocks, within_2026)
        )
        assert await _notice_alerts(pool) == []
        counted = await env.run(Deadlines(db).compute_clocks, into_2027)
        assert all(d.provisional for d in counted)
        # Again, and from another worker process: still one alert.
        await env.run(Deadlines(db).compute_clocks, into_2027)
        assert [
            (r["alert_id"], r["level"], r["case_id"], r["acked_at"])
            for r in await _notice_alerts(pool)
        ] == [("CAL-2027-NOTICE", "ops", None, None)]
        _, client, _ = dev_server
        notice = parse_notice(NOTICE.read_text(encoding="utf-8"), NOTICE.name)
        queue = "notice-" + uuid.uuid4().hex[:8]  # a worker on this test's database
        async with build_worker(client, queue, db, "Asia/Shanghai"):
            change = await apply_notice(client, pool, queue, notice, Actor("ops", Role.OPS, None))
            await recounted(client, change.id)
        (row,) = await _notice_alerts(pool)
        assert row["acked_by"] == "ops" and row["acked_at"] is not None
        counted = await env.run(Deadlines(db).compute_clocks, into_2027)
        assert not any(d.provisional for d in counted)
    finally:
        await pool.close()
        await db.close()


async def _notice_alerts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "select * from alerts where kind = 'notice_missing' order by alert_id"
    )
    return rows
