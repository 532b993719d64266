"""The monthly window score (流动红旗): 100 points a window a month, less the deductions.

The points are the seeds' (篇11, 广阔天地乡便民服务中心日常管理制度, 奖惩办法): late 1,
leaving early 2, half a day's absence 5, a forbidden conduct found at inspection 2,
a breach of the window's duties 5, a complaint found true 10, a notice of
criticism from the center 20, from higher authorities 50. Two come from the cases
themselves and are recorded by the projection: a case gone past its promised limit
(十不准: 不准超期办理承诺件) and a breach of the one-time notice (一次性告知制), each
counted like a forbidden conduct, 2 points, once per case. The rest are entered
by the director, but for a complaint found true in banjian, which its projection
records (``projections.complaints``) as the answering director's.

The window with the best score of a month holds the red flag the next month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from projections.db import Conn
from workflows.event_data import DomainEvent
from workflows.event_log import parse
from workflows.events import CaseReturned, DeadlineOverdue, MaterialsRequested, NoticeOverdue
from workflows.model import Event

FULL_MARKS = 100
SYSTEM = "system"

DEDUCTIONS: dict[str, int] = {
    "case_overdue": 2,  # a case past its promised (or legal) limit
    "notice_breach": 2,  # the one-time notice missed or given late
    "signoff_overdue": 2,  # a department late with its sign-off of a joint case
    "late_return": 2,  # a return later than 3 working days after receipt
    "late_arrival": 1,  # 迟到
    "early_leave": 2,  # 早退
    "absence_half_day": 5,  # 旷工半天
    "forbidden_conduct": 2,  # 禁止行为, found at inspection
    "duty_breach": 5,  # 违反窗口职责第2项
    "complaint_upheld": 10,  # 被群众举报查证属实
    "internal_notice": 20,  # 被机关通报批评
    "higher_notice": 50,  # 被上级有关部门通报批评
}
AUTOMATIC = ("case_overdue", "notice_breach", "signoff_overdue", "late_return")
MANUAL = tuple(k for k in DEDUCTIONS if k not in AUTOMATIC)


# The events that may raise a deduction.
_DEDUCTING = (DeadlineOverdue, CaseReturned, NoticeOverdue, MaterialsRequested)


def deduction_of(event: Event) -> str | None:
    """The deduction an event of a case raises, if any. A late higher authority (an upward
    case's own clock) is not the center's to answer for."""
    return _deduction(parse(event, *_DEDUCTING))


def _deduction(event: DomainEvent | None) -> str | None:
    match event:
        case DeadlineOverdue(clock=clock) if clock.startswith("signoff:"):
            return "signoff_overdue"
        case DeadlineOverdue(clock=clock):
            return None if clock == "upward" else "case_overdue"
        case CaseReturned(late_return=True):
            return "late_return"
        case NoticeOverdue() | MaterialsRequested(late_notice=True):
            return "notice_breach"
    return None


_INSERT = """
insert into score_deductions (window_code, month, on_day, kind, points, case_id, note, recorded_by,
                              center_code)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
on conflict do nothing
returning id
"""


async def record_case_deductions(
    conn: Conn, center: str, case_id: str, window: str, events: list[Event], tz: ZoneInfo
) -> None:
    """The deductions the events raise, once per case and kind however often they arrive."""
    for e in events:
        event = parse(e, *_DEDUCTING)
        kind = _deduction(event)
        if kind is not None:
            day = e.at.astimezone(tz).date()
            late = event.window if isinstance(event, DeadlineOverdue) else None
            await conn.execute(
                _INSERT,
                late or window,  # a late department answers for itself
                day.replace(day=1),
                day,
                kind,
                DEDUCTIONS[kind],
                case_id,
                "",
                SYSTEM,
                center,
            )


@dataclass(frozen=True)
class ManualDeduction:
    window: str
    kind: str
    on_day: date
    count: int
    note: str
    case_id: str | None
    by: str
    center: str


async def record_deduction(conn: Conn | asyncpg.Pool, d: ManualDeduction) -> int:
    """A deduction entered by the director; ``count`` occurrences at the kind's points each."""
    if d.kind not in MANUAL:
        raise ValueError(f"{d.kind!r} is not a deduction entered by hand")
    row_id: int = await conn.fetchval(
        _INSERT,
        d.window,
        d.on_day.replace(day=1),
        d.on_day,
        d.kind,
        DEDUCTIONS[d.kind] * d.count,
        d.case_id,
        d.note,
        d.by,
        d.center,
    )
    return row_id


async def deductions(
    conn: Conn | asyncpg.Pool, center: str, month: date, window: str | None
) -> list[asyncpg.Record]:
    sql = "select * from score_deductions where center_code = $1 and month = $2"
    args: list[Any] = [center, month]
    if window is not None:
        sql += " and window_code = $3"
        args.append(window)
    rows: list[asyncpg.Record] = await conn.fetch(sql + " order by on_day, id", *args)
    return rows


@dataclass(frozen=True)
class WindowScore:
    window: str
    score: int
    deducted: int
    by_kind: dict[str, int]
    rank: int
    red_flag: bool  # holds the flag this month: best score of the month before


_TOTALS = """
select window_code, kind, sum(points)::bigint as points
from score_deductions where center_code = $1 and month = $2 group by window_code, kind
"""


async def _totals(conn: Conn | asyncpg.Pool, center: str, month: date) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for r in await conn.fetch(_TOTALS, center, month):
        totals.setdefault(r["window_code"], {})[r["kind"]] = int(r["points"])
    return totals


def _scores(windows: list[str], totals: dict[str, dict[str, int]]) -> dict[str, int]:
    return {w: max(0, FULL_MARKS - sum(totals.get(w, {}).values())) for w in windows}


async def ranking(
    conn: Conn | asyncpg.Pool, center: str, month: date, windows: list[str]
) -> list[WindowScore]:
    """Every window's score for ``month`` in the center, best first; ties share a rank."""
    totals = await _totals(conn, center, month)
    scores = _scores(windows, totals)
    previous = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    before = _scores(windows, await _totals(conn, center, previous))
    best_before = max(before.values(), default=None)
    ordered = sorted(windows, key=lambda w: (-scores[w], w))
    result: list[WindowScore] = []
    for w in ordered:
        rank = 1 + sum(1 for other in windows if scores[other] > scores[w])
        result.append(
            WindowScore(
                window=w,
                score=scores[w],
                deducted=sum(totals.get(w, {}).values()),
                by_kind=totals.get(w, {}),
                rank=rank,
                red_flag=before[w] == best_before,
            )
        )
    return result
