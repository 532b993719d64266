"""Inquiries (咨询件, 篇9): a question answered at the window on the spot, or referred on.

The seeds ask that a consultation be answered at once and logged (当场答复, 登记在册);
when the question is not the window's, the applicant is taken to the window whose it
is (立即将办事人带到中心相关窗口). So an inquiry is either answered, or referred to
another of the center's windows.
"""

from __future__ import annotations

from collections.abc import Container
from enum import StrEnum


class Outcome(StrEnum):
    ANSWERED = "answered"  # 当场答复
    REFERRED = "referred"  # 引导至相关窗口


def referral_problem(
    outcome: Outcome, referred_to: str | None, own_window: str, windows: Container[str]
) -> str | None:
    """Why the referral does not hold, or None: a referred inquiry names another window of
    the center, an answered one none."""
    if outcome is Outcome.ANSWERED:
        return "an answered inquiry is referred nowhere" if referred_to is not None else None
    if referred_to is None:
        return "a referred inquiry names the window it is referred to"
    if referred_to not in windows:
        return f"no window {referred_to!r} in this center"
    if referred_to == own_window:
        return "an inquiry is referred to another window"
    return None
