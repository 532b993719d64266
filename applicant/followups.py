"""Follow-up visits (回访制度, 篇11): each month, a sample of the applicants served.

The seeds visit applicants once a month (一般每月一次) and ask what they think of the
service (服务质量、服务态度、办事效率). Here the director draws, for a month, a share
(``rate``) or a number (``per_window``) of each window's cases completed in it, plus
every case rated badly (差评) in the month. The draw is a function of the cases and the
seed alone: the same seed over the same cases draws the same sample, so anyone can
check it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from enum import StrEnum

DEFAULT_RATE = 0.1  # a tenth of each window's completed cases, at least one
PREFIX = "HF-"  # 回访


class Reason(StrEnum):
    SAMPLE = "sample"  # drawn from the month's completed cases
    BAD_RATING = "bad_rating"  # rated 不满意 or 非常不满意


def draw(
    completed: Mapping[str, Sequence[str]],
    month: date,
    seed: int,
    rate: float | None = None,
    per_window: int | None = None,
) -> dict[str, list[str]]:
    """Each window's drawn cases, in case order: ``per_window`` of them, or ``rate`` of them
    rounded up (``DEFAULT_RATE`` when neither is given)."""
    drawn: dict[str, list[str]] = {}
    for window in sorted(completed):
        cases = sorted(set(completed[window]))
        if per_window is not None:
            k = min(per_window, len(cases))
        else:
            k = min(len(cases), math.ceil((rate or DEFAULT_RATE) * len(cases)))
        # One generator per window and month: a window's draw does not depend on the others.
        rng = random.Random(f"{seed}:{month:%Y-%m}:{window}")
        drawn[window] = sorted(rng.sample(cases, k))
    return drawn


def visit_id(month: date, n: int) -> str:
    return f"{PREFIX}{month:%Y%m}-{n:04d}"


def due_on(month: date) -> date:
    """A month's visits are made in the month after it: due by its last day."""
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date(after.year + after.month // 12, after.month % 12 + 1, 1) - timedelta(days=1)
