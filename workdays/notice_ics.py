"""Reading a holiday notice given as iCalendar (RFC 5545): its all-day events.

Each VEVENT is one holiday's days off, or, when its SUMMARY says 班 (补班, 上班) or
"workday", make-up working days. ``workdays.notice`` turns the events into a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_ONE_DAY = timedelta(days=1)
_ICS_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_FOLD = re.compile(r"\r?\n[ \t]")  # RFC 5545 3.1: a line break then one blank continues
_ICS_ESCAPE = re.compile(r"\\([\\;,nN])")
_WORKDAY_MARK = re.compile(r"补班|上班|班|workday", re.IGNORECASE)
_HOLIDAY_MARK = re.compile(r"放假|休息|休|holiday", re.IGNORECASE)
_NAME_JUNK = " \t()（）[]【】<>-–—:：·,，"

_Props = dict[str, tuple[dict[str, str], str]]  # property name → (parameters, value)


class IcsError(ValueError):
    """The file is not a calendar of all-day events as a notice needs."""


@dataclass(frozen=True)
class IcsEvent:
    name: str
    first: date
    last: date
    worked: bool  # make-up working days, not days off


def read_events(text: str) -> tuple[str, list[IcsEvent]]:
    """The calendar's description (X-WR-CALDESC, else X-WR-CALNAME, else "") and its events."""
    calendar, events = _components(text)
    source = next((calendar[k][1] for k in ("X-WR-CALDESC", "X-WR-CALNAME") if k in calendar), "")
    return _unescape(source).strip(), [IcsEvent(*_event(props)) for props in events]


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
                raise IcsError(f"END:{value} does not close an open component")
        elif stack == ["VCALENDAR"]:
            calendar[name] = (params, value)
        elif stack[-2:] == ["VCALENDAR", "VEVENT"]:
            events[-1][name] = (params, value)
    if stack:
        raise IcsError(f"BEGIN:{stack[-1]} is never closed")
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
    raise IcsError(f"not an iCalendar content line: {line!r}")


def _event(props: _Props) -> tuple[str, date, date, bool]:
    """(name, first day, last day, whether they are make-up workdays) of one VEVENT."""
    if "RRULE" in props:
        raise IcsError("repeating events (RRULE) are not supported; list each year's days")
    if "SUMMARY" not in props or "DTSTART" not in props:
        raise IcsError("every event needs a SUMMARY and a DTSTART")
    summary = _unescape(props["SUMMARY"][1]).strip()
    first = _ics_date(*props["DTSTART"], summary)
    end = _ics_date(*props["DTEND"], summary) if "DTEND" in props else first + _ONE_DAY
    if end <= first:
        raise IcsError(f"event {summary!r} ends on {end}, not after it starts on {first}")
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
    raise IcsError(f"event {summary!r}: expected an all-day date like 20270101, got {value!r}")


def _unescape(value: str) -> str:
    return _ICS_ESCAPE.sub(lambda m: "\n" if m[1] in "nN" else m[1], value)
