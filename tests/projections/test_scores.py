"""Which events of a case deduct points from which window (流动红旗)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from projections.scores import deduction_of
from workflows.model import Event


def event(type_: str, **data: Any) -> Event:
    return Event(1, type_, datetime(2026, 12, 1, tzinfo=UTC), "system", data)


@pytest.mark.parametrize(
    ("e", "kind"),
    [
        (event("deadline.overdue"), "case_overdue"),  # recorded before clocks were named
        (event("deadline.overdue", clock="promised"), "case_overdue"),
        (event("deadline.overdue", clock="legal"), "case_overdue"),
        (event("deadline.overdue", clock="signoff:laodong", window="laodong"), "signoff_overdue"),
        (event("deadline.overdue", clock="upward"), None),  # the higher authority's delay
        (event("notice.overdue"), "notice_breach"),
        (event("materials.requested", late_notice=True), "notice_breach"),
        (event("materials.requested", late_notice=False), None),
        (event("case.returned", late_return=True), "late_return"),
        (event("case.returned", late_return=False), None),
        (event("deadline.warning", clock="promised"), None),
    ],
)
def test_breaches_deduct_and_nothing_else_does(e: Event, kind: str | None) -> None:
    assert deduction_of(e) == kind
