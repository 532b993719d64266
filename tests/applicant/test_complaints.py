"""The complaint rules that need no server: the limit, and who sees the complainant."""

from __future__ import annotations

from applicant.complaints import answer_days, is_complaint_id, sees_complainant
from workflows.model import Role


def test_a_simple_complaint_has_one_working_day_and_a_complicated_one_five() -> None:
    assert answer_days(False, ["minzheng"]) == 1
    assert answer_days(False, []) == 1
    assert answer_days(True, ["minzheng"]) == 5


def test_a_complaint_involving_two_units_has_five_working_days() -> None:
    assert answer_days(False, ["minzheng", "shebao"]) == 5
    assert answer_days(False, ["minzheng", "minzheng"]) == 1


def test_only_the_director_and_discipline_inspection_see_the_complainant() -> None:
    assert {r for r in Role if sees_complainant(r)} == {Role.DIRECTOR, Role.DISCIPLINE}


def test_complaint_numbers_are_told_from_case_numbers_by_their_prefix() -> None:
    assert is_complaint_id("TS-0123456789") and not is_complaint_id("BJ-0123456789")
