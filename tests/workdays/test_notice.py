"""Reading the State Council's holiday notice from JSON and iCalendar.

``notice_2027.json`` and ``notice_2027.ics`` are test data, not the real 2027 notice
(which is not out yet): an invented but plausible arrangement. New Year 01-01..03 off;
Spring Festival 02-05..13 off, Sun 02-14 and Sat 02-20 worked; Qingming 04-03..05 off;
Labour Day 05-01..05 off, Sat 05-08 worked; Dragon Boat Wed 06-09 off; Mid-autumn
Wed 09-15 off; National Day 10-01..07 off, Sun 09-26 and Sat 10-09 worked. The ICS
file has CRLF line ends, a folded SUMMARY and an alarm inside an event.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workdays.notice import HolidayNotice, NoticeError, as_json, overrides, parse_notice

DATA = Path(__file__).parent


def sample(name: str) -> str:
    with (DATA / name).open(encoding="utf-8", newline="") as f:  # keep the CRLFs
        return f.read()


NOTICE = parse_notice(sample("notice_2027.json"), "notice_2027.json")


def notice_json(**changes: Any) -> str:
    """The sample notice as JSON, with top-level keys replaced (None removes one)."""
    body = {**json.loads(sample("notice_2027.json")), **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}, ensure_ascii=False)


def ics(*events: str, header: str = "") -> str:
    """A calendar of events written as ``DTSTART/DTEND/SUMMARY`` lines joined by ``|``."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", *filter(None, header.split("|"))]
    for event in events:
        lines += ["BEGIN:VEVENT", *event.split("|"), "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def test_json_sample_lists_each_day_off_and_each_make_up_day() -> None:
    assert NOTICE.year == 2027
    assert NOTICE.source == "国办发明电〔2026〕99号（测试数据，非真实通知）"
    assert len(NOTICE.holidays) == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert NOTICE.holidays[date(2027, 2, 13)] == "春节"
    assert NOTICE.holidays[date(2027, 6, 9)] == "端午节"  # "to" left out: one day
    assert NOTICE.workdays == {
        date(2027, 2, 14): "春节",
        date(2027, 2, 20): "春节",
        date(2027, 5, 8): "劳动节",
        date(2027, 9, 26): "国庆节",
        date(2027, 10, 9): "国庆节",
    }
    assert list(NOTICE.holidays) == sorted(NOTICE.holidays)


def test_ics_sample_reads_the_same_as_the_json_sample() -> None:
    text = sample("notice_2027.ics")
    assert "\r\n" in text
    assert parse_notice(text, "notice_2027.ics") == NOTICE
    assert parse_notice(text.replace("\r\n", "\n"), "notice_2027.ics") == NOTICE


def test_format_is_told_by_content_when_the_name_does_not_say() -> None:
    assert parse_notice(sample("notice_2027.json"), "upload") == NOTICE
    assert parse_notice("\ufeff" + sample("notice_2027.ics"), "upload") == NOTICE


def test_the_extension_wins_over_the_content() -> None:
    with pytest.raises(NoticeError, match=r"^x\.ics: .*content line"):
        parse_notice(sample("notice_2027.json"), "x.ics")


def test_ics_source_falls_back_to_calendar_name_then_file_name() -> None:
    event = "DTSTART;VALUE=DATE:20270101|DTEND;VALUE=DATE:20270102|SUMMARY:元旦"
    named = parse_notice(ics(event, header="X-WR-CALNAME:节假日\\, 2027"), "a.ics")
    assert named.source == "节假日, 2027"
    assert parse_notice(ics(event), "2027.ics").source == "2027.ics"


def test_ics_names_drop_the_rest_and_work_markers() -> None:
    notice = parse_notice(
        ics(
            "DTSTART;VALUE=DATE:20270101|SUMMARY:元旦（休）",  # no DTEND: one day
            "DTSTART:20270102|DTEND:20270104|SUMMARY:休",
            'DTSTART;VALUE=DATE;X-NOTE="a:b":20270109|SUMMARY:补班',
        ),
        "n.ics",
    )
    assert notice.holidays == {
        date(2027, 1, 1): "元旦",
        date(2027, 1, 2): "休",
        date(2027, 1, 3): "休",
    }
    assert notice.workdays == {date(2027, 1, 9): ""}


def test_overrides_say_holidays_are_off_and_make_up_days_are_worked() -> None:
    days = overrides(NOTICE)
    assert len(days) == len(NOTICE.holidays) + len(NOTICE.workdays)
    assert days[date(2027, 2, 14)] is True
    assert days[date(2027, 2, 5)] is False
    assert date(2027, 2, 15) not in days


def test_as_json_writes_ranges_that_read_back_the_same() -> None:
    body = as_json(NOTICE)
    assert body["holidays"][1] == {"name": "春节", "from": "2027-02-05", "to": "2027-02-13"}
    assert parse_notice(json.dumps(body, ensure_ascii=False), "n.json") == NOTICE


def test_new_years_break_may_start_in_the_december_before() -> None:
    # As the 2019 notice did: 2018-12-30..2019-01-01 off, Sat 2018-12-29 worked.
    text = json.dumps(
        {
            "year": 2019,
            "source": "国办发明电〔2018〕15号",
            "holidays": [{"name": "元旦", "from": "2018-12-30", "to": "2019-01-01"}],
            "workdays": [{"date": "2018-12-29", "for": "元旦"}],
        }
    )
    notice = parse_notice(text, "2019.json")
    assert notice.year == 2019
    assert set(notice.holidays) == {date(2018, 12, 30), date(2018, 12, 31), date(2019, 1, 1)}


def holidays(*ranges: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": "节", "from": first, "to": last} for first, last in ranges]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{", "not valid JSON", id="not-json"),
        pytest.param("[]", "must be an object", id="not-an-object"),
        pytest.param(notice_json(note="x"), "unknown key.*note", id="unknown-top-key"),
        pytest.param(
            notice_json(holidays=[{"name": "元旦", "from": "2027-01-01", "until": "x"}]),
            r"unknown key.*until.*holidays\[0\]",
            id="unknown-holiday-key",
        ),
        pytest.param(
            notice_json(workdays=[{"date": "2027-02-14", "because": "春节"}]),
            r"unknown key.*because.*workdays\[0\]",
            id="unknown-workday-key",
        ),
        pytest.param(notice_json(source=None), "lacks source", id="missing-source"),
        pytest.param(notice_json(year="2027"), "year must be an integer", id="year-a-string"),
        pytest.param(notice_json(year=0), "out of range", id="year-out-of-range"),
        pytest.param(notice_json(source=" "), "source must be", id="blank-source"),
        pytest.param(notice_json(holidays={}), "holidays must be a list", id="holidays-not-list"),
        pytest.param(
            notice_json(holidays=holidays(("2027/01/01", "2027-01-01"))),
            r"holidays\[0\]\.from must be a date",
            id="bad-date-format",
        ),
        pytest.param(
            notice_json(holidays=holidays(("2027-02-30", "2027-02-30"))),
            "must be a date",
            id="no-such-date",
        ),
        pytest.param(
            notice_json(holidays=holidays(("2027-10-07", "2027-10-01"))),
            "ends on 2027-10-01, before it starts on 2027-10-07",
            id="to-before-from",
        ),
        pytest.param(
            notice_json(holidays=holidays(("2028-01-01", "2028-01-01"))),
            "2028-01-01 is outside 2027",
            id="after-the-year",
        ),
        pytest.param(
            notice_json(holidays=holidays(("2026-11-30", "2026-11-30"))),
            "2026-11-30 is outside 2027",
            id="before-the-december-before",
        ),
        pytest.param(
            notice_json(holidays=holidays(("2027-01-01", "9999-12-31"))),
            "outside 2027",
            id="wild-range",
        ),
        pytest.param(
            notice_json(workdays=[{"date": "2028-01-08", "for": "元旦"}]),
            "outside 2027",
            id="workday-after-the-year",
        ),
        pytest.param(
            notice_json(workdays=[{"date": "2027-02-13", "for": "春节"}]),
            "2027-02-13 is both a holiday",
            id="holiday-and-workday",
        ),
        pytest.param(
            notice_json(workdays=[{"date": "2027-02-15", "for": "春节"}]),
            "2027-02-15 for 春节 is a Monday",
            id="make-up-on-a-weekday",
        ),
        pytest.param(
            notice_json(
                holidays=holidays(("2027-01-01", "2027-01-03"), ("2027-01-03", "2027-01-03"))
            ),
            "2027-01-03 is listed twice",
            id="holiday-listed-twice",
        ),
        pytest.param(
            notice_json(workdays=[{"date": "2027-02-14"}, {"date": "2027-02-14"}]),
            "workday 2027-02-14 is listed twice",
            id="workday-listed-twice",
        ),
        pytest.param(notice_json(holidays=[], workdays=None), "lists no holidays", id="empty"),
    ],
)
def test_bad_json_notices_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(NoticeError, match=rf"^notice\.json: .*{message}"):
        parse_notice(text, "notice.json")


NEW_YEAR = "DTSTART;VALUE=DATE:20270101|DTEND;VALUE=DATE:20270104|SUMMARY:元旦"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(ics(), "no events", id="no-events"),
        pytest.param(ics(NEW_YEAR + "|RRULE:FREQ=YEARLY"), "RRULE", id="repeating"),
        pytest.param(ics("DTSTART;VALUE=DATE:20270101"), "SUMMARY and a DTSTART", id="no-summary"),
        pytest.param(
            ics("DTSTART:20270101T000000|SUMMARY:元旦"), "all-day date", id="date-time-start"
        ),
        pytest.param(
            ics("DTSTART;VALUE=DATE-TIME:20270101|SUMMARY:元旦"), "all-day date", id="not-date"
        ),
        pytest.param(
            ics("DTSTART;VALUE=DATE:20270104|DTEND;VALUE=DATE:20270104|SUMMARY:元旦"),
            "not after it starts",
            id="ends-when-it-starts",
        ),
        pytest.param(
            ics(NEW_YEAR, "DTSTART;VALUE=DATE:20270105|SUMMARY:元旦补班"),
            "make-up workday 2027-01-05 for 元旦 is a Tuesday",
            id="make-up-on-a-weekday",
        ),
        pytest.param(
            ics(NEW_YEAR, "DTSTART;VALUE=DATE:20270102|SUMMARY:元旦 workday"),
            "both a holiday",
            id="holiday-and-workday",
        ),
        pytest.param(
            ics(NEW_YEAR, "DTSTART;VALUE=DATE:20260501|SUMMARY:劳动节"),
            "2026-05-01 is outside 2027",
            id="outside-the-year",
        ),
        pytest.param("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "never closed", id="unclosed"),
        pytest.param("BEGIN:VCALENDAR\r\nEND:VEVENT\r\n", "does not close", id="stray-end"),
        pytest.param("BEGIN:VCALENDAR\r\nno colon here\r\n", "content line", id="bad-line"),
    ],
)
def test_bad_ics_notices_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(NoticeError, match=rf"^notice\.ics: .*{message}"):
        parse_notice(text, "notice.ics")


def test_a_file_neither_json_nor_ics_is_refused() -> None:
    with pytest.raises(NoticeError, match=r"notice\.txt: expected a \.json or \.ics"):
        parse_notice("元旦放假3天", "notice.txt")


def test_notice_error_is_a_value_error() -> None:
    assert issubclass(NoticeError, ValueError)


def test_a_notice_built_directly_is_checked_too() -> None:
    with pytest.raises(NoticeError, match="is a Wednesday"):
        HolidayNotice(2027, {}, {date(2027, 1, 6): "元旦"}, "x")
    with pytest.raises(NoticeError, match="needs a source"):
        HolidayNotice(2027, {date(2027, 1, 1): "元旦"}, {}, "")
