"""Which events give the applicant a written notice, from hand-made events."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.notices import collect_notices
from workflows.model import Event

AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _event(seq: int, type_: str, **data: object) -> Event:
    return Event(seq=seq, type=type_, at=AT, actor="mz-a", data=dict(data))


def test_each_noticed_event_gives_one_notice_numbered_by_its_event() -> None:
    events = [
        _event(1, "case.received", promised_days=5, something_new=True),
        _event(2, "materials.requested", missing=["id_card"], note="", late_notice=False),
        _event(3, "clock.paused", reason="materials"),
        _event(4, "clock.paused", reason="suspended", note="现场勘查", expected_days=3),
        _event(5, "deadline.extended", clock="promised", days=5, reason="复杂"),
        _event(6, "case.returned", reason="不符合条件"),
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
    events = [_event(1, "case.received"), _event(2, "case.returned", reason="x")]
    assert collect_notices("BJ-1", events) == collect_notices("BJ-1", list(events))
