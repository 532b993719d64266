"""The calendar read model: imported notices and closures come back as a WorkingCalendar.

Each test runs in a transaction that is rolled back, on emptied calendar tables, so
the tests neither see nor leave rows. The 2027 notice is the test data sample of
``tests/workdays/notice_2027.json``, not the real notice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from banjian.embedded import EmbeddedPostgres
from projections.calendar import add_closure, import_notice, load_calendar
from projections.db import connect
from workdays.calendar import OfficeHours, WorkingCalendar
from workdays.notice import HolidayNotice, as_json, overrides, parse_notice

CENTER = "SFZ"

HOURS = OfficeHours.default()
SAMPLE = Path(__file__).parents[1] / "workdays" / "notice_2027.json"
NOTICE = parse_notice(SAMPLE.read_text(encoding="utf-8"), SAMPLE.name)
# A revision of the sample: Spring Festival 02-06..12 only, Sat 02-13 worked instead.
REVISED = parse_notice(
    json.dumps(
        {
            "year": 2027,
            "source": "国办发明电〔2026〕100号（测试数据）",
            "holidays": [
                {"name": "元旦", "from": "2027-01-01"},
                {"name": "春节", "from": "2027-02-06", "to": "2027-02-12"},
            ],
            "workdays": [{"date": "2027-02-13", "for": "春节"}],
        }
    ),
    "revised.json",
)


@pytest_asyncio.fixture
async def conn(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Connection]:
    c = await connect(postgres.dsn)
    tx = c.transaction()
    await tx.start()
    try:
        await c.execute("delete from calendar_days; delete from calendar_notices")
        yield c
    finally:
        await tx.rollback()
        await c.close()


def imported(*notices: HolidayNotice, closures: frozenset[date] = frozenset()) -> WorkingCalendar:
    days = {d: w for n in notices for d, w in overrides(n).items()}
    years = frozenset(n.year for n in notices)
    return WorkingCalendar(HOURS, closures=closures, overrides=days, imported_years=years)


async def test_nothing_recorded_loads_the_package_calendar(conn: asyncpg.Connection) -> None:
    assert await load_calendar(conn, CENTER, HOURS) == WorkingCalendar(HOURS)


async def test_import_then_load_gives_the_notice_calendar(conn: asyncpg.Connection) -> None:
    await import_notice(conn, NOTICE, "ops-1")
    cal = await load_calendar(conn, CENTER, HOURS)
    assert cal == imported(NOTICE)
    assert cal.is_working_day(date(2027, 2, 14))
    assert not cal.is_working_day(date(2027, 2, 9))
    assert not cal.is_provisional(date(2027, 2, 9))
    row = await conn.fetchrow("select * from calendar_notices where year = 2027")
    assert row is not None
    assert (row["source"], row["imported_by"]) == (NOTICE.source, "ops-1")
    assert parse_notice(json.dumps(row["body"]), "body.json") == NOTICE


async def test_reimport_replaces_the_years_days(conn: asyncpg.Connection) -> None:
    await import_notice(conn, NOTICE, "ops-1")
    await import_notice(conn, REVISED, "ops-2")
    cal = await load_calendar(conn, CENTER, HOURS)
    assert cal == imported(REVISED)
    assert not cal.is_working_day(date(2027, 2, 14))  # the old make-up Sunday is off again
    assert cal.is_working_day(date(2027, 2, 13))
    assert cal.is_working_day(date(2027, 5, 5))  # only the revision's holidays count
    count = await conn.fetchval("select count(*) from calendar_days where year = 2027")
    assert count == len(REVISED.holidays) + len(REVISED.workdays)
    row = await conn.fetchrow("select source, imported_by, body from calendar_notices")
    assert row is not None
    assert (row["source"], row["imported_by"]) == (REVISED.source, "ops-2")
    assert row["body"] == as_json(REVISED)


async def test_importing_a_year_keeps_the_other_years(conn: asyncpg.Connection) -> None:
    notice_2028 = HolidayNotice(2028, {date(2028, 1, 1): "元旦"}, {}, "test data")
    await import_notice(conn, NOTICE, "ops-1")
    await import_notice(conn, notice_2028, "ops-1")
    await import_notice(conn, REVISED, "ops-1")
    assert await load_calendar(conn, CENTER, HOURS) == imported(REVISED, notice_2028)


async def test_closures_load_and_win_over_the_notice(conn: asyncpg.Connection) -> None:
    await import_notice(conn, NOTICE, "ops-1")
    await add_closure(conn, CENTER, date(2027, 2, 14), "停电检修", "director-1")
    await add_closure(conn, CENTER, date(2027, 3, 3), "搬迁", "director-1")
    cal = await load_calendar(conn, CENTER, HOURS)
    closures = frozenset({date(2027, 2, 14), date(2027, 3, 3)})
    assert cal == imported(NOTICE, closures=closures)
    assert not cal.is_working_day(date(2027, 2, 14))
    assert not cal.is_working_day(date(2027, 3, 3))


async def test_reimport_keeps_closures(conn: asyncpg.Connection) -> None:
    await add_closure(conn, CENTER, date(2027, 2, 14), "停电检修", "director-1")
    await import_notice(conn, NOTICE, "ops-1")
    await import_notice(conn, NOTICE, "ops-1")
    closures = frozenset({date(2027, 2, 14)})
    assert await load_calendar(conn, CENTER, HOURS) == imported(NOTICE, closures=closures)


async def test_closing_a_day_again_updates_the_reason(conn: asyncpg.Connection) -> None:
    await add_closure(conn, CENTER, date(2026, 3, 4), "停电", "director-1")
    await add_closure(conn, CENTER, date(2026, 3, 4), " 停水 ", "director-2")
    rows = await conn.fetch("select name, recorded_by, working, year from calendar_days")
    assert [tuple(r) for r in rows] == [("停水", "director-2", False, 2026)]
    cal = await load_calendar(conn, CENTER, HOURS)
    assert cal == WorkingCalendar(HOURS, closures=frozenset({date(2026, 3, 4)}))


async def test_a_closure_needs_a_reason(conn: asyncpg.Connection) -> None:
    with pytest.raises(ValueError, match="reason"):
        await add_closure(conn, CENTER, date(2026, 3, 4), " ", "director-1")
