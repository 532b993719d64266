"""The working-day calendar in office time: which days count, and how office time adds up.

Pure functions over the ``chinesecalendar`` data: weekends and statutory
holidays do not count, make-up working days (调休, e.g. a Saturday declared a
working day) do. A limit of N working days starts counting on the day after
receipt (期间开始之日不计算在内) and ends at the close of office hours of the
N-th working day. All arithmetic happens in the center's time zone; instants
must be timezone-aware.

A year the package has no data for yet (its holiday notice is not out) is counted
provisionally from the statutory holiday rules, see ``workdays.provisional``;
``WorkingCalendar.touches_provisional`` tells whether a span depends on such a year.
Years before the package's data (and beyond the rules' reach) raise
``CalendarDataMissing``.

A holiday notice imported by operations (``workdays.notice``) overrides both the
package and the rules for its year, and a center's own closures override everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from workdays.provisional import (
    LAST_SUPPORTED_YEAR,
    RULES_IN_FORCE_FROM,
    provisional_is_working_day,
)

IMMEDIATE_LIMIT = timedelta(minutes=30)  # 即办件: done on the spot within 30 minutes

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DEFAULT_PERIODS = ((time(8, 30), time(11, 30)), (time(14, 30), time(17, 30)))


def _parse_clock(text: str, spec: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"bad time {text!r} in office hours {spec!r}; expected HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"bad time {text!r} in office hours {spec!r}")
    return time(hour, minute)


@dataclass(frozen=True)
class OfficeHours:
    """The center's time zone and its daily office periods, sorted and non-overlapping."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    periods: tuple[tuple[time, time], ...] = _DEFAULT_PERIODS

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start >= end:
                raise ValueError(f"office period {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"office period starting {start:%H:%M} overlaps or precedes the one before"
                )
            previous_end = end

    @classmethod
    def default(cls) -> OfficeHours:
        """08:30–11:30 and 14:30–17:30 in Asia/Shanghai, the hours the seed centers keep."""
        return cls()

    @classmethod
    def parse(cls, spec: str, tz: str) -> OfficeHours:
        """Read ``"08:30-11:30,14:30-17:30"``; raise ValueError on a bad spec or time zone."""
        periods: list[tuple[time, time]] = []
        for piece in spec.split(","):
            bounds = piece.split("-")
            if len(bounds) != 2:
                raise ValueError(f"bad office period {piece!r} in {spec!r}; expected HH:MM-HH:MM")
            periods.append((_parse_clock(bounds[0], spec), _parse_clock(bounds[1], spec)))
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {tz!r}") from err
        return cls(zone, tuple(periods))


class CalendarDataMissing(Exception):
    """A year the holiday data does not cover."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no holiday data for year {year}")
        self.year = year


@lru_cache(maxsize=128)
def _package_covers(year: int) -> bool:
    """Whether ``chinesecalendar`` has the holiday arrangement of ``year``; probed once."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _is_provisional_year(year: int) -> bool:
    """False for a year the package covers, True for one the statutory rules must stand
    in for; CalendarDataMissing for one neither covers (e.g. before 2004)."""
    if _package_covers(year):
        return False
    if RULES_IN_FORCE_FROM <= year <= LAST_SUPPORTED_YEAR:
        return True
    raise CalendarDataMissing(year)


def _require_aware(instant: datetime, name: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant.isoformat()}")


def _no_overrides() -> Mapping[date, bool]:
    return MappingProxyType({})


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and office time of one center.

    Whether a day is worked is decided by the first of these that speaks to it:
    ``closures`` (the center is shut, whatever the notice says); ``overrides`` (the
    imported holiday notices: date → working day); Monday to Friday for a year in
    ``imported_years`` (its notice lists every exception); the package data; the
    provisional rules.
    """

    hours: OfficeHours
    closures: frozenset[date] = frozenset()  # center-specific closed days
    overrides: Mapping[date, bool] = field(default_factory=_no_overrides)
    imported_years: frozenset[int] = frozenset()  # years whose notice has been imported
    # PostgreSQL's calendar_version when this was read; 0: the package's data alone. Not
    # compared: two calendars with the same days are the same calendar.
    version: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        # A read-only copy of its own: the caller's dict may change later, the calendar not.
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))

    def __hash__(self) -> int:
        # A mapping proxy is not hashable; hash the same content that == compares.
        overrides = frozenset(self.overrides.items())
        return hash((self.hours, self.closures, overrides, self.imported_years))

    def is_working_day(self, d: date) -> bool:
        return self._worked_unless_closed(d) and d not in self.closures

    def _worked_unless_closed(self, d: date) -> bool:
        listed = self.overrides.get(d)
        if listed is not None:
            return listed
        if d.year in self.imported_years:
            return d.weekday() < 5
        if _is_provisional_year(d.year):
            return provisional_is_working_day(d)
        return bool(chinese_calendar.is_workday(d))

    def is_provisional(self, d: date) -> bool:
        """Whether ``d`` is counted from the statutory rules because neither the package
        nor an imported notice covers its year; CalendarDataMissing for a year nothing
        covers."""
        return self._provisional_year(d.year)

    def _provisional_year(self, year: int) -> bool:
        return year not in self.imported_years and _is_provisional_year(year)

    def touches_provisional(self, start: datetime, end: datetime) -> bool:
        """Whether any day from ``start`` to ``end`` (dates in the center's time zone,
        both included) is provisional; False if ``end`` is before ``start``."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        first = start.astimezone(self.hours.tz).date()
        last = end.astimezone(self.hours.tz).date()
        if last < first:
            return False
        return any(self._provisional_year(year) for year in range(first.year, last.year + 1))

    def provisional_years(self, start: datetime, end: datetime) -> set[int]:
        """The provisional years among those from ``start`` to ``end`` (center's dates)."""
        first = start.astimezone(self.hours.tz).date()
        last = end.astimezone(self.hours.tz).date()
        return {y for y in range(first.year, last.year + 1) if self._provisional_year(y)}

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself is not counted."""
        if n < 0:
            raise ValueError(f"working days must not be negative, got {n}")
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def due_at(self, received_at: datetime, working_days: int) -> datetime:
        """Close of office hours on the n-th working day after the receipt date.

        An immediate case (``working_days == 0``) is due 30 office minutes after receipt.
        """
        _require_aware(received_at, "received_at")
        if working_days == 0:
            return self.add_office_time(received_at, IMMEDIATE_LIMIT)
        received_on = received_at.astimezone(self.hours.tz).date()
        last_day = self.add_working_days(received_on, working_days)
        return datetime.combine(last_day, self.hours.periods[-1][1], tzinfo=self.hours.tz)

    def office_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days between two instants; zero if ``end <= start``."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        total = timedelta()
        if end <= start:
            return total
        first = start.astimezone(self.hours.tz).date()
        last = end.astimezone(self.hours.tz).date()
        for day in _days(first, last):
            for period_start, period_end in self._periods_on(day):
                overlap = min(period_end, end) - max(period_start, start)
                if overlap > timedelta():
                    total += overlap
        return total

    def add_office_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of office time has elapsed after ``start``.

        Outside office hours the count starts at the next office period; an amount
        that ends exactly at a period's close ends there, not at the next opening.
        """
        _require_aware(start, "start")
        if amount < timedelta():
            raise ValueError(f"office time must not be negative, got {amount}")
        if amount == timedelta():
            return start.astimezone(self.hours.tz)
        cursor = start.astimezone(UTC)
        remaining = amount
        day = start.astimezone(self.hours.tz).date()
        while True:
            for period_start, period_end in self._periods_on(day):
                begin = max(period_start, cursor)
                if begin >= period_end:
                    continue
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.hours.tz)
                remaining -= available
            day += timedelta(days=1)

    def close_of_day(self, instant: datetime) -> datetime:
        """The close of office hours of the working day ``instant`` falls on (``instant``
        itself on a day without office hours)."""
        _require_aware(instant, "instant")
        periods = self._periods_on(instant.astimezone(self.hours.tz).date())
        if not periods:
            return instant.astimezone(self.hours.tz)
        return max(periods[-1][1], instant).astimezone(self.hours.tz)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days d satisfy ``start < d <= end``."""
        if end <= start:
            return 0
        return sum(1 for day in _days(start + timedelta(days=1), end) if self.is_working_day(day))

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's office periods as UTC instants (so that arithmetic survives DST); none
        on a non-working day."""
        if not self.is_working_day(day):
            return []
        tz = self.hours.tz
        return [
            (
                datetime.combine(day, opens, tzinfo=tz).astimezone(UTC),
                datetime.combine(day, closes, tzinfo=tz).astimezone(UTC),
            )
            for opens, closes in self.hours.periods
        ]


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
