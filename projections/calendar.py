"""The calendar's read model: imported holiday notices and the center's closures.

Operations import each year's holiday notice (``workdays.notice``) before the
``chinesecalendar`` package carries it, and record the days the center itself is
closed. ``load_calendar`` turns both into a ``WorkingCalendar``.
"""

from __future__ import annotations

from datetime import date

import asyncpg

from projections.db import Conn
from workdays.calendar import OfficeHours, WorkingCalendar
from workdays.notice import HolidayNotice, as_json

_UPSERT_NOTICE = """
insert into calendar_notices (year, source, imported_by, body) values ($1, $2, $3, $4)
on conflict (year) do update
set source = excluded.source, imported_by = excluded.imported_by,
    body = excluded.body, imported_at = now()
"""

# A December day of a New Year's break belongs to the next year's notice; should the
# previous year's notice list it too, the notice imported last wins instead of failing.
_UPSERT_NOTICE_DAY = """
insert into calendar_days (day, working, name, origin, year, recorded_by, center_code)
values ($1, $2, $3, 'notice', $4, $5, '')
on conflict (center_code, day, origin) do update
set working = excluded.working, name = excluded.name, year = excluded.year,
    recorded_by = excluded.recorded_by, recorded_at = now()
"""

_UPSERT_CLOSURE = """
insert into calendar_days (day, working, name, origin, year, recorded_by, center_code)
values ($1, false, $2, 'closure', $3, $4, $5)
on conflict (center_code, day, origin) do update
set name = excluded.name, recorded_by = excluded.recorded_by, recorded_at = now()
"""


async def import_notice(conn: Conn, notice: HolidayNotice, by: str) -> None:
    """Record ``notice`` as its year's arrangement, replacing any imported before."""
    days = [(d, False, name, notice.year, by) for d, name in notice.holidays.items()]
    days += [(d, True, name, notice.year, by) for d, name in notice.workdays.items()]
    async with conn.transaction():
        await conn.execute(
            "delete from calendar_days where year = $1 and origin = 'notice'", notice.year
        )
        await conn.executemany(_UPSERT_NOTICE_DAY, days)
        await conn.execute(_UPSERT_NOTICE, notice.year, notice.source, by, as_json(notice))


async def add_closure(conn: Conn, center: str, day: date, reason: str, by: str) -> None:
    """Close the center on ``day``; a day already closed gets the new reason."""
    if not reason.strip():
        raise ValueError("a closure needs a reason")
    await conn.execute(_UPSERT_CLOSURE, day, reason.strip(), day.year, by, center)


async def load_calendar(
    conn: Conn | asyncpg.Pool, center: str, hours: OfficeHours
) -> WorkingCalendar:
    """A center's calendar: every imported notice and every closure of the center on record.

    The version is read first: should a change land between the reads, the calendar is
    newer than its version says, and a case counted with it recounts once more for nothing.
    """
    version = await calendar_version(conn)
    rows = await conn.fetch(
        "select day, working, origin from calendar_days where center_code in ('', $1)", center
    )
    years = await conn.fetch("select year from calendar_notices")
    return WorkingCalendar(
        hours,
        closures=frozenset(r["day"] for r in rows if r["origin"] == "closure"),
        overrides={r["day"]: r["working"] for r in rows if r["origin"] == "notice"},
        imported_years=frozenset(r["year"] for r in years),
        version=version,
    )


async def calendar_version(conn: Conn | asyncpg.Pool) -> int:
    """The counter every change to the calendar bumps (``014_calendar_version.sql``)."""
    return int(await conn.fetchval("select version from calendar_version"))
