"""The State Council's yearly holiday notice, read from the file operations import.

国务院办公厅关于XXXX年部分节假日安排的通知 fixes, for one year, the days off of each
holiday and the make-up working days (调休) that pay for them. Until ``chinesecalendar``
ships a release with that year, the notice is imported from a file, either

- JSON, the shape ``as_json`` writes::

    {"year": 2027, "source": "国办发明电〔2026〕N号",
     "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}, ...],
     "workdays": [{"date": "2027-02-14", "for": "春节"}, ...]}

  (``to`` defaults to ``from``, ``for`` to ``""``, ``workdays`` to none); or
- iCalendar: all-day VEVENTs (DTSTART;VALUE=DATE, DTEND exclusive) whose SUMMARY
  names the holiday; a SUMMARY with 班 (补班, 上班) or "workday" marks make-up working
  days. The year is the latest year an event starts in; the source is the calendar's
  X-WR-CALDESC, else its X-WR-CALNAME, else the file name.

A notice speaks of its own year, and of the end of December before it: a New Year's
break may start there, as the notices for 2018, 2019 and 2023 did. Anything wrong in
the file raises ``NoticeError`` saying what and where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workdays.notice_ics import IcsError, read_events

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class NoticeError(ValueError):
    """A holiday notice that cannot be imported, with the reason."""


@dataclass(frozen=True)
class HolidayNotice:
    """One year's arrangement: days off (date → holiday) and make-up working days
    (date → the holiday they pay for), both sorted by date."""

    year: int
    holidays: dict[date, str]
    workdays: dict[date, str]
    source: str

    def __post_init__(self) -> None:
        _check(self)


def parse_notice(text: str, filename: str) -> HolidayNotice:
    """Read a notice from JSON or iCalendar, told apart by the file name's extension (or,
    failing that, by the first characters); NoticeError naming ``filename`` if it is bad."""
    text = text.lstrip("\ufeff")
    kind = _format(text, filename)
    try:
        if kind == "json":
            return _parse_json(text)
        if kind == "ics":
            return _parse_ics(text, filename)
    except NoticeError as err:
        raise NoticeError(f"{filename}: {err}") from None
    raise NoticeError(f"{filename}: expected a .json or .ics holiday notice")


def _format(text: str, filename: str) -> str | None:
    suffix = filename.lower().rpartition(".")[2]
    if suffix in ("json", "ics"):
        return suffix
    start = text.lstrip()[:15].upper()
    if start.startswith("{"):
        return "json"
    return "ics" if start.startswith("BEGIN:VCALENDAR") else None


def overrides(notice: HolidayNotice) -> dict[date, bool]:
    """The notice as calendar overrides: date → whether it is a working day."""
    return {**dict.fromkeys(notice.holidays, False), **dict.fromkeys(notice.workdays, True)}


def as_json(notice: HolidayNotice) -> dict[str, Any]:
    """The notice in the JSON import shape, consecutive days of one holiday as one range."""
    ranges: list[dict[str, str]] = []
    previous: date | None = None
    for day, name in notice.holidays.items():
        if previous == day - _ONE_DAY and ranges[-1]["name"] == name:
            ranges[-1]["to"] = day.isoformat()
        else:
            ranges.append({"name": name, "from": day.isoformat(), "to": day.isoformat()})
        previous = day
    return {
        "year": notice.year,
        "source": notice.source,
        "holidays": ranges,
        "workdays": [{"date": d.isoformat(), "for": name} for d, name in notice.workdays.items()],
    }


def _check(notice: HolidayNotice) -> None:
    _check_year(notice.year)
    if not notice.source.strip():
        raise NoticeError("the notice needs a source (e.g. its document number)")
    if not notice.holidays and not notice.workdays:
        raise NoticeError(f"the notice for {notice.year} lists no holidays and no workdays")
    for day in (*notice.holidays, *notice.workdays):
        _check_in_year(day, notice.year)
    for day, name in notice.workdays.items():
        if day in notice.holidays:
            raise NoticeError(f"{day} is both a holiday ({notice.holidays[day]}) and a workday")
        if day.weekday() < 5:
            raise NoticeError(
                f"make-up workday {day} for {name or 'a holiday'} is a {day:%A};"
                " make-up workdays are Saturdays or Sundays"
            )


def _check_year(year: object) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise NoticeError(f"year must be an integer, got {year!r}")
    if not 1 < year < 9999:
        raise NoticeError(f"year {year} is out of range")


def _check_in_year(day: date, year: int) -> None:
    if not date(year - 1, 12, 1) <= day <= date(year, 12, 31):
        raise NoticeError(f"{day} is outside {year} (only the December before may be listed)")


def _assemble(
    year: int,
    source: str,
    ranges: list[tuple[str, date, date]],
    workdays: list[tuple[date, str]],
) -> HolidayNotice:
    """Spread the holiday ranges into days, refusing a day listed twice."""
    _check_year(year)
    holidays: dict[date, str] = {}
    for name, first, last in ranges:
        if last < first:
            raise NoticeError(f"holiday {name} ends on {last}, before it starts on {first}")
        _check_in_year(first, year)
        _check_in_year(last, year)  # before spreading, so a wild range cannot run long
        for day in _days(first, last):
            if day in holidays:
                raise NoticeError(f"{day} is listed twice, for {holidays[day]} and for {name}")
            holidays[day] = name
    made_up: dict[date, str] = {}
    for day, name in workdays:
        if day in made_up:
            raise NoticeError(f"make-up workday {day} is listed twice")
        made_up[day] = name
    return HolidayNotice(
        year, dict(sorted(holidays.items())), dict(sorted(made_up.items())), source
    )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


# JSON


def _parse_json(text: str) -> HolidayNotice:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise NoticeError(f"not valid JSON: {err}") from None
    top = _fields(
        data, "the notice", required={"year", "source", "holidays"}, optional={"workdays"}
    )
    ranges = [_holiday(item, i) for i, item in enumerate(_list(top["holidays"], "holidays"))]
    workdays = [
        _workday(item, i) for i, item in enumerate(_list(top.get("workdays", []), "workdays"))
    ]
    return _assemble(top["year"], _text(top["source"], "source"), ranges, workdays)


def _holiday(item: Any, index: int) -> tuple[str, date, date]:
    where = f"holidays[{index}]"
    fields = _fields(item, where, required={"name", "from"}, optional={"to"})
    name = _text(fields["name"], f"{where}.name")
    first = _iso_date(fields["from"], f"{where}.from")
    return name, first, _iso_date(fields.get("to", fields["from"]), f"{where}.to")


def _workday(item: Any, index: int) -> tuple[date, str]:
    where = f"workdays[{index}]"
    fields = _fields(item, where, required={"date"}, optional={"for"})
    name = fields.get("for", "")
    if not isinstance(name, str):
        raise NoticeError(f"{where}.for must be a string, got {name!r}")
    return _iso_date(fields["date"], f"{where}.date"), name.strip()


def _fields(value: Any, where: str, *, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NoticeError(f"{where} must be an object, got {type(value).__name__}")
    unknown = sorted(set(value) - required - optional)
    if unknown:
        raise NoticeError(f"unknown key(s) {', '.join(unknown)} in {where}")
    missing = sorted(required - set(value))
    if missing:
        raise NoticeError(f"{where} lacks {', '.join(missing)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise NoticeError(f"{where} must be a list, got {type(value).__name__}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NoticeError(f"{where} must be a non-empty string, got {value!r}")
    return value.strip()


def _iso_date(value: Any, where: str) -> date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise NoticeError(f"{where} must be a date YYYY-MM-DD, got {value!r}")


# iCalendar


def _parse_ics(text: str, filename: str) -> HolidayNotice:
    try:
        source, entries = read_events(text)
    except IcsError as err:
        raise NoticeError(str(err)) from None
    if not entries:
        raise NoticeError("the calendar has no events")
    year = max(e.first.year for e in entries)
    ranges = [(e.name, e.first, e.last) for e in entries if not e.worked]
    workdays = [(day, e.name) for e in entries if e.worked for day in _days(e.first, e.last)]
    return _assemble(year, source or filename, ranges, workdays)
