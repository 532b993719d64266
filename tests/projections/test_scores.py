"""Which events of a case deduct points from which window (流动红旗)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from projections.scores import deduction_of
from workflows.event_data import DomainEvent
from workflows.event_log import recorded
from workflows.events import (
    CaseReturned,
    DeadlineOverdue,
    DeadlineWarning,
    MaterialsRequested,
    NoticeOverdue,
)
from workflows.model import AlertLevel, Event

AT = datetime(2026, 12, 1, tzinfo=UTC)


def event(e: DomainEvent) -> Event:
    return recorded(1, AT, "system", e)


def overdue(clock: str, window: str | None = None) -> Event:
    return event(DeadlineOverdue("BJ-1-A1", AlertLevel.WINDOW_HEAD, None, clock, window))


UNNAMED = Event(
    1,
    "deadline.overdue",
    AT,
    "system",
    {"alert_id": "BJ-1-A1", "level": "window_head", "due_at": None},
)


@pytest.mark.parametrize(
    ("e", "kind"),
    [
        (UNNAMED, "case_overdue"),  # recorded before clocks were named
        (overdue("promised"), "case_overdue"),
        (overdue("legal"), "case_overdue"),
        (overdue("signoff:laodong", "laodong"), "signoff_overdue"),
        (overdue("upward"), None),  # the higher authority's delay
        (event(NoticeOverdue(["photo"], None)), "notice_breach"),
        (
            event(MaterialsRequested(["photo"], "", late_notice=True, defective=False)),
            "notice_breach",
        ),
        (event(MaterialsRequested(["photo"], "", late_notice=False, defective=False)), None),
        (
            event(CaseReturned(True, "x", late_return=True, review_days=15, review_until=None)),
            "late_return",
        ),
        (
            event(CaseReturned(True, "x", late_return=False, review_days=15, review_until=None)),
            None,
        ),
        (event(DeadlineWarning("BJ-1-A1", AlertLevel.WINDOW_HEAD, None, "promised")), None),
    ],
)
def test_breaches_deduct_and_nothing_else_does(e: Event, kind: str | None) -> None:
    assert deduction_of(e) == kind
