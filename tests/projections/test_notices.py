"""Which events give the applicant a written notice, from hand-made events."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.notices import collect_notices
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import (
    CaseReceived,
    CaseReturned,
    ClockPaused,
    DeadlineExtended,
    MaterialsRequested,
)
from workflows.model import Event, Kind

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
RECEIVED = CaseReceived(
    service_code="MZ-001",
    kind=Kind.PROMISED,
    window="minzheng",
    urgent=False,
    materials=["id_card"],
    materials_missing=[],
    promised_days=5,
    legal_days=20,
    due_at=None,
    legal_due_at=None,
    provisional=False,
    clock_policy=None,
    notice_due_at=None,
    first_receiver="mz-a",
)


def _event(seq: int, type_: str, **data: object) -> Event:
    return Event(seq=seq, type=type_, at=AT, actor="mz-a", data=dict(data))


def _logged(seq: int, event: DomainEvent, **extra: object) -> Event:
    """The event as the workflow records it, with ``extra`` keys a later release may add."""
    e = recorded(seq, AT, "mz-a", event)
    return Event(e.seq, e.type, e.at, e.actor, {**e.data, **extra}, e.schema_version)


def _returned(reason: str) -> CaseReturned:
    return CaseReturned(True, reason, late_return=False, review_days=15, review_until=None)


def test_each_noticed_event_gives_one_notice_numbered_by_its_event() -> None:
    events = [
        _logged(1, RECEIVED, something_new=True),
        _logged(2, MaterialsRequested(["id_card"], "", late_notice=False, defective=False)),
        _logged(3, ClockPaused("materials")),
        _logged(4, ClockPaused("suspended", "现场勘查", 3)),
        _logged(5, DeadlineExtended("promised", 5, "复杂", None, None)),
        _logged(6, _returned("不符合条件")),
    ]
    notices = collect_notices("BJ-1", events)
    assert [(n.id, n.kind, n.seq) for n in notices] == [
        ("BJ-1-N1", "receipt", 1),
        ("BJ-1-N2", "materials", 2),
        ("BJ-1-N4", "suspension", 4),
        ("BJ-1-N5", "extension", 5),
        ("BJ-1-N6", "return", 6),
    ]
    assert [n.title for n in notices][:2] == ["受理通知书", "补正材料通知书（一次性告知）"]


def test_event_types_without_a_notice_are_ignored() -> None:
    events = [
        _event(1, "case.withdrawn", reason="不办了"),
        _event(2, "review.started"),
        _event(3, "clock.resumed"),
        _event(4, "deadline.warning", level="window_head"),
    ]
    assert collect_notices("BJ-1", events) == []


def test_the_same_log_always_gives_the_same_notices() -> None:
    events = [_logged(1, RECEIVED), _logged(2, _returned("x"))]
    assert collect_notices("BJ-1", events) == collect_notices("BJ-1", list(events))
