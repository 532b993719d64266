"""Reading a holiday notice given as iCalendar (RFC 5545), with the ``icalendar`` library.

Each all-day VEVENT of the calendar is one holiday's days off, or, when its SUMMARY
says 班 (补班, 上班) or "workday", make-up working days. ``workdays.notice`` turns the
events into a notice. ``icalendar`` forgives an END that names another component and a
component never closed; a notice fixes a year's working days, so those are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Component
from icalendar.parser import Contentline, Contentlines, unescape_backslash

_ONE_DAY = timedelta(days=1)
_WORKDAY_MARK = re.compile(r"补班|上班|班|workday", re.IGNORECASE)
_HOLIDAY_MARK = re.compile(r"放假|休息|休|holiday", re.IGNORECASE)
_NAME_JUNK = " \t()（）[]【】<>-–—:：·,，"


class IcsError(ValueError):
    """The file is not a calendar of all-day events as a notice needs."""


@dataclass(frozen=True)
class IcsEvent:
    name: str
    first: date
    last: date
    worked: bool  # make-up working days, not days off


def read_events(text: str) -> tuple[str, list[IcsEvent]]:
    """The calendar's description (X-WR-CALDESC, else X-WR-CALNAME, else "") and its events
    (the VEVENTs of the VCALENDAR; one nested deeper is not the notice's)."""
    _check_structure(text)
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as err:
        raise IcsError(str(err)) from None
    source = next((calendar[k] for k in ("X-WR-CALDESC", "X-WR-CALNAME") if k in calendar), "")
    # The X-WR- properties are not RFC 5545's, so they come as written: unescape them as text.
    description = str(unescape_backslash(str(source))).strip()
    return description, [_event(e) for e in calendar.subcomponents if e.name == "VEVENT"]


def _check_structure(text: str) -> None:
    """The file is one VCALENDAR, and every BEGIN is closed by the END that names it."""
    outermost: list[str] = []
    open_components: list[str] = []
    lines: list[Contentline] = Contentlines.from_ical(text)  # type: ignore[no-untyped-call]
    for line in lines:
        if not line:
            continue
        try:
            name, _, value = line.parts()
        except ValueError:
            raise IcsError(f"not an iCalendar content line: {str(line)!r}") from None
        if name.upper() == "BEGIN":
            if not open_components:
                outermost.append(value.upper())
            open_components.append(value.upper())
        elif name.upper() == "END" and (
            not open_components or open_components.pop() != value.upper()
        ):
            raise IcsError(f"END:{value} does not close an open component")
    if open_components:
        raise IcsError(f"BEGIN:{open_components[-1]} is never closed")
    if outermost != ["VCALENDAR"]:
        raise IcsError(f"expected one VCALENDAR, found {', '.join(outermost) or 'nothing'}")


def _event(event: Component) -> IcsEvent:
    if "RRULE" in event:
        raise IcsError("repeating events (RRULE) are not supported; list each year's days")
    if "SUMMARY" not in event or "DTSTART" not in event:
        raise IcsError("every event needs a SUMMARY and a DTSTART")
    summary = str(event["SUMMARY"]).strip()
    first = _all_day(event, "DTSTART", summary)
    end = _all_day(event, "DTEND", summary) if "DTEND" in event else first + _ONE_DAY
    if end <= first:
        raise IcsError(f"event {summary!r} ends on {end}, not after it starts on {first}")
    if _WORKDAY_MARK.search(summary):
        return IcsEvent(
            _WORKDAY_MARK.sub("", summary).strip(_NAME_JUNK), first, end - _ONE_DAY, True
        )
    name = _HOLIDAY_MARK.sub("", summary).strip(_NAME_JUNK) or summary
    return IcsEvent(name, first, end - _ONE_DAY, False)


def _all_day(event: Component, name: str, summary: str) -> date:
    """The date of an all-day DTSTART or DTEND (``VALUE=DATE``, the default for 20270101)."""
    kind = str(event[name].params.get("VALUE", "DATE")).upper()
    broken = next((message for prop, message in event.errors if prop == name), None)
    value = event.decoded(name) if broken is None else None
    if kind == "DATE" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    got = broken or (f"VALUE={kind}" if kind != "DATE" else str(value))
    raise IcsError(f"event {summary!r}: {name} must be an all-day date like 20270101, got {got}")
