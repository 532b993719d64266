"""The timeline's labels and clocks, from a table, with the raw type for an unknown event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from documents.timeline import build_timeline, clock_label, format_step
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import (
    CaseReceived,
    ClockResumed,
    DeadlineOverdue,
    DeadlineWarning,
    NoticeOverdue,
)
from workflows.model import AlertLevel, Event, Kind

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


def event(seq: int, type_: str, **data: Any) -> Event:
    return Event(seq=seq, type=type_, at=T0, actor="system", data=data)


def logged(seq: int, e: DomainEvent) -> Event:
    return recorded(seq, T0, "system", e)


def due(text: str) -> datetime:
    return datetime.fromisoformat(text)


def received(due_at: datetime) -> CaseReceived:
    return CaseReceived(
        service_code="MZ-001",
        kind=Kind.PROMISED,
        window="minzheng",
        urgent=False,
        materials=[],
        materials_missing=[],
        promised_days=5,
        legal_days=20,
        due_at=due_at,
        legal_due_at=None,
        provisional=False,
        clock_policy=None,
        notice_due_at=None,
        first_receiver="mz-a",
    )


def warning(clock: str, due_at: datetime | None = None) -> DeadlineWarning:
    return DeadlineWarning("BJ-1-A2", AlertLevel.WINDOW_HEAD, due_at, clock)


def overdue(clock: str, due_at: datetime) -> DeadlineOverdue:
    return DeadlineOverdue("BJ-1-A4", AlertLevel.WINDOW_HEAD, due_at, clock)


def test_each_event_shows_the_clock_it_concerns_before_and_after() -> None:
    steps = build_timeline(
        [
            logged(1, received(due("2026-05-18T09:30:00+00:00"))),
            logged(2, warning("legal", due("2026-06-08T09:30:00+00:00"))),
            logged(3, ClockResumed(T0, T0, 0, due("2026-05-19T09:30:00+00:00"))),
            logged(4, overdue("signoff:shebao", due("2026-05-13T09:30:00+00:00"))),
            logged(5, NoticeOverdue([], due("2026-05-18T09:30:00+00:00"))),
        ],
        projected_seq=4,
        tz=TZ,
    )
    assert [s.clock for s in steps] == ["promised", "legal", "promised", "signoff:shebao", "notice"]
    assert steps[0].due_before is None
    assert steps[2].due_before == steps[0].due_after != steps[2].due_after
    assert steps[2].due_after is not None and steps[2].due_after.hour == 17  # 09:30 UTC, local
    assert steps[1].due_before is None and steps[1].due_after is not None
    assert [s.projected for s in steps] == [True, True, True, True, False]
    assert "not yet projected" in format_step(steps[4])


def test_labels_come_from_the_table_with_the_raw_type_as_fallback() -> None:
    known, unknown = build_timeline(
        [logged(1, warning("promised")), event(2, "clock.rewound")], projected_seq=2, tz=TZ
    )
    assert (known.label_zh, known.label_en) == ("临期预警", "deadline warning")
    assert (unknown.label_zh, unknown.label_en) == ("clock.rewound", "clock.rewound")
    assert clock_label("signoff:shebao") == ("shebao会签时限", "sign-off limit of shebao")
    assert clock_label("mystery") == ("mystery", "mystery")
