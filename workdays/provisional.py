"""A provisional working-day calendar for years the holiday data does not cover yet.

The State Council publishes each year's holiday arrangement (the 国务院办公厅 notice
that fixes the exact days off and the 调休 make-up working days) late in the year
before, and the ``chinesecalendar`` package only carries a year once that notice is
out and a release has shipped. A limit received in late November can already run
into the next year, so until the notice is known the center counts with the
statutory holidays alone, derived from 《全国年节及纪念日放假办法》 as amended in 2024
(in force from 2025):

- New Year's Day: 1 day, January 1;
- Spring Festival: 4 days, 农历除夕 (the day before 正月初一), 初一, 初二 and 初三;
- Tomb-sweeping Day: 1 day, the day of the 清明 solar term;
- Labour Day: 2 days, May 1 and 2;
- Dragon Boat Festival: 1 day, 农历五月初五;
- Mid-autumn Festival: 1 day, 农历八月十五;
- National Day: 3 days, October 1, 2 and 3.

Provisional working days are Monday to Friday minus these holidays. Nothing is
guessed beyond the rules: no 调休 make-up working days and no 补假 for holidays that
fall on a weekend, which only the notice settles. Limits computed from this
calendar are therefore provisional; later work will let operations import the
notice for a year before the package ships it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final

from lunardate import LunarDate  # type: ignore[import-untyped]

RULES_IN_FORCE_FROM: Final = 2025  # the 2024 amendment of the 放假办法
LAST_SUPPORTED_YEAR: Final = 2099  # lunardate's table and the 清明 formula both end here

NEW_YEAR: Final = "New Year's Day"
SPRING_FESTIVAL: Final = "Spring Festival"
TOMB_SWEEPING: Final = "Tomb-sweeping Day"
LABOUR_DAY: Final = "Labour Day"
DRAGON_BOAT: Final = "Dragon Boat Festival"
MID_AUTUMN: Final = "Mid-autumn Festival"
NATIONAL_DAY: Final = "National Day"


def qingming(year: int) -> date:
    """The day of the 清明 solar term, 2000–2099.

    The usual 寿星 formula ``floor(Y * 0.2422 + C) - L`` with ``Y = year % 100`` and
    ``C = 4.81``; for a term after February the current year's leap day has already
    passed, so ``L = Y // 4`` (not ``(Y - 1) // 4``, which is off by one in leap years).
    Integer arithmetic keeps the floor exact.
    """
    if not 2000 <= year <= LAST_SUPPORTED_YEAR:
        raise ValueError(f"the 清明 formula covers 2000-{LAST_SUPPORTED_YEAR}, not {year}")
    y = year % 100
    return date(year, 4, (y * 2422 + 48100) // 10000 - y // 4)


def _lunar(year: int, month: int, day: int) -> date:
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


@lru_cache(maxsize=128)
def _holidays(year: int) -> MappingProxyType[date, str]:
    if not RULES_IN_FORCE_FROM <= year <= LAST_SUPPORTED_YEAR:
        raise ValueError(
            f"statutory holidays are derived for {RULES_IN_FORCE_FROM}-{LAST_SUPPORTED_YEAR}, "
            f"not {year}"
        )
    new_year = _lunar(year, 1, 1)
    days: list[tuple[date, str]] = [
        (date(year, 1, 1), NEW_YEAR),
        *((new_year + timedelta(days=offset), SPRING_FESTIVAL) for offset in range(-1, 3)),
        (qingming(year), TOMB_SWEEPING),
        (date(year, 5, 1), LABOUR_DAY),
        (date(year, 5, 2), LABOUR_DAY),
        (_lunar(year, 5, 5), DRAGON_BOAT),
        (_lunar(year, 8, 15), MID_AUTUMN),
        *((date(year, 10, day), NATIONAL_DAY) for day in (1, 2, 3)),
    ]
    holidays: dict[date, str] = {}
    for day, name in days:
        # Mid-autumn can fall on October 1-3 (e.g. 2028-10-03); keep both names.
        holidays[day] = f"{holidays[day]}; {name}" if day in holidays else name
    return MappingProxyType(dict(sorted(holidays.items())))


def statutory_holidays(year: int) -> dict[date, str]:
    """Each statutory holiday of ``year`` (2025–2099) with its English name, by date.

    The derivation is cached per year; the caller gets its own copy to change freely.
    Raises ValueError for a year outside 2025–2099.
    """
    return dict(_holidays(year))


def provisional_is_working_day(d: date) -> bool:
    """Monday to Friday and not a statutory holiday; ValueError outside 2025–2099."""
    return d.weekday() < 5 and d not in _holidays(d.year)
