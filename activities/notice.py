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

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ICS_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_FOLD = re.compile(r"\r?\n[ \t]")  # RFC 5545 3.1: a line break then one blank continues
_ICS_ESCAPE = re.compile(r"\\([\\;,nN])")
_WORKDAY_MARK = re.compile(r"补班|上班|班|workday", re.IGNORECASE)
_HOLIDAY_MARK = re.compile(r"放假|休息|休|holiday", re.IGNORECASE)
_NAME_JUNK = " \t()（）[]【】<>-–—:：·,，"


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

_Props = dict[str, tuple[dict[str, str], str]]  # property name → (parameters, value)


def _parse_ics(text: str, filename: str) -> HolidayNotice:
    calendar, events = _components(text)
    entries = [_event(props) for props in events]
    if not entries:
        raise NoticeError("the calendar has no events")
    year = max(first.year for _, first, _, _ in entries)
    ranges = [(name, first, last) for name, first, last, worked in entries if not worked]
    workdays = [
        (day, name) for name, first, last, worked in entries if worked for day in _days(first, last)
    ]
    source = next((calendar[k][1] for k in ("X-WR-CALDESC", "X-WR-CALNAME") if k in calendar), "")
    return _assemble(year, _unescape(source).strip() or filename, ranges, workdays)


def _components(text: str) -> tuple[_Props, list[_Props]]:
    """The VCALENDAR's own properties and each VEVENT's; nested ones (VALARM) are skipped."""
    calendar: _Props = {}
    events: list[_Props] = []
    stack: list[str] = []
    for line in re.split(r"\r?\n", _FOLD.sub("", text)):
        if not line.strip():
            continue
        name, params, value = _content_line(line)
        if name == "BEGIN":
            stack.append(value.upper())
            if stack[-1] == "VEVENT":
                events.append({})
        elif name == "END":
            if not stack or stack.pop() != value.upper():
                raise NoticeError(f"END:{value} does not close an open component")
        elif stack == ["VCALENDAR"]:
            calendar[name] = (params, value)
        elif stack[-2:] == ["VCALENDAR", "VEVENT"]:
            events[-1][name] = (params, value)
    if stack:
        raise NoticeError(f"BEGIN:{stack[-1]} is never closed")
    return calendar, events


def _content_line(line: str) -> tuple[str, dict[str, str], str]:
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            name, *params = line[:i].split(";")
            pairs = (p.partition("=") for p in params)
            return name.upper(), {k.upper(): v.strip('"') for k, _, v in pairs}, line[i + 1 :]
    raise NoticeError(f"not an iCalendar content line: {line!r}")


def _event(props: _Props) -> tuple[str, date, date, bool]:
    """(name, first day, last day, whether they are make-up workdays) of one VEVENT."""
    if "RRULE" in props:
        raise NoticeError("repeating events (RRULE) are not supported; list each year's days")
    if "SUMMARY" not in props or "DTSTART" not in props:
        raise NoticeError("every event needs a SUMMARY and a DTSTART")
    summary = _unescape(props["SUMMARY"][1]).strip()
    first = _ics_date(*props["DTSTART"], summary)
    end = _ics_date(*props["DTEND"], summary) if "DTEND" in props else first + _ONE_DAY
    if end <= first:
        raise NoticeError(f"event {summary!r} ends on {end}, not after it starts on {first}")
    if _WORKDAY_MARK.search(summary):
        return _WORKDAY_MARK.sub("", summary).strip(_NAME_JUNK), first, end - _ONE_DAY, True
    return _HOLIDAY_MARK.sub("", summary).strip(_NAME_JUNK) or summary, first, end - _ONE_DAY, False


def _ics_date(params: dict[str, str], value: str, summary: str) -> date:
    match = _ICS_DATE.fullmatch(value.strip())
    if params.get("VALUE", "DATE").upper() == "DATE" and match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise NoticeError(f"event {summary!r}: expected an all-day date like 20270101, got {value!r}")


def _unescape(value: str) -> str:
    return _ICS_ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], value)
