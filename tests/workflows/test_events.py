"""The event types: one class each, recorded with its version, read back as its class."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflows.event_data import MalformedEvent
from workflows.event_log import EVENT_TYPES, parse, recorded
from workflows.events import (
    AlertAcknowledged,
    AlertRaised,
    CaseReassigned,
    CaseReceived,
    DeadlineOverdue,
    DeadlineRecalculated,
    SignoffRecorded,
)
from workflows.model import AlertLevel, ClockPolicy, Event, Kind, Rung, Supply

AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
DUE = datetime.fromisoformat("2026-12-04T17:30:00+08:00")
RECEIVED = CaseReceived(
    service_code="MZ-001",
    kind=Kind.PROMISED,
    window="minzheng",
    urgent=False,
    materials=["id_card"],
    materials_missing=["photo"],
    promised_days=5,
    legal_days=20,
    due_at=DUE,
    legal_due_at=None,
    provisional=True,
    clock_policy=ClockPolicy(2, [Rung(AlertLevel.DIRECTOR, 1)], Supply.RESTART, 4),
    notice_due_at=DUE,
    first_receiver="mz-a",
)


def test_every_type_is_registered_once_under_its_own_name() -> None:
    assert len(EVENT_TYPES) == 29
    assert all(name == cls.TYPE for name, cls in EVENT_TYPES.items())


def test_a_recorded_event_carries_its_types_version_and_reads_back_equal() -> None:
    e = recorded(1, AT, "mz-a", RECEIVED)
    assert (e.type, e.schema_version, e.actor, e.at) == ("case.received", 2, "mz-a", AT)
    assert e.data["kind"] == "promised" and e.data["due_at"] == "2026-12-04T17:30:00+08:00"
    assert e.data["clock_policy"] == {
        "warn_days": 2,
        "ladder": [["director", 1]],
        "on_supply": "restart",
        "signoff_days": 4,
    }
    assert list(e.data) == [
        "service_code",
        "kind",
        "window",
        "urgent",
        "materials",
        "materials_missing",
        "promised_days",
        "legal_days",
        "due_at",
        "legal_due_at",
        "provisional",
        "clock_policy",
        "notice_due_at",
        "first_receiver",
    ]
    assert parse(e) == RECEIVED


def test_keys_recorded_only_in_some_cases_are_left_out_in_the_others() -> None:
    assert "returned_to_lead" not in SignoffRecorded("guotu", "approve", "", True).to_data()
    assert SignoffRecorded("guotu", "reject", "", True, True).to_data()["returned_to_lead"]
    assert "window" not in DeadlineOverdue("A1", AlertLevel.WINDOW_HEAD, DUE, "promised").to_data()
    assert "reason" not in AlertAcknowledged("A1", "overdue", AlertLevel.DIRECTOR).to_data()


def test_a_reassignment_names_its_kind_and_reason_unless_it_is_a_plain_one() -> None:
    assert list(CaseReassigned("mz-a", "mz-b", "minzheng").to_data()) == [
        "from_staff",
        "to_staff",
        "window",
    ]
    takeover = CaseReassigned("mz-a", "mz-b", "minzheng", "takeover").to_data()
    assert (takeover["kind"], takeover["reason"]) == ("takeover", "")
    assert parse(recorded(2, AT, "x", CaseReassigned("a", "b", "w"))) == CaseReassigned(
        "a", "b", "w"
    )


def test_a_recount_records_the_legal_pair_only_when_a_legal_limit_is_counted() -> None:
    plain = DeadlineRecalculated("闭馆", DUE, DUE, 0, False)
    assert "legal_due_at" not in plain.to_data() and "legal_due_at_before" not in plain.to_data()
    legal = DeadlineRecalculated("闭馆", DUE, DUE, 0, False, None, DUE, {"guotu": None})
    data = legal.to_data()
    assert data["legal_due_at_before"] is None and data["signoff_due_at"] == {"guotu": None}
    assert parse(recorded(3, AT, "system", legal)) == legal


def test_an_unknown_type_or_a_newer_version_reads_as_nothing() -> None:
    assert parse(Event(1, "clock.rewound", AT, "system", {})) is None
    assert parse(Event(1, "case.chased", AT, "x", {"note": "n", "times": 1}, 2)) is None


def test_data_that_does_not_read_as_its_type_is_refused_without_echoing_it() -> None:
    with pytest.raises(MalformedEvent, match=r"case.chased without times"):
        parse(Event(1, "case.chased", AT, "x", {"note": "n"}))
    bad = {"note": "11010519491231002X", "times": "11010519491231002X"}
    with pytest.raises(MalformedEvent) as err:
        parse(Event(1, "case.chased", AT, "x", bad))
    assert "case.chased.times" in str(err.value) and "1101" not in str(err.value)
    with pytest.raises(MalformedEvent):
        parse(Event(1, "case.reopened", AT, "x", {"note": "", "due_at": "not a date"}))


def test_keys_this_code_does_not_know_are_ignored() -> None:
    e = Event(1, "case.chased", AT, "x", {"note": "n", "times": 2, "later": True})
    assert parse(e) is not None


def test_a_reader_naming_its_classes_reads_no_other_event() -> None:
    overdue = recorded(2, AT, "system", DeadlineOverdue("A2", AlertLevel.DIRECTOR, DUE, "legal"))
    assert isinstance(parse(overdue, AlertRaised), DeadlineOverdue)
    assert parse(overdue, AlertAcknowledged) is None
    unread = Event(1, "case.chased", AT, "x", {})  # malformed, but not this reader's
    assert parse(unread, AlertRaised, AlertAcknowledged) is None
