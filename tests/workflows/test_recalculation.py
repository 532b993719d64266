"""A change to the center's calendar recounts open cases' limits, keeping every paused minute."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.deadline import Deadlines
from banjian.embedded import EmbeddedPostgres
from banjian.runtime import build_worker
from projections.calendar import add_closure
from projections.db import LazyPool, connect
from tests.conftest import TIMEZONE, eventually
from tests.workflows.harness import (
    CALENDAR,
    CLERK,
    DIRECTOR,
    OPS,
    WORKING,
    act,
    event_types,
    meta,
    rejection_code,
    service,
    start,
)
from workdays.deadline import Deadline
from workdays.limits import paused_time
from workflows.actions import Complete, Recalculate, RequestMaterials, StartReview, SupplyMaterials
from workflows.counting import ClocksRequest
from workflows.model import Outcome


@pytest_asyncio.fixture
async def close_day(postgres: EmbeddedPostgres) -> AsyncIterator[Callable[[date], Any]]:
    """Close the center on a day; every closure is lifted again after the test."""
    conn = await connect(postgres.dsn)
    closed: list[date] = []

    async def close(day: date) -> None:
        await add_closure(conn, CALENDAR.center, day, "停电检修", "director")
        closed.append(day)

    try:
        yield close
    finally:
        await conn.execute("delete from calendar_days where origin = 'closure'")
        await conn.close()


def first_working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while not WORKING.is_working_day(day):
        day += timedelta(days=1)
    return day


async def test_a_closure_moves_the_limit_with_one_recalculated_event(
    time_skipping: tuple[WorkflowEnvironment, str], close_day: Callable[[date], Any]
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=5))
    s = await act(h, "request-materials", RequestMaterials(meta(), ["photo"]))
    await env.sleep(timedelta(days=5))
    s = await act(h, "supply-materials", SupplyMaterials(meta(), ["photo"]))
    assert s.due_at is not None
    tz = WORKING.hours.tz
    # A closure after the pause: a closure inside it would shorten the pause as much.
    resumed_on = (await env.get_current_time()).astimezone(tz).date()
    closed = first_working_day_after(resumed_on)
    await close_day(closed)
    s2 = await act(h, "recalculate", Recalculate(meta(OPS), "中心停电闭馆"))
    assert s2.due_at is not None and s2.due_at > s.due_at
    events = await h.query("events", result_type=list[dict[str, Any]])
    recalculated = [e for e in events if e["type"] == "deadline.recalculated"]
    assert len(recalculated) == 1 and recalculated[0]["actor"] == "ops"
    # The paused time is kept: the pause is counted in the recount, not dropped.
    resumed = next(e for e in events if e["type"] == "clock.resumed")
    with_closure = replace(WORKING, closures=frozenset({closed}))
    paused = paused_time(
        with_closure,
        datetime.fromisoformat(resumed["data"]["paused_from"]),
        datetime.fromisoformat(resumed["data"]["paused_to"]),
    )
    # Whole minutes of pause, and the limit still ends at the close of the day it reaches.
    moved = with_closure.add_office_time(with_closure.due_at(s.received_at, 5), paused)
    expected = with_closure.close_of_day(moved)
    assert s2.due_at == expected
    assert (
        recalculated[0]["data"]["paused_office_seconds"]
        == resumed["data"]["paused_office_seconds"]
        > 0
    )
    again = await act(h, "recalculate", Recalculate(meta(DIRECTOR), "再次核对"))
    assert again.due_at == s2.due_at
    assert (await event_types(h)).count("deadline.recalculated") == 1


async def test_only_the_director_or_ops_recalculates(
    time_skipping: tuple[WorkflowEnvironment, str],
) -> None:
    h = await start(time_skipping, service(days=5))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await act(h, "recalculate", Recalculate(meta(CLERK), "核对"))
    assert rejection_code(err.value) == "forbidden"


class ClosingRightAfterCounting(Deadlines):
    """Counts like the center, then closes the center on the first working day after the
    start: a change that lands between intake's count and the case's first projection, which
    a recount of the open cases in the read model would miss."""

    def __init__(self, db: LazyPool, close: Callable[[date], Any]) -> None:
        super().__init__(db)
        self._close = close
        self.closed: date | None = None

    @activity.defn(name="compute_clocks")
    async def compute_clocks(self, req: ClocksRequest) -> list[Deadline]:
        counted = await super().compute_clocks(req)
        if self.closed is None:
            self.closed = first_working_day_after(req.start.astimezone(WORKING.hours.tz).date())
            await self._close(self.closed)
        return counted


async def test_a_calendar_change_landing_during_intake_recounts_the_case(
    time_skipping: tuple[WorkflowEnvironment, str],
    db: LazyPool,
    close_day: Callable[[date], Any],
) -> None:
    env, _ = time_skipping
    deadlines = ClosingRightAfterCounting(db, close_day)
    queue = "ts-intake-calendar"
    async with build_worker(env.client, queue, db, TIMEZONE, deadlines=deadlines):
        h = await start((env, queue), service(days=5))

        async def recounted() -> bool:
            return "deadline.recalculated" in await event_types(h)

        await eventually(recounted)
        events = await h.query("events", result_type=list[dict[str, Any]])
        received, recalculated = events[0], events[-1]
        assert [e["type"] for e in events] == ["case.received", "deadline.recalculated"]
        assert recalculated["actor"] == "system"
        assert recalculated["data"]["due_at_before"] == received["data"]["due_at"]
        assert deadlines.closed is not None
        with_closure = replace(WORKING, closures=frozenset({deadlines.closed}))
        s = await act(h, "start-review", StartReview(meta()))
        assert s.due_at == with_closure.due_at(s.received_at, 5) > WORKING.due_at(s.received_at, 5)
        await act(h, "complete", Complete(meta(), Outcome.APPROVED, "准予"))
        await h.result()  # nothing left on a queue no worker will poll
