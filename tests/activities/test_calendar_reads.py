"""The deadline activities read the calendar's days again only when its version has changed."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from temporalio.testing import ActivityEnvironment

from activities.deadline import Deadlines
from banjian.embedded import EmbeddedPostgres
from projections.calendar import add_closure
from projections.db import LazyPool, create_pool
from tests.databases import new_database
from workflows.counting import DeadlineRequest
from workflows.model import OfficeCalendar

TZ = ZoneInfo("Asia/Shanghai")
SPEC = OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30", center="SFZ")
# Tuesday 1 December 2026: one working day on is Wednesday the 2nd.
ONE_DAY = DeadlineRequest(datetime(2026, 12, 1, 10, tzinfo=TZ), 1, SPEC)


async def test_a_count_reuses_the_calendar_until_its_version_changes(
    postgres: EmbeddedPostgres,
) -> None:
    dsn = await new_database(postgres)
    db, pool = LazyPool(dsn), await create_pool(dsn)
    env, deadlines = ActivityEnvironment(), Deadlines(db)
    try:
        first = await env.run(deadlines.compute_deadline, ONE_DAY)
        assert first.due_at.date() == date(2026, 12, 2)
        # A closure written behind the version's back: the calendar already read is used.
        async with pool.acquire() as conn:
            await conn.execute("alter table calendar_days disable trigger calendar_days_changed")
            await add_closure(conn, "SFZ", date(2026, 12, 2), "停电", "ops")
            await conn.execute("alter table calendar_days enable trigger calendar_days_changed")
        assert (await env.run(deadlines.compute_deadline, ONE_DAY)).due_at == first.due_at
        # The same closure recorded as every change is (the version bumped): read again.
        async with pool.acquire() as conn:
            await add_closure(conn, "SFZ", date(2026, 12, 2), "停电检修", "ops")
        again = await env.run(deadlines.compute_deadline, ONE_DAY)
        assert again.due_at.date() == date(2026, 12, 3)
        assert again.calendar_version > first.calendar_version
    finally:
        await pool.close()
        await db.close()
