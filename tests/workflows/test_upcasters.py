"""Each shape an event type had before it had its own version reads as the current class.

The old shapes are those older code recorded: the oldest in the recorded history
``promised-pause-extend`` (before the ``clocks`` patch), the others as the rules grew.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from workflows.event_log import EVENT_TYPES, parse
from workflows.events import (
    AlertRaised,
    CaseEscalated,
    CaseReceived,
    CaseReturned,
    ClockResumed,
    DeadlineExtended,
    DeadlineOverdue,
    DeadlineRecalculated,
    DeadlineWarning,
    MaterialsRequested,
)
from workflows.model import AlertLevel, Event, Kind
from workflows.upcasters import UPCASTERS

AT = datetime(2026, 11, 27, 20, 5, 53, tzinfo=UTC)
DUE = "2026-12-04T17:30:00+08:00"


def old(type_: str, **data: Any) -> Event:
    """An event as older code recorded it: every type at version 1."""
    return Event(3, type_, AT, "mz-a", data, schema_version=1)


RECEIVED = {
    "service_code": "MZ-001",
    "kind": "promised",
    "window": "minzheng",
    "urgent": False,
    "materials": ["id_card"],
    "materials_missing": ["photo"],
    "promised_days": 5,
    "legal_days": 20,
    "due_at": DUE,
}


def test_a_receipt_from_before_the_legal_limit_was_counted_has_none() -> None:
    e = parse(old("case.received", **RECEIVED, first_receiver="mz-a"))
    assert isinstance(e, CaseReceived)
    assert (e.kind, e.due_at, e.first_receiver) == (
        Kind.PROMISED,
        datetime.fromisoformat(DUE),
        "mz-a",
    )
    assert (e.legal_due_at, e.notice_due_at, e.clock_policy, e.provisional) == (
        None,
        None,
        None,
        False,
    )


def test_a_receipt_from_before_the_legal_limit_keeps_what_it_recorded() -> None:
    """The shapes between: provisional years marked, then the one-time notice's limit."""
    notice = "2026-12-04T17:30:00+08:00"
    e = parse(
        old("case.received", **RECEIVED, provisional=True, notice_due_at=notice, first_receiver="x")
    )
    assert isinstance(e, CaseReceived)
    assert e.provisional and e.notice_due_at == datetime.fromisoformat(notice)
    assert e.legal_due_at is None and e.clock_policy is None


def test_a_materials_request_from_before_the_notice_was_timed_was_in_time() -> None:
    e = parse(old("materials.requested", missing=["photo"], note="补交照片"))
    assert e == MaterialsRequested(["photo"], "补交照片", late_notice=False, defective=False)


def test_a_materials_request_from_before_defective_materials_keeps_its_lateness() -> None:
    e = parse(old("materials.requested", missing=["photo"], note="", late_notice=True))
    assert e == MaterialsRequested(["photo"], "", late_notice=True, defective=False)


def test_a_resumption_from_before_the_pause_end_was_carried_has_none() -> None:
    paused_from = "2026-11-27T20:05:53.036000+00:00"
    e = parse(old("clock.resumed", paused_from=paused_from, paused_office_seconds=0, due_at=DUE))
    assert isinstance(e, ClockResumed)
    assert e.paused_from == datetime.fromisoformat(paused_from)
    assert (e.paused_to, e.paused_office_seconds, e.legal_due_at) == (None, 0, None)


def test_an_extension_from_before_the_legal_limit_extended_the_promised_one() -> None:
    later = "2026-12-11T17:30:00+08:00"
    e = parse(
        old("deadline.extended", days=5, reason="需要现场核查", due_at_before=DUE, due_at=later)
    )
    assert e == DeadlineExtended(
        "promised", 5, "需要现场核查", datetime.fromisoformat(DUE), datetime.fromisoformat(later)
    )


def test_a_recount_from_before_provisional_years_were_marked_was_not_provisional() -> None:
    data = {"reason": "闭馆", "due_at_before": DUE, "due_at": DUE, "paused_office_seconds": 3600}
    e = parse(old("deadline.recalculated", **data))
    assert isinstance(e, DeadlineRecalculated)
    assert (e.provisional, e.legal_due_at_before, e.legal_due_at, e.signoff_due_at) == (
        False,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("cls", [DeadlineWarning, DeadlineOverdue, CaseEscalated])
def test_an_alert_from_before_each_clock_had_its_own_concerns_the_promised_one(
    cls: type[AlertRaised],
) -> None:
    e = parse(old(cls.TYPE, alert_id="BJ-1-A4", level="director", due_at=DUE))
    assert e == cls("BJ-1-A4", AlertLevel.DIRECTOR, datetime.fromisoformat(DUE), "promised")


def test_a_return_from_before_reviews_has_no_review_period_and_was_not_late() -> None:
    e = parse(old("case.returned", on_time=True, reason="不符合条件"))
    assert e == CaseReturned(True, "不符合条件", False, None, None)
    with_legal = parse(old("case.returned", on_time=False, reason="x", legal_on_time=True))
    assert with_legal == CaseReturned(False, "x", False, None, None, legal_on_time=True)


def test_a_version_1_event_already_in_the_current_shape_reads_unchanged() -> None:
    data = {
        "on_time": True,
        "reason": "不符合条件",
        "late_return": True,
        "review_days": 15,
        "review_until": "2036-12-15T22:01:16.231000+00:00",
        "legal_on_time": True,
    }
    e = parse(old("case.returned", **data))
    assert e is not None and e.to_data() == data


def test_every_type_past_its_first_version_has_an_upcaster_from_each_older_one() -> None:
    missing = [
        (t, v)
        for t, cls in EVENT_TYPES.items()
        for v in range(1, cls.VERSION)
        if (t, v) not in UPCASTERS
    ]
    assert missing == []
    assert all(t in EVENT_TYPES and v < EVENT_TYPES[t].VERSION for t, v in UPCASTERS)
