"""Ratings (好差评): the five levels, the stages a case is rated at, the tags, and the figures.

A case is rated once at receipt and once at completion; a bad rating (1–2) opens a
rectification, after which the applicant may rate once more (追评). The satisfaction rate is
the share of ratings at 基本满意 or above.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
# At or below this level a rating is bad (差评) and opens a rectification.
BAD_AT_MOST = 2
# At or above this level the applicant counts as satisfied (满意率).
SATISFIED_FROM = 3


class Stage(StrEnum):
    RECEIVED = "received"  # 受理
    COMPLETED = "completed"  # 办结
    FOLLOWUP = "followup"  # 追评, once a rectification has been answered


class Tag(StrEnum):
    """What a rating is about, as the applicant ticks it."""

    EFFICIENCY = "efficiency"  # 办事效率
    SKILL = "skill"  # 业务能力
    ATTITUDE = "attitude"  # 服务态度
    GUIDANCE = "guidance"  # 告知指引
    ENVIRONMENT = "environment"  # 服务环境


TAG_NAMES: dict[Tag, str] = {
    Tag.EFFICIENCY: "办事效率",
    Tag.SKILL: "业务能力",
    Tag.ATTITUDE: "服务态度",
    Tag.GUIDANCE: "告知指引",
    Tag.ENVIRONMENT: "服务环境",
}


class RatingRefused(Exception):
    """A rating the case does not accept now, with the contract's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def is_bad(level: int) -> bool:
    return level <= BAD_AT_MOST


def rating_id(case_id: str, stage: Stage) -> str:
    """One rating per case and stage, so its id is both."""
    return f"{case_id}-{stage.value}"


def check_stage(stage: Stage, case_status: str, answered_rectification: bool) -> None:
    """Completion is rated once the case is completed; a follow-up once a rectification of the
    case has its answer. Receipt may always be rated."""
    if stage is Stage.COMPLETED and case_status != "completed":
        raise RatingRefused(
            409,
            "invalid_transition",
            f"rating stage 'completed' is not allowed while the case is {case_status}",
        )
    if stage is Stage.FOLLOWUP and not answered_rectification:
        raise RatingRefused(
            409,
            "invalid_transition",
            "rating stage 'followup' is allowed only after a bad rating's rectification"
            " has been answered",
        )


def satisfaction_rate(by_level: Mapping[int, int]) -> float | None:
    """基本满意 and above over all ratings; None when there are none."""
    total = sum(by_level.values())
    if total == 0:
        return None
    satisfied = sum(n for level, n in by_level.items() if level >= SATISFIED_FROM)
    return round(satisfied / total, 4)
