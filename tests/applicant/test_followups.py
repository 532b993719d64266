"""The follow-up draw: reproducible from its seed, per window, a rate or a number."""

from __future__ import annotations

from datetime import date

from applicant.followups import draw, due_on

MONTH = date(2026, 11, 1)
CASES = {
    "minzheng": [f"BJ-MZ{i:08d}" for i in range(40)],
    "shebao": [f"BJ-SB{i:08d}" for i in range(7)],
    "weijian": [],
}


def test_the_same_seed_draws_the_same_sample_and_another_seed_another() -> None:
    first = draw(CASES, MONTH, seed=2026)
    assert first == draw(CASES, MONTH, seed=2026)
    shuffled = {w: list(reversed(c)) for w, c in reversed(CASES.items())}
    assert draw(shuffled, MONTH, seed=2026) == first  # the order cases come in is no matter
    assert draw(CASES, MONTH, seed=2027) != first
    assert draw(CASES, date(2026, 12, 1), seed=2026) != first


def test_a_rate_takes_that_share_of_each_window_rounded_up() -> None:
    drawn = draw(CASES, MONTH, seed=1, rate=0.1)
    assert {w: len(c) for w, c in drawn.items()} == {"minzheng": 4, "shebao": 1, "weijian": 0}
    assert set(drawn["minzheng"]) <= set(CASES["minzheng"])
    assert len(draw(CASES, MONTH, seed=1, rate=1.0)["shebao"]) == 7


def test_a_number_takes_that_many_of_each_window_or_all_it_has() -> None:
    drawn = draw(CASES, MONTH, seed=1, per_window=10)
    assert {w: len(c) for w, c in drawn.items()} == {"minzheng": 10, "shebao": 7, "weijian": 0}


def test_a_months_visits_are_due_by_the_end_of_the_month_after_it() -> None:
    assert due_on(date(2026, 11, 1)) == date(2026, 12, 31)
    assert due_on(date(2026, 12, 1)) == date(2027, 1, 31)
    assert due_on(date(2027, 1, 1)) == date(2027, 2, 28)
