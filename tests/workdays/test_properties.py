"""Properties of the working-day arithmetic, over generated calendars, receipts and pauses.

The calendars are generated too: a time zone (with and without daylight saving time),
one to three office periods a day of at least half an hour each, between 06:00 and
22:00, and a few closed days near the receipt. Receipts run from 2005 to 2030, so the
package's data, the provisional rules and the turn from one to the other all come up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workdays.calendar import IMMEDIATE_LIMIT, OfficeHours, WorkingCalendar
from workdays.deadline import Pause
from workdays.limits import deadline_after, deadline_of, paused_time
from workdays.notice import NoticeError, parse_notice

# Pure functions, so many examples are cheap; no deadline, since tests never time anything.
PROPERTY = settings(max_examples=60, deadline=None, database=None)

ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin", "America/New_York")
FIRST = datetime(2005, 1, 1)
LAST = datetime(2030, 12, 31)


@st.composite
def office_hours(draw: st.DrawFn) -> OfficeHours:
    """One to three periods, each at least 30 minutes, sorted and apart, within 06:00–22:00."""
    count = draw(st.integers(1, 3))
    bounds = sorted(
        draw(st.sets(st.integers(6 * 2, 22 * 2), min_size=2 * count, max_size=2 * count))
    )
    periods = tuple(
        (_half_hour(bounds[i]), _half_hour(bounds[i + 1])) for i in range(0, len(bounds), 2)
    )
    return OfficeHours(ZoneInfo(draw(st.sampled_from(ZONES))), periods)


def _half_hour(n: int) -> time:
    return time(n // 2, 30 * (n % 2))


@dataclass(frozen=True)
class Scene:
    cal: WorkingCalendar
    received: datetime


@st.composite
def scenes(draw: st.DrawFn) -> Scene:
    """A calendar and a receipt, with a few closed days within eight weeks of the receipt."""
    hours = draw(office_hours())
    received = draw(st.datetimes(FIRST, LAST, timezones=st.just(hours.tz), allow_imaginary=False))
    offsets = draw(st.sets(st.integers(0, 56), max_size=5))
    closures = frozenset(received.date() + timedelta(days=k) for k in offsets)
    return Scene(WorkingCalendar(hours, closures=closures), received)


def instants_after(start: datetime, within: timedelta) -> st.SearchStrategy[datetime]:
    return st.integers(0, int(within.total_seconds())).map(lambda s: start + timedelta(seconds=s))


DAYS = st.integers(0, 40)
SPAN = timedelta(days=90)


def closes(cal: WorkingCalendar, instant: datetime) -> bool:
    """Whether ``instant`` is the close of office hours of a working day."""
    local = instant.astimezone(cal.hours.tz)
    return cal.is_working_day(local.date()) and local.time() == cal.hours.periods[-1][1]


@PROPERTY
@given(scenes(), DAYS, st.integers(0, 30 * 24 * 3600))
def test_a_later_receipt_never_gives_an_earlier_due_date(s: Scene, n: int, later: int) -> None:
    second = s.received + timedelta(seconds=later)
    assert s.cal.due_at(s.received, n) <= s.cal.due_at(second, n)
    assert deadline_after(s.cal, s.received, n).due_at <= deadline_after(s.cal, second, n).due_at


@PROPERTY
@given(scenes(), st.integers(1, 40))
def test_a_limit_of_n_days_ends_at_the_close_of_the_nth_working_day_after_receipt(
    s: Scene, n: int
) -> None:
    due = s.cal.due_at(s.received, n)
    assert due.tzinfo == s.cal.hours.tz
    assert closes(s.cal, due)
    received_on = s.received.astimezone(s.cal.hours.tz).date()
    assert due.date() > received_on
    assert s.cal.working_days_between(received_on, due.date()) == n


@PROPERTY
@given(scenes(), DAYS)
def test_n_plus_one_days_is_never_before_n_days(s: Scene, n: int) -> None:
    shorter, longer = s.cal.due_at(s.received, n), s.cal.due_at(s.received, n + 1)
    assert shorter <= longer
    if n >= 1:
        assert shorter.date() < longer.date()


@PROPERTY
@given(scenes(), DAYS)
def test_the_due_date_does_not_depend_on_the_zone_the_receipt_is_written_in(
    s: Scene, n: int
) -> None:
    assert s.cal.due_at(s.received, n) == s.cal.due_at(s.received.astimezone(UTC), n)


@PROPERTY
@given(scenes())
def test_an_immediate_case_gets_thirty_minutes_of_office_time(s: Scene) -> None:
    due = s.cal.due_at(s.received, 0)
    assert due > s.received
    assert s.cal.office_time_between(s.received, due) == IMMEDIATE_LIMIT


@PROPERTY
@given(scenes(), DAYS, st.integers(0, 3))
def test_the_warning_falls_between_receipt_and_due_date(s: Scene, n: int, warn: int) -> None:
    limit = deadline_after(s.cal, s.received, n, warn)
    assert s.received <= limit.warn_at <= limit.due_at
    if n >= 1 and warn == 0:  # no warning before the breach; immediate cases always warn
        assert limit.warn_at == limit.due_at


@st.composite
def paused(draw: st.DrawFn) -> tuple[Scene, int, list[Pause]]:
    """A scene, a limit, and up to three pauses within 90 days of the receipt."""
    s = draw(scenes())
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(instants_after(s.received, SPAN))
        pauses.append(Pause(start, draw(instants_after(start, timedelta(days=20)))))
    return s, draw(st.integers(0, 40)), pauses


@PROPERTY
@given(paused())
def test_pausing_and_resuming_adds_exactly_the_paused_working_time(
    case: tuple[Scene, int, list[Pause]],
) -> None:
    s, n, pauses = case
    plain = deadline_after(s.cal, s.received, n)
    moved = deadline_of(s.cal, s.received, n, pauses)
    # Each pause counts its office time in whole minutes.
    paused = sum((paused_time(s.cal, p.start, p.end) for p in pauses), timedelta())
    assert paused % timedelta(minutes=1) == timedelta()
    assert moved.paused_office_seconds == int(paused.total_seconds())
    assert moved.due_at >= plain.due_at
    if paused == timedelta():
        assert (moved.due_at, moved.warn_at) == (plain.due_at, plain.warn_at)
    elif n == 0:  # an immediate case's limit is office minutes: moved by exactly the pause
        assert s.cal.office_time_between(plain.due_at, moved.due_at) == paused
    else:  # a limit of days still ends at the close of the working day the pause reaches
        reached = s.cal.add_office_time(plain.due_at, paused)
        assert moved.due_at == s.cal.close_of_day(reached)
        assert paused <= s.cal.office_time_between(plain.due_at, moved.due_at)


@PROPERTY
@given(scenes(), st.integers(0, 40 * 3600), st.integers(0, 40 * 3600))
def test_office_time_adds_up_in_steps_as_in_one(s: Scene, first: int, second: int) -> None:
    a, b = timedelta(seconds=first), timedelta(seconds=second)
    once = s.cal.add_office_time(s.received, a + b)
    assert s.cal.add_office_time(s.cal.add_office_time(s.received, a), b) == once


@PROPERTY
@given(scenes(), st.integers(0, 60 * 3600))
def test_office_time_between_undoes_adding_office_time(s: Scene, seconds: int) -> None:
    amount = timedelta(seconds=seconds)
    end = s.cal.add_office_time(s.received, amount)
    assert end >= s.received
    assert s.cal.office_time_between(s.received, end) == amount


@PROPERTY
@given(scenes(), st.integers(0, 20 * 24 * 3600), st.integers(0, 20 * 24 * 3600))
def test_office_time_between_splits_at_any_instant(s: Scene, first: int, second: int) -> None:
    middle = s.received + timedelta(seconds=first)
    end = middle + timedelta(seconds=second)
    whole = s.cal.office_time_between(s.received, end)
    assert whole == s.cal.office_time_between(s.received, middle) + s.cal.office_time_between(
        middle, end
    )
    assert whole <= end - s.received


@PROPERTY
@given(scenes(), DAYS)
def test_counting_working_days_undoes_adding_them(s: Scene, n: int) -> None:
    start = s.received.date()
    end = s.cal.add_working_days(start, n)
    assert s.cal.working_days_between(start, end) == n
    assert n == 0 or s.cal.is_working_day(end)


@PROPERTY
@given(scenes(), DAYS, st.sets(st.integers(0, 70), max_size=6))
def test_closing_the_center_for_more_days_never_brings_a_limit_earlier(
    s: Scene, n: int, more: set[int]
) -> None:
    extra = {s.received.date() + timedelta(days=k) for k in more}
    closed = WorkingCalendar(s.cal.hours, closures=s.cal.closures | frozenset(extra))
    assert closed.due_at(s.received, n) >= s.cal.due_at(s.received, n)


@PROPERTY
@given(scenes(), st.integers(1, 40))
def test_a_closed_day_within_the_limit_moves_it_by_one_working_day(s: Scene, n: int) -> None:
    received_on = s.received.astimezone(s.cal.hours.tz).date()
    inside = s.cal.add_working_days(received_on, 1)  # the first working day counted
    closed = WorkingCalendar(s.cal.hours, closures=s.cal.closures | {inside})
    expected = s.cal.add_working_days(received_on, n + 1)
    assert closed.due_at(s.received, n).date() == expected


def test_the_generated_range_reaches_provisional_years() -> None:
    """The receipts above run into years the package does not cover yet."""
    cal = WorkingCalendar(OfficeHours.default())
    assert cal.is_provisional(date(LAST.year, 1, 1)) and not cal.is_provisional(date(2010, 1, 1))


# A holiday notice comes from a file operations upload: whatever is in it, reading it either
# gives a notice or says what is wrong (NoticeError, a 422 at the API), never anything else.

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2027-01-01", "2027-13-01", "2027-02-30", "9999-12-31", "0001-01-01"]),
)
_KEYS = st.sampled_from(["year", "source", "holidays", "workdays", "name", "from", "to", "date"])
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=20,
)
_NOTICES = st.fixed_dictionaries(
    {
        "year": st.integers(1990, 2100) | _SCALARS,
        "source": _SCALARS,
        "holidays": st.lists(
            st.fixed_dictionaries({"name": _SCALARS, "from": _SCALARS}, optional={"to": _SCALARS}),
            max_size=4,
        ),
    },
    optional={"workdays": st.lists(st.fixed_dictionaries({"date": _SCALARS}), max_size=3)},
)
_ICS_LINES = st.sampled_from(
    [
        "BEGIN:VCALENDAR",
        "END:VCALENDAR",
        "BEGIN:VEVENT",
        "END:VEVENT",
        "DTSTART;VALUE=DATE:20270101",
        "DTEND;VALUE=DATE:20270104",
        "DTSTART:20270101T000000",
        "DTSTART;VALUE=DATE:20270230",
        "DTEND;VALUE=DATE:2027010",
        "SUMMARY:元旦",
        "SUMMARY:补班",
        "X-WR-CALNAME:通知",
        " folded",
        "SUMMARY",
        ";;:",
    ]
)


@PROPERTY
@given(_NOTICES | _JSON)
def test_any_json_notice_is_read_or_refused_with_its_reason(value: object) -> None:
    try:
        parse_notice(json.dumps(value), "notice.json")
    except NoticeError as err:
        assert str(err)


@PROPERTY
@given(st.lists(_ICS_LINES | st.text(max_size=20), max_size=14))
def test_any_icalendar_notice_is_read_or_refused_with_its_reason(lines: list[str]) -> None:
    try:
        parse_notice("\r\n".join(lines), "notice.ics")
    except NoticeError as err:
        assert str(err)
