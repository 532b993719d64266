"""The rating rules: bad at 1–2, satisfied from 3, the stages open to the applicant."""

from __future__ import annotations

import pytest

from applicant.progress import stages_open, status_text
from applicant.ratings import RatingRefused, Stage, check_stage, is_bad, satisfaction_rate


def test_one_and_two_are_bad_and_three_and_above_satisfied() -> None:
    assert [is_bad(n) for n in range(1, 6)] == [True, True, False, False, False]
    assert satisfaction_rate({5: 2, 3: 1, 2: 1}) == 0.75
    assert satisfaction_rate({1: 3}) == 0.0
    assert satisfaction_rate({}) is None


def test_completion_waits_for_the_case_and_the_followup_for_an_answer() -> None:
    check_stage(Stage.RECEIVED, "under_review", False)
    check_stage(Stage.COMPLETED, "completed", False)
    with pytest.raises(RatingRefused) as refused:
        check_stage(Stage.COMPLETED, "under_review", False)
    assert refused.value.code == "invalid_transition" and "under_review" in refused.value.message
    with pytest.raises(RatingRefused):
        check_stage(Stage.FOLLOWUP, "completed", False)
    check_stage(Stage.FOLLOWUP, "completed", True)


def test_the_applicant_reads_the_status_in_chinese_and_the_stages_left_to_rate() -> None:
    assert status_text("completed", "approved", False) == "已办结（准予办理）"
    assert status_text("under_review", None, True) == "审核中（依法暂停计时）"
    assert status_text("needs_materials", None, True) == "待补正材料"
    assert stages_open("completed", {"received"}, False) == [Stage.COMPLETED]
    assert stages_open("received", set(), True) == [Stage.RECEIVED, Stage.FOLLOWUP]
