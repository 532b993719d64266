"""The dashboard's figures, from batches applied through the real projection, against hand counts.

Each test works in a window of its own, so the cases other tests leave in the
shared database do not enter its counts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio

from banjian.embedded import EmbeddedPostgres
from projections.alerts import raise_notice_missing, settle_notice_missing
from projections.cases import apply_batch
from projections.db import connect
from projections.figures import (
    Span,
    case_counts,
    case_list,
    completions,
    daily,
    handling_percentile,
    open_alerts,
    open_center_alerts,
)
from projections.scores import ManualDeduction, deductions, ranking, record_deduction
from tests.conftest import new_case_id
from tests.databases import new_database
from workflows.event_log import recorded
from workflows.events import (
    AlertAcknowledged,
    AlertRaised,
    CaseEscalated,
    DeadlineOverdue,
    DeadlineWarning,
    MaterialsRequested,
    NoticeOverdue,
)
from workflows.model import (
    AlertLevel,
    Applicant,
    CaseState,
    Event,
    Kind,
    Outcome,
    ProjectionBatch,
    Status,
)

# The center of batches whose calendar names none (recorded before centers shared a
# deployment): the test database's demo center, the one that held them (tests.databases).
NO_CENTER = "SFZ"

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def case(window: str, **changes: object) -> CaseState:
    base = CaseState(
        case_id=new_case_id(),
        service_code="MZ-001",
        service_name="临时救助",
        window=window,
        kind=Kind.PROMISED,
        status=Status.RECEIVED,
        outcome=None,
        urgent=False,
        received_at=at(2, 9),  # Monday 2 March 2026
        due_at=at(9, 17, 30),
        warn_at=at(6, 17, 30),
        paused=False,
        suspended=False,
        overdue=False,
        warned=False,
        assignee="clerk-1",
        first_receiver="clerk-1",
        applicant=Applicant("李四", "11010519491231002X", "13912345678"),
        materials=[],
        materials_missing=[],
        signoffs=[],
        completed_at=None,
        last_seq=1,
        request_hash="h",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def event(seq: int, type_: str, when: datetime, **data: object) -> Event:
    return Event(seq=seq, type=type_, at=when, actor="system", data=dict(data))


def raised(
    seq: int, cls: type[AlertRaised], when: datetime, s: CaseState, level: AlertLevel
) -> Event:
    """An alert the workflow raised as event ``seq`` of the case (its id: ``<case>-A<seq>``)."""
    return recorded(seq, when, "system", cls(f"{s.case_id}-A{seq}", level, None, "promised"))


async def project(conn: asyncpg.Connection, s: CaseState, *events: Event) -> CaseState:
    evs = list(events) or [event(s.last_seq, "test.step", s.received_at)]
    await apply_batch(conn, ProjectionBatch(s.case_id, evs, s))
    return s


def done(s: CaseState, when: datetime, seq: int, **changes: object) -> CaseState:
    return replace(
        s,
        status=Status.COMPLETED,
        outcome=Outcome.APPROVED,
        completed_at=when,
        last_seq=seq,
        **changes,  # type: ignore[arg-type]
    )


@pytest_asyncio.fixture
async def conn(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Connection]:
    c = await connect(postgres.dsn)
    yield c
    await c.close()


@pytest.fixture
def window() -> str:
    return "w-" + uuid.uuid4().hex[:8]


async def test_counts_follow_each_case_as_it_moves_and_ignore_repeated_batches(
    conn: asyncpg.Connection, window: str
) -> None:
    a = await project(conn, case(window))
    a2 = await project(conn, replace(a, status=Status.UNDER_REVIEW, last_seq=2))
    a3 = await project(conn, done(a2, at(4, 10), 3))
    await project(conn, a2)  # a late, older batch
    await project(conn, a3)  # a repeated one
    b = await project(conn, case(window, assignee="clerk-2"))
    b = await project(conn, replace(b, status=Status.NEEDS_MATERIALS, paused=True, last_seq=2))
    c = await project(conn, case(window, kind=Kind.IMMEDIATE, received_at=at(1, 9, month=4)))

    counts = await case_counts(conn, NO_CENTER, Span(), window)
    assert counts.by_status == {"completed": 1, "needs_materials": 1, "received": 1}
    assert counts.by_kind == {"promised": 2, "immediate": 1}
    assert (counts.received, counts.open, counts.overdue_now, counts.at_risk_now) == (3, 2, 0, 0)
    assert counts.timers_pending == 1  # b's clock is paused
    assert counts.by_assignee["clerk-2"]["open"] == 1
    assert counts.by_window == {
        window: {"received": 3, "open": 2, "overdue_now": 0, "at_risk_now": 0}
    }
    march = await case_counts(conn, NO_CENTER, Span(date(2026, 3, 1), date(2026, 3, 31)), window)
    assert march.received == 2 and march.by_status == {"completed": 1, "needs_materials": 1}
    one_day = await case_counts(conn, NO_CENTER, Span(date(2026, 4, 1), date(2026, 4, 1)), window)
    assert one_day.by_kind == {"immediate": 1} and c.case_id


async def test_on_time_rates_against_the_promised_and_the_legal_limit(
    conn: asyncpg.Connection, window: str
) -> None:
    legal = at(30, 17, 30)
    # On time by both limits; late by the promised one, on time by the legal one; late with no
    # legal limit; an open case (not counted).
    await project(conn, done(case(window, legal_due_at=legal), at(4, 10), 2))
    await project(conn, done(case(window, legal_due_at=legal), at(12, 10), 2))
    await project(conn, done(case(window, assignee="clerk-2"), at(12, 10), 2))
    await project(conn, case(window))

    c = await completions(conn, NO_CENTER, Span(), window)
    assert (c.completed, c.on_time, c.legal_counted, c.legal_on_time) == (3, 1, 2, 2)
    assert c.by_assignee["clerk-2"] == {"completed": 1, "completed_on_time": 0}
    # By the day completed: only the first one on 4 March.
    early = await completions(conn, NO_CENTER, Span(date(2026, 3, 1), date(2026, 3, 10)), window)
    assert (early.completed, early.on_time) == (1, 1)
    later = await completions(conn, NO_CENTER, Span(date(2026, 3, 11), None), window)
    assert (later.completed, later.on_time, later.legal_counted) == (2, 0, 1)
    nothing = await completions(conn, NO_CENTER, Span(date(2026, 2, 1), date(2026, 2, 28)), window)
    assert nothing.completed == 0


async def test_handling_time_counts_office_time_in_working_days(
    conn: asyncpg.Connection, window: str
) -> None:
    # Mon 09:00 to Wed 10:00: 5.5 + 6 + 1.5 office hours = 13 h = 2.167 working days.
    await project(conn, done(case(window), at(4, 10), 2))
    # Mon 09:00 to Mon 09:12: 0.2 office hours = 0.033 days; an immediate case.
    await project(conn, done(case(window, kind=Kind.IMMEDIATE), at(2, 9, 12), 2))
    # Fri 6 March 14:30 to Mon 9 March 11:30: the weekend does not count, 6 h = 1 day.
    friday = case(window, received_at=at(6, 14, 30))
    await project(conn, done(friday, at(9, 11, 30), 2))

    c = await completions(conn, NO_CENTER, Span(), window)
    measured, total = c.handling["all"]
    assert measured == 3 and total == pytest.approx(2.167 + 0.033 + 1.0, abs=0.002)
    assert c.handling["immediate"][0] == 1
    assert c.handling["immediate"][1] == pytest.approx(0.033, abs=0.001)
    p90 = await handling_percentile(conn, NO_CENTER, Span(), window)
    assert p90 == {"all": 2.5, "promised": 2.5, "immediate": 0.1}
    row = await conn.fetchrow(
        "select handling_days from dash_cases where window_code = $1 and kind = 'immediate'",
        window,
    )
    assert row is not None and float(row["handling_days"]) == pytest.approx(0.033, abs=0.001)


async def test_overdue_and_at_risk_lists_and_figures(conn: asyncpg.Connection, window: str) -> None:
    late = await project(conn, case(window, overdue=True, warned=True, due_at=at(5, 17, 30)))
    later = await project(conn, case(window, overdue=True, warned=True, due_at=at(6, 17, 30)))
    risky = await project(conn, case(window, warned=True))
    await project(conn, done(case(window, overdue=True, warned=True), at(12, 9), 2))

    counts = await case_counts(conn, NO_CENTER, Span(), window)
    assert (counts.overdue_now, counts.at_risk_now, counts.open) == (2, 1, 3)
    overdue = await case_list(conn, NO_CENTER, "overdue", window, 10)
    assert [r["case_id"] for r in overdue] == [late.case_id, later.case_id]
    at_risk = await case_list(conn, NO_CENTER, "at_risk", window, 10)
    assert [r["case_id"] for r in at_risk] == [risky.case_id]
    assert "applicant_id_number" not in dict(at_risk[0])


async def test_open_alerts_by_level_and_daily_figures(
    conn: asyncpg.Connection, window: str
) -> None:
    s = case(window, warned=True, overdue=True, last_seq=3)
    await project(
        conn,
        s,
        event(1, "case.received", at(2, 9)),
        raised(2, DeadlineWarning, at(6, 17, 30), s, AlertLevel.WINDOW_HEAD),
        raised(3, DeadlineOverdue, at(9, 17, 30), s, AlertLevel.WINDOW_HEAD),
    )
    s = replace(s, last_seq=4)
    await project(conn, s, raised(4, CaseEscalated, at(10, 17, 30), s, AlertLevel.DIRECTOR))
    ack = AlertAcknowledged(f"{s.case_id}-A2", "warning", AlertLevel.WINDOW_HEAD)
    await project(conn, replace(s, last_seq=5), recorded(5, at(11, 9), "head", ack))
    assert await open_alerts(conn, NO_CENTER, Span(), window) == {"window_head": 1, "director": 1}
    assert await open_alerts(conn, NO_CENTER, Span(date(2026, 3, 10), None), window) == {
        "director": 1
    }
    await project(conn, done(case(window), at(3, 9), 2))
    days = await daily(conn, NO_CENTER, Span(date(2026, 3, 1), date(2026, 3, 3)), window)
    assert days == [(date(2026, 3, 1), 0, 0), (date(2026, 3, 2), 2, 0), (date(2026, 3, 3), 0, 1)]


async def test_open_alerts_of_the_whole_center_are_the_cases_and_the_center_s_own_apart(
    postgres: EmbeddedPostgres, window: str
) -> None:
    conn = await connect(await new_database(postgres))  # nobody else's alerts in the center
    try:
        s = case(window, warned=True, overdue=True, last_seq=3)
        await project(
            conn,
            s,
            event(1, "case.received", at(2, 9)),
            raised(2, DeadlineWarning, at(6, 17), s, AlertLevel.WINDOW_HEAD),
            raised(3, DeadlineOverdue, at(9, 17), s, AlertLevel.WINDOW_HEAD),
        )
        await raise_notice_missing(conn, 2027, at(3, 9))  # open
        await raise_notice_missing(conn, 2028, at(3, 9))
        await settle_notice_missing(conn, 2028, "ops", at(4, 9))  # acknowledged
        assert await open_alerts(conn, NO_CENTER, Span(), None) == {"window_head": 2}
        assert await open_alerts(conn, NO_CENTER, Span(), window) == {"window_head": 2}
        assert await open_center_alerts(conn, None, Span(), None) == 1
        assert await open_center_alerts(conn, None, Span(), window) == 0  # none belongs to a window
        assert await open_center_alerts(conn, None, Span(date(2026, 3, 4), None), None) == 0
        assert await open_alerts(conn, NO_CENTER, Span(date(2026, 3, 7), None), None) == {
            "window_head": 1
        }
    finally:
        await conn.close()


async def test_window_scores_deduct_late_cases_breaches_and_entered_findings(
    conn: asyncpg.Connection,
) -> None:
    w1, w2, w3 = ("s-" + uuid.uuid4().hex[:8] for _ in range(3))
    s = case(w1, overdue=True, warned=True, last_seq=3)
    overdue = raised(3, DeadlineOverdue, at(9, 17, 30), s, AlertLevel.WINDOW_HEAD)
    notice = recorded(2, at(9, 17, 30), "system", NoticeOverdue(["photo"], None))
    await project(conn, s, event(1, "case.received", at(2, 9)), notice, overdue)
    await project(conn, s, notice, overdue)  # delivered twice: deducted once
    late_notice = MaterialsRequested(["photo"], "", late_notice=True, defective=False)
    late = recorded(4, at(10, 9), "system", late_notice)
    await project(conn, replace(s, last_seq=4), late)  # the same breach: still once
    await record_deduction(
        conn,
        ManualDeduction(
            w2, "complaint_upheld", date(2026, 3, 20), 1, "投诉属实", None, "director", NO_CENTER
        ),
    )
    await record_deduction(
        conn,
        ManualDeduction(w3, "late_arrival", date(2026, 2, 20), 3, "", None, "director", NO_CENTER),
    )
    with pytest.raises(ValueError):
        await record_deduction(
            conn,
            ManualDeduction(
                w3, "case_overdue", date(2026, 3, 2), 1, "", None, "director", NO_CENTER
            ),
        )

    march = {r.window: r for r in await ranking(conn, NO_CENTER, date(2026, 3, 1), [w1, w2, w3])}
    assert {w: (r.score, r.rank) for w, r in march.items()} == {
        w3: (100, 1),
        w1: (96, 2),
        w2: (90, 3),
    }
    assert march[w1].by_kind == {"case_overdue": 2, "notice_breach": 2}
    # February: w3 lost 3 points, so w1 and w2 shared the best score and hold the flag in March.
    assert {w for w, r in march.items() if r.red_flag} == {w1, w2}
    rows = await deductions(conn, NO_CENTER, date(2026, 3, 1), w1)
    assert sorted(r["kind"] for r in rows) == ["case_overdue", "notice_breach"]
    assert all(r["recorded_by"] == "system" and r["case_id"] == s.case_id for r in rows)


def test_a_span_is_covered_by_whole_months_and_the_days_left_over() -> None:
    far_past, far_future = date(1, 1, 1), date(9999, 12, 31)
    empty = (far_future, far_past)
    assert Span(date(2026, 2, 15), date(2026, 5, 10)).rollup_ranges() == (
        date(2026, 3, 1),
        date(2026, 4, 1),
        date(2026, 2, 15),
        date(2026, 2, 28),
        date(2026, 5, 1),
        date(2026, 5, 10),
    )
    assert Span(date(2026, 3, 1), date(2026, 3, 31)).rollup_ranges() == (
        date(2026, 3, 1),
        date(2026, 3, 1),
        *empty,
        *empty,
    )
    assert Span(date(2026, 3, 2), date(2026, 3, 2)).rollup_ranges() == (
        *empty,
        date(2026, 3, 2),
        date(2026, 3, 2),
        *empty,
    )
    months, last_month, *_ = Span().rollup_ranges()
    assert (months, last_month) == (far_past, date(9999, 12, 1))
