"""The limit counted from its record: days, pauses, and whether it rests on a provisional year."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workdays.calendar import OfficeHours, WorkingCalendar
from workdays.deadline import Pause
from workdays.limits import deadline_of

TZ = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(OfficeHours.default())


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("received", "days", "due", "provisional"),
    [
        (at(2026, 3, 2, 10), 5, at(2026, 3, 9, 17, 30), False),
        (at(2026, 12, 21, 10), 5, at(2026, 12, 28, 17, 30), False),
        # 2027 is counted from the statutory rules until its notice is imported.
        (at(2026, 12, 28, 10), 5, at(2027, 1, 5, 17, 30), True),
    ],
    ids=["march", "december-within-2026", "into-2027"],
)
def test_the_limit_says_when_it_rests_on_a_provisional_year(
    received: datetime, days: int, due: datetime, provisional: bool
) -> None:
    d = deadline_of(CAL, received, days)
    assert (d.due_at, d.provisional) == (due, provisional)


def test_pauses_move_the_limit_by_their_office_time_only() -> None:
    # Paused Tue 10:00 to Wed 10:00: 6 office hours (lunch and night not counted).
    d = deadline_of(CAL, at(2026, 3, 2, 10), 5, [Pause(at(2026, 3, 3, 10), at(2026, 3, 4, 10))])
    assert d.paused_office_seconds == 6 * 3600
    assert d.due_at == at(2026, 3, 10, 17, 30)


@pytest.mark.parametrize(
    ("days", "warn_days", "warn"),
    [
        (5, 1, at(2026, 3, 6, 17, 30)),  # the close of the day before the last
        (5, 2, at(2026, 3, 5, 17, 30)),
        # Monday 10:00 + 2 days ends Wednesday 17:30: 16.5 office hours, warned at half.
        (2, 2, at(2026, 3, 3, 15, 15)),
        (5, 0, at(2026, 3, 9, 17, 30)),  # no warning: it falls with the breach
    ],
    ids=["one-day", "two-days", "limit-within-reach", "none"],
)
def test_the_warning_falls_when_the_center_s_threshold_remains(
    days: int, warn_days: int, warn: datetime
) -> None:
    d = deadline_of(CAL, at(2026, 3, 2, 10), days, warn_days=warn_days)
    assert d.warn_at == warn


def test_a_pause_of_a_moment_leaves_the_limit_at_the_close_of_its_last_day() -> None:
    # 9 ms of office time paused: not a whole minute, so nothing moves (it once pushed the
    # limit to the next opening plus 9 ms).
    moment = Pause(at(2027, 1, 6, 10), at(2027, 1, 6, 10).replace(microsecond=9000))
    d = deadline_of(CAL, at(2027, 1, 6, 9), 5, [moment])
    assert (d.due_at, d.paused_office_seconds) == (at(2027, 1, 13, 17, 30), 0)


@pytest.mark.parametrize(
    ("paused_minutes", "due"),
    [
        (1, at(2026, 3, 10, 17, 30)),
        (90, at(2026, 3, 10, 17, 30)),
        (6 * 60, at(2026, 3, 10, 17, 30)),  # a whole office day
        (6 * 60 + 1, at(2026, 3, 11, 17, 30)),
    ],
)
def test_a_limit_moved_by_a_pause_ends_at_the_close_of_the_working_day_it_reaches(
    paused_minutes: int, due: datetime
) -> None:
    start = at(2026, 3, 3, 8, 30)
    end = CAL.add_office_time(start, timedelta(minutes=paused_minutes, seconds=42))
    d = deadline_of(CAL, at(2026, 3, 2, 10), 5, [Pause(start, end)])
    assert d.paused_office_seconds == paused_minutes * 60  # whole minutes only
    assert d.due_at == due
    assert d.warn_at == CAL.close_of_day(d.warn_at)
