"""The working-day calendar: expected values worked out by hand from the 2026 holiday notice.

2026 in short (国务院办公厅 holiday arrangement, as chinesecalendar carries it):
New Year 01-01..03 off, Sun 01-04 worked; Spring Festival 02-15..23 off, Sat 02-14 and
Sat 02-28 worked; Labour Day 05-01..05 off, Sat 05-09 worked; Mid-autumn Fri 09-25 off;
National Day 10-01..07 off, Sun 09-20 and Sat 10-10 worked (Thu 10-08 is a normal workday).

2027 is not in the package yet and counts provisionally (statutory holidays only, no
调休): Fri 01-01 off; Spring Festival Fri 02-05 (除夕) .. Mon 02-08 (初三) off.

Once a notice is imported, 2027 follows it instead: the one in ``notice_2027.json`` is
test data, not the real notice (see ``test_notice``): Spring Festival 02-05..13 off,
Sun 02-14 and Sat 02-20 worked; Labour Day 05-01..05 off, Sat 05-08 worked; National
Day 10-01..07 off, Sun 09-26 and Sat 10-09 worked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workdays.calendar import CalendarDataMissing, OfficeHours, WorkingCalendar
from workdays.notice import overrides, parse_notice

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(OfficeHours.default())


def at(text: str) -> datetime:
    """A wall-clock time in the center's zone, written ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2026, 2, 13), True, id="friday-before-spring-festival"),
        pytest.param(date(2026, 2, 14), True, id="make-up-saturday-0214"),
        pytest.param(date(2026, 2, 16), False, id="spring-festival-monday"),
        pytest.param(date(2026, 2, 23), False, id="last-spring-festival-day-monday"),
        pytest.param(date(2026, 2, 24), True, id="first-day-back-0224"),
        pytest.param(date(2026, 2, 28), True, id="make-up-saturday-0228"),
        pytest.param(date(2026, 3, 1), False, id="ordinary-sunday"),
        pytest.param(date(2026, 1, 4), True, id="make-up-sunday-0104"),
        pytest.param(date(2026, 5, 5), False, id="labour-day-tuesday"),
        pytest.param(date(2026, 5, 9), True, id="make-up-saturday-0509"),
        pytest.param(date(2026, 9, 20), True, id="make-up-sunday-0920"),
        pytest.param(date(2026, 10, 7), False, id="national-day-wednesday"),
        pytest.param(date(2026, 10, 8), True, id="thursday-after-national-day"),
        pytest.param(date(2026, 10, 10), True, id="make-up-saturday-1010"),
    ],
)
def test_working_days_follow_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        pytest.param("2026-02-13 10:00", 3, "2026-02-25 17:30", id="festival-counts-make-up-sat"),
        pytest.param("2026-02-13 10:00", 1, "2026-02-14 17:30", id="due-on-make-up-saturday"),
        pytest.param("2026-02-14 09:00", 1, "2026-02-24 17:30", id="received-on-make-up-saturday"),
        pytest.param("2026-02-27 16:00", 3, "2026-03-03 17:30", id="make-up-sat-0228-counts"),
        pytest.param("2026-03-01 10:00", 1, "2026-03-02 17:30", id="received-on-sunday"),
        pytest.param("2026-03-07 10:00", 5, "2026-03-13 17:30", id="received-on-saturday"),
        pytest.param("2026-03-03 09:00", 1, "2026-03-04 17:30", id="received-in-office-hours"),
        pytest.param("2026-03-03 18:05", 1, "2026-03-04 17:30", id="received-after-close-same-due"),
        pytest.param("2026-04-30 10:00", 5, "2026-05-11 17:30", id="labour-day-counts-make-up-sat"),
        pytest.param("2026-09-18 10:00", 5, "2026-09-24 17:30", id="make-up-sunday-0920-counts"),
        pytest.param("2026-09-30 10:00", 3, "2026-10-10 17:30", id="national-day-ends-on-make-up"),
        pytest.param("2025-12-31 10:00", 2, "2026-01-05 17:30", id="new-year-counts-make-up-sun"),
        pytest.param("2026-02-02 10:00", 20, "2026-03-06 17:30", id="legal-20-days-over-festival"),
        pytest.param("2026-03-03 11:15", 0, "2026-03-03 14:45", id="immediate-crosses-lunch"),
        pytest.param("2026-03-03 17:20", 0, "2026-03-04 08:50", id="immediate-crosses-night"),
        pytest.param("2026-02-13 17:20", 0, "2026-02-14 08:50", id="immediate-into-make-up-sat"),
        pytest.param("2026-04-30 17:25", 0, "2026-05-06 08:55", id="immediate-over-labour-day"),
        pytest.param("2026-03-01 10:00", 0, "2026-03-02 09:00", id="immediate-received-sunday"),
        pytest.param("2026-03-03 12:00", 0, "2026-03-03 15:00", id="immediate-received-at-lunch"),
    ],
)
def test_due_at_is_close_of_nth_working_day_after_receipt(
    received: str, days: int, due: str
) -> None:
    result = CAL.due_at(at(received), days)
    assert result == at(due)
    assert result.tzinfo == SHANGHAI


def test_due_at_takes_the_receipt_date_in_the_center_time_zone() -> None:
    received = datetime(2026, 3, 3, 17, 0, tzinfo=ZoneInfo("UTC"))  # 03-04 01:00 in Shanghai
    assert CAL.due_at(received, 1) == at("2026-03-05 17:30")


def test_center_without_lunch_break_counts_through_noon() -> None:
    no_lunch = WorkingCalendar(OfficeHours.parse("08:30-17:30", "Asia/Shanghai"))
    assert no_lunch.due_at(at("2026-03-03 11:15"), 0) == at("2026-03-03 11:45")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2026-03-06 17:00", "2026-03-09 09:00", minutes(60), id="across-weekend"),
        pytest.param("2026-03-03 11:00", "2026-03-03 15:00", minutes(60), id="across-lunch"),
        pytest.param("2026-03-03 08:00", "2026-03-03 18:00", minutes(360), id="whole-day"),
        pytest.param("2026-03-07 09:00", "2026-03-08 17:00", minutes(0), id="weekend-only"),
        pytest.param("2026-03-03 12:00", "2026-03-03 14:00", minutes(0), id="lunch-only"),
        pytest.param("2026-03-03 15:00", "2026-03-03 11:00", minutes(0), id="end-before-start"),
        pytest.param(
            "2026-02-13 08:30", "2026-02-24 17:30", minutes(3 * 360), id="spring-festival-3-days"
        ),
        pytest.param(
            "2026-02-02 00:00", "2026-03-06 23:59", minutes(21 * 360), id="five-weeks-21-days"
        ),
    ],
)
def test_office_time_between_counts_only_office_periods_of_working_days(
    start: str, end: str, expected: timedelta
) -> None:
    assert CAL.office_time_between(at(start), at(end)) == expected


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        pytest.param("2026-03-03 10:00", minutes(360), "2026-03-04 10:00", id="one-office-day"),
        pytest.param("2026-03-06 17:00", minutes(60), "2026-03-09 09:00", id="over-weekend"),
        pytest.param("2026-03-03 11:00", minutes(30), "2026-03-03 11:30", id="ends-at-closing"),
        pytest.param("2026-02-13 17:00", minutes(180), "2026-02-14 11:00", id="into-make-up-sat"),
        pytest.param("2026-02-16 10:00", minutes(60), "2026-02-24 09:30", id="starts-on-holiday"),
        pytest.param("2026-03-07 10:00", minutes(0), "2026-03-07 10:00", id="zero-keeps-start"),
    ],
)
def test_add_office_time_skips_closed_hours(start: str, amount: timedelta, expected: str) -> None:
    result = CAL.add_office_time(at(start), amount)
    assert result == at(expected)
    assert result.tzinfo == SHANGHAI


@pytest.mark.parametrize(
    ("start", "amount"),
    [
        pytest.param("2026-03-03 11:15", minutes(30), id="across-lunch"),
        pytest.param("2026-02-13 16:00", minutes(7 * 60), id="across-spring-festival"),
        pytest.param("2026-09-29 09:10", minutes(6 * 360 + 45), id="across-national-day"),
        pytest.param("2026-03-07 22:00", minutes(95), id="start-outside-office-hours"),
    ],
)
def test_office_time_between_inverts_add_office_time(start: str, amount: timedelta) -> None:
    assert CAL.office_time_between(at(start), CAL.add_office_time(at(start), amount)) == amount


def test_add_office_time_inverts_office_time_between_inside_office_hours() -> None:
    start, end = at("2026-02-13 10:05"), at("2026-02-24 15:40")
    assert CAL.add_office_time(start, CAL.office_time_between(start, end)) == end


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 2, 13), date(2026, 2, 25), 3, id="spring-festival"),
        pytest.param(date(2026, 9, 30), date(2026, 10, 10), 3, id="national-day"),
        pytest.param(date(2026, 2, 14), date(2026, 2, 14), 0, id="same-day"),
        pytest.param(date(2026, 2, 25), date(2026, 2, 13), 0, id="end-before-start"),
    ],
)
def test_working_days_between_excludes_start_includes_end(
    start: date, end: date, expected: int
) -> None:
    assert CAL.working_days_between(start, end) == expected


def test_add_working_days_zero_returns_start_and_negative_is_refused() -> None:
    assert CAL.add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 2, 13), -1)


def test_closures_are_skipped_like_holidays() -> None:
    closed = WorkingCalendar(
        OfficeHours.default(), closures=frozenset({date(2026, 3, 4), date(2026, 2, 14)})
    )
    assert not closed.is_working_day(date(2026, 3, 4))
    assert not closed.is_working_day(date(2026, 2, 14))
    assert closed.due_at(at("2026-03-03 10:00"), 2) == at("2026-03-06 17:30")
    assert closed.add_office_time(at("2026-03-03 17:00"), minutes(60)) == at("2026-03-05 09:00")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2027, 1, 1), False, id="new-year-friday"),
        pytest.param(date(2027, 1, 4), True, id="first-monday"),
        pytest.param(date(2027, 2, 5), False, id="chuxi-friday"),
        pytest.param(date(2027, 2, 8), False, id="chusan-monday"),
        pytest.param(date(2027, 2, 9), True, id="tuesday-after-spring-festival"),
        pytest.param(date(2027, 1, 9), False, id="ordinary-saturday"),
    ],
)
def test_year_without_holiday_data_counts_provisionally(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working
    assert CAL.is_provisional(day)


def test_years_the_package_covers_are_not_provisional() -> None:
    assert not CAL.is_provisional(date(2026, 12, 31))
    assert not CAL.is_provisional(date(2004, 1, 1))


def test_limit_running_into_an_uncovered_year_counts_provisional_days() -> None:
    # Fri 01-01 holiday, 01-02..03 weekend, Mon 01-04 day 1, Tue 01-05 day 2.
    assert CAL.due_at(at("2026-12-31 10:00"), 2) == at("2027-01-05 17:30")
    assert CAL.office_time_between(at("2026-12-31 17:00"), at("2027-01-04 09:30")) == minutes(90)


def test_closures_apply_to_provisional_days() -> None:
    closed = WorkingCalendar(OfficeHours.default(), closures=frozenset({date(2027, 1, 4)}))
    assert not closed.is_working_day(date(2027, 1, 4))
    assert closed.due_at(at("2026-12-31 10:00"), 1) == at("2027-01-05 17:30")


@pytest.mark.parametrize(
    ("start", "end", "touches"),
    [
        pytest.param("2026-03-03 10:00", "2026-12-31 23:59", False, id="inside-covered-year"),
        pytest.param("2026-12-31 10:00", "2027-01-05 17:30", True, id="runs-into-2027"),
        pytest.param("2027-03-01 10:00", "2027-03-02 10:00", True, id="inside-2027"),
        pytest.param("2027-01-05 10:00", "2026-12-31 10:00", False, id="end-before-start"),
    ],
)
def test_touches_provisional_when_a_span_reaches_an_uncovered_year(
    start: str, end: str, touches: bool
) -> None:
    assert CAL.touches_provisional(at(start), at(end)) is touches


def test_touches_provisional_takes_dates_in_the_center_time_zone() -> None:
    utc = ZoneInfo("UTC")
    end = datetime(2026, 12, 31, 17, 0, tzinfo=utc)  # 2027-01-01 01:00 in Shanghai
    assert CAL.touches_provisional(at("2026-12-30 10:00"), end)
    assert not CAL.touches_provisional(at("2026-12-30 10:00"), end.replace(hour=15))


def test_year_before_the_holiday_data_raises_calendar_data_missing() -> None:
    with pytest.raises(CalendarDataMissing, match="2003") as caught:
        CAL.is_working_day(date(2003, 12, 31))
    assert caught.value.year == 2003
    with pytest.raises(CalendarDataMissing):
        CAL.is_provisional(date(2003, 12, 31))
    with pytest.raises(CalendarDataMissing):
        CAL.due_at(at("2003-12-30 10:00"), 1)


def test_naive_instants_are_refused() -> None:
    naive = datetime(2026, 3, 3, 10, 0)
    with pytest.raises(ValueError):
        CAL.due_at(naive, 3)
    with pytest.raises(ValueError):
        CAL.add_office_time(naive, minutes(30))
    with pytest.raises(ValueError):
        CAL.office_time_between(naive, at("2026-03-03 11:00"))


def test_parse_reads_periods_and_zone() -> None:
    assert OfficeHours.parse("08:30-11:30,14:30-17:30", "Asia/Shanghai") == OfficeHours.default()
    parsed = OfficeHours.parse(" 9:00-12:00 , 13:00-17:00 ", "Asia/Urumqi")
    assert parsed.tz == ZoneInfo("Asia/Urumqi")
    assert [(a.isoformat("minutes"), b.isoformat("minutes")) for a, b in parsed.periods] == [
        ("09:00", "12:00"),
        ("13:00", "17:00"),
    ]


@pytest.mark.parametrize(
    ("spec", "tz"),
    [
        pytest.param("", "Asia/Shanghai", id="empty"),
        pytest.param("08:30", "Asia/Shanghai", id="no-end"),
        pytest.param("08:30-11:30;14:30-17:30", "Asia/Shanghai", id="wrong-separator"),
        pytest.param("8h30-11:30", "Asia/Shanghai", id="not-a-time"),
        pytest.param("25:00-26:00", "Asia/Shanghai", id="hour-out-of-range"),
        pytest.param("08:60-09:00", "Asia/Shanghai", id="minute-out-of-range"),
        pytest.param("11:30-08:30", "Asia/Shanghai", id="ends-before-start"),
        pytest.param("08:30-08:30", "Asia/Shanghai", id="empty-period"),
        pytest.param("08:30-12:00,11:30-17:30", "Asia/Shanghai", id="overlapping"),
        pytest.param("14:30-17:30,08:30-11:30", "Asia/Shanghai", id="unsorted"),
        pytest.param("08:30-11:30", "Mars/Olympus_Mons", id="unknown-zone"),
    ],
)
def test_parse_refuses_bad_office_hours(spec: str, tz: str) -> None:
    with pytest.raises(ValueError):
        OfficeHours.parse(spec, tz)


NOTICE_2027 = parse_notice(
    (Path(__file__).parent / "notice_2027.json").read_text(encoding="utf-8"), "notice_2027.json"
)
IMPORTED = WorkingCalendar(
    OfficeHours.default(), overrides=overrides(NOTICE_2027), imported_years=frozenset({2027})
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2027, 1, 1), False, id="new-year-friday"),
        pytest.param(date(2027, 1, 4), True, id="first-monday"),
        pytest.param(date(2027, 1, 9), False, id="ordinary-saturday"),
        pytest.param(date(2027, 2, 4), True, id="thursday-before-spring-festival"),
        pytest.param(date(2027, 2, 9), False, id="tuesday-off-by-notice-not-by-rules"),
        pytest.param(date(2027, 2, 12), False, id="friday-off-by-notice"),
        pytest.param(date(2027, 2, 13), False, id="last-day-saturday"),
        pytest.param(date(2027, 2, 14), True, id="make-up-sunday-0214"),
        pytest.param(date(2027, 2, 15), True, id="monday-after"),
        pytest.param(date(2027, 2, 20), True, id="make-up-saturday-0220"),
        pytest.param(date(2027, 2, 21), False, id="ordinary-sunday"),
        pytest.param(date(2027, 4, 5), False, id="qingming-monday"),
        pytest.param(date(2027, 5, 5), False, id="labour-day-wednesday"),
        pytest.param(date(2027, 5, 8), True, id="make-up-saturday-0508"),
        pytest.param(date(2027, 9, 26), True, id="make-up-sunday-0926"),
        pytest.param(date(2027, 10, 7), False, id="national-day-thursday"),
        pytest.param(date(2027, 10, 8), True, id="friday-after-national-day"),
        pytest.param(date(2027, 10, 9), True, id="make-up-saturday-1009"),
    ],
)
def test_imported_notice_decides_its_year(day: date, working: bool) -> None:
    assert IMPORTED.is_working_day(day) is working
    assert not IMPORTED.is_provisional(day)


def test_limits_over_an_imported_spring_festival_count_its_make_up_days() -> None:
    # Thu 02-04: 02-05..13 off, Sun 02-14 day 1, Mon 02-15 day 2.
    assert IMPORTED.due_at(at("2027-02-04 10:00"), 2) == at("2027-02-15 17:30")
    assert CAL.due_at(at("2027-02-04 10:00"), 2) == at("2027-02-10 17:30")  # provisional


def test_an_imported_year_is_no_longer_touched_provisionally() -> None:
    assert not IMPORTED.touches_provisional(at("2026-12-31 10:00"), at("2027-12-31 17:30"))
    assert IMPORTED.touches_provisional(at("2027-12-31 10:00"), at("2028-01-04 17:30"))


def test_closures_win_over_an_imported_make_up_day() -> None:
    closed = WorkingCalendar(
        OfficeHours.default(),
        closures=frozenset({date(2027, 2, 14)}),
        overrides=overrides(NOTICE_2027),
        imported_years=frozenset({2027}),
    )
    assert not closed.is_working_day(date(2027, 2, 14))
    assert closed.due_at(at("2027-02-04 10:00"), 2) == at("2027-02-16 17:30")


def test_an_imported_year_ignores_the_package_data() -> None:
    # A (made-up) revised 2026 notice that keeps only Mon 02-16 of Spring Festival off.
    revised = WorkingCalendar(
        OfficeHours.default(),
        overrides={date(2026, 2, 16): False},
        imported_years=frozenset({2026}),
    )
    assert not revised.is_working_day(date(2026, 2, 16))
    assert revised.is_working_day(date(2026, 2, 17))  # a holiday in the package
    assert not revised.is_working_day(date(2026, 2, 14))  # worked in the package


def test_overrides_without_an_imported_year_change_only_their_days() -> None:
    one_day = WorkingCalendar(OfficeHours.default(), overrides={date(2027, 3, 1): False})
    assert not one_day.is_working_day(date(2027, 3, 1))
    assert one_day.is_working_day(date(2027, 3, 2))
    assert one_day.is_provisional(date(2027, 3, 1))


def test_an_imported_year_is_covered_even_before_the_package_data() -> None:
    old = WorkingCalendar(OfficeHours.default(), imported_years=frozenset({2003}))
    assert old.is_working_day(date(2003, 12, 31))
    assert not old.is_provisional(date(2003, 12, 31))


def test_overrides_are_copied_and_compare_and_hash_by_content() -> None:
    days = {date(2027, 3, 1): False}
    cal = WorkingCalendar(OfficeHours.default(), overrides=days)
    days[date(2027, 3, 1)] = True
    assert not cal.is_working_day(date(2027, 3, 1))
    same = WorkingCalendar(OfficeHours.default(), overrides={date(2027, 3, 1): False})
    assert cal == same
    assert hash(cal) == hash(same)
    assert cal != CAL
    with pytest.raises(TypeError):
        cal.overrides[date(2027, 3, 2)] = False  # type: ignore[index]
