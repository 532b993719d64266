"""The provisional calendar: statutory holidays derived from the 2024 放假办法.

The 2027 table was checked by hand: lunardate puts 正月初一 on Sat 02-06 (so 除夕 is
Fri 02-05 and 初三 Mon 02-08), 五月初五 on Wed 06-09 and 八月十五 on Wed 09-15; the
清明 term falls on Mon 04-05. Years the package carries (2025, 2026) must agree with
the State Council's arrangements as ``chinesecalendar`` has them.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from workdays.provisional import (
    provisional_is_working_day,
    qingming,
    statutory_holidays,
)

HOLIDAYS_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 2, 5): "Spring Festival",
    date(2027, 2, 6): "Spring Festival",
    date(2027, 2, 7): "Spring Festival",
    date(2027, 2, 8): "Spring Festival",
    date(2027, 4, 5): "Tomb-sweeping Day",
    date(2027, 5, 1): "Labour Day",
    date(2027, 5, 2): "Labour Day",
    date(2027, 6, 9): "Dragon Boat Festival",
    date(2027, 9, 15): "Mid-autumn Festival",
    date(2027, 10, 1): "National Day",
    date(2027, 10, 2): "National Day",
    date(2027, 10, 3): "National Day",
}


def _year(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def test_2027_statutory_holidays_match_the_hand_checked_table() -> None:
    assert statutory_holidays(2027) == HOLIDAYS_2027


@pytest.mark.parametrize("year", [2025, 2026])
def test_derived_holidays_are_holidays_of_the_same_name_in_the_official_arrangement(
    year: int,
) -> None:
    derived = statutory_holidays(year)
    assert len(derived) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3, no two on the same day
    for day, name in derived.items():
        assert chinese_calendar.get_holiday_detail(day) == (True, name), day


@pytest.mark.parametrize("year", [2025, 2026])
def test_official_arrangement_only_adds_days_off_and_make_up_days_to_the_provisional_one(
    year: int,
) -> None:
    # Where they differ, the notice either gave a bridge day off or declared a weekend
    # day a make-up working day (调休); it never made a derived holiday a working day.
    for day in _year(year):
        official = chinese_calendar.is_workday(day)
        if official != provisional_is_working_day(day):
            if official:
                assert chinese_calendar.is_in_lieu(day) or day.weekday() >= 5, day
            else:
                assert day.weekday() < 5 and day not in statutory_holidays(year), day


@pytest.mark.parametrize(
    ("year", "day"),
    [(2025, 4), (2026, 5), (2027, 5), (2028, 4), (2029, 4), (2030, 5)],
)
def test_qingming_falls_on_the_known_dates(year: int, day: int) -> None:
    assert qingming(year) == date(year, 4, day)


def test_qingming_formula_matches_the_solar_term_table_for_the_whole_century() -> None:
    for year in range(2000, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        assert [day for day, name in terms if name == "清明"] == [qingming(year)]


def test_provisional_working_days_are_weekdays_that_are_not_holidays() -> None:
    holidays = statutory_holidays(2027)
    for day in _year(2027):
        expected = day.weekday() < 5 and day not in holidays
        assert provisional_is_working_day(day) is expected, day
    assert not provisional_is_working_day(date(2027, 1, 9))  # Saturday
    assert not provisional_is_working_day(date(2027, 1, 10))  # Sunday
    assert provisional_is_working_day(date(2027, 1, 4))  # Monday
    assert not provisional_is_working_day(date(2027, 2, 8))  # Monday, 初三


def test_mid_autumn_on_national_day_keeps_both_names() -> None:
    holidays = statutory_holidays(2028)
    assert holidays[date(2028, 10, 3)] == "Mid-autumn Festival; National Day"
    assert len(holidays) == 12


def test_callers_get_their_own_copy_of_the_cached_holidays() -> None:
    statutory_holidays(2027).clear()
    assert statutory_holidays(2027) == HOLIDAYS_2027


@pytest.mark.parametrize("year", [2024, 2100])
def test_years_outside_the_rules_are_refused(year: int) -> None:
    with pytest.raises(ValueError):
        statutory_holidays(year)
    with pytest.raises(ValueError):
        provisional_is_working_day(date(year, 3, 1))
