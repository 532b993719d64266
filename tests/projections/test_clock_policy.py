"""The center's clock policy and a service's overrides, read from the center's data."""

from __future__ import annotations

from typing import Any

import pytest

from projections.center import PolicyError, clock_policy
from workflows.model import AlertLevel, ClockPolicy, Rung, Supply

CENTER = {"warn_days": 1, "ladder": [{"level": "director", "after_days": 2}], "signoff_days": 4}


def test_a_service_overrides_only_what_it_names() -> None:
    center = clock_policy(CENTER)
    service = clock_policy({"warn_days": 3, "on_supply": "restart"}, center)
    assert service == ClockPolicy(
        warn_days=3,
        ladder=[Rung(AlertLevel.DIRECTOR, 2)],
        on_supply=Supply.RESTART,
        signoff_days=4,
    )
    assert clock_policy({}) == ClockPolicy()


@pytest.mark.parametrize(
    "raw",
    [
        {"warn": 1},
        {"warn_days": -1},
        {"signoff_days": 0},
        {"on_supply": "reset"},
        {"ladder": [{"level": "window_head", "after_days": 1}]},
        {"ladder": [{"level": "mayor", "after_days": 1}]},
        {
            "ladder": [
                {"level": "discipline", "after_days": 3},
                {"level": "director", "after_days": 1},
            ]
        },
        {"ladder": [{"level": "director"}]},
    ],
    ids=[
        "unknown-key",
        "negative-warning",
        "no-signoff-days",
        "bad-supply",
        "head-rung",
        "unknown-level",
        "out-of-order",
        "no-days",
    ],
)
def test_a_policy_that_cannot_be_used_is_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        clock_policy(raw)
