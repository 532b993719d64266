"""A staff leave (请假/外出) as a workflow: the B post covers the absent A post's cases (AB岗).

Registering the leave starts it (workflow id ``leave-<task queue>-<leave id>``). It sleeps until
the leave's first day begins in the center's time zone, takes each open case of
A over to the window's B post, sleeps until A is back (the last day has passed,
or the window head ends the leave early with the ``end`` update), then hands
back each case B has not acted on. Every read and every update is an activity
(``activities.leave``) with a deterministic idempotency key per (leave, case),
so a retried step adds no event. In the sandbox the test server's clock moves
the timers like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from temporalio import workflow
from temporalio.common import RetryPolicy

PARALLEL = 8
_TIMEOUT = timedelta(minutes=1)
# Reads and writes wait out a PostgreSQL or Temporal outage, however long.
_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=0)


class LeavePhase(StrEnum):
    UPCOMING = "upcoming"
    TAKING_OVER = "taking_over"
    CURRENT = "current"
    HANDING_BACK = "handing_back"
    ENDED = "ended"


_BUSY = (LeavePhase.TAKING_OVER, LeavePhase.HANDING_BACK)


@dataclass(frozen=True)
class LeaveInput:
    leave_id: int
    starts_at: datetime  # the first day's start in the center's time zone
    ends_at: datetime  # the start of the day after the last
    back: bool = False  # A was back already when the workflow started


@dataclass(frozen=True)
class LeaveProgress:
    leave_id: int
    phase: LeavePhase
    wakes_at: datetime | None  # when it acts next of itself, while it waits


@dataclass(frozen=True)
class LeaveCase:
    """One case of the leave, and the instant (the workflow's) its step is recorded at."""

    leave_id: int
    case_id: str
    at: datetime


@dataclass(frozen=True)
class HeldCase:
    case_id: str
    takeover_seq: int | None


@dataclass(frozen=True)
class HandBack:
    leave_id: int
    case_id: str
    since_seq: int | None  # the takeover's seq: B has acted if anything B did came after
    at: datetime


@dataclass(frozen=True)
class LeaveMark:
    leave_id: int
    at: datetime


@workflow.defn(name="LeaveWorkflow")
class LeaveWorkflow:
    @workflow.init
    def __init__(self, inp: LeaveInput) -> None:
        self._inp = inp
        self._back = inp.back
        if inp.back:
            self._phase = LeavePhase.HANDING_BACK
        elif inp.starts_at <= workflow.now():
            self._phase = LeavePhase.TAKING_OVER
        else:
            self._phase = LeavePhase.UPCOMING

    @workflow.run
    async def run(self, inp: LeaveInput) -> LeaveProgress:
        if not await self._back_before(inp.starts_at):
            self._phase = LeavePhase.TAKING_OVER
            await self._take_over()
            self._phase = LeavePhase.CURRENT
            await self._back_before(inp.ends_at)
        self._phase = LeavePhase.HANDING_BACK
        await self._hand_back()
        self._phase = LeavePhase.ENDED
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()

    @workflow.update
    async def end(self) -> LeaveProgress:
        """A is back early: the hand-backs run now. Answers once they are done."""
        self._back = True
        await workflow.wait_condition(lambda: self._phase is LeavePhase.ENDED)
        return self.progress()

    @workflow.update
    async def settled(self) -> LeaveProgress:
        """Answers once no takeover or hand-back is under way."""
        await workflow.wait_condition(lambda: self._phase not in _BUSY)
        return self.progress()

    @workflow.query(name="progress")
    def progress(self) -> LeaveProgress:
        wakes = {LeavePhase.UPCOMING: self._inp.starts_at, LeavePhase.CURRENT: self._inp.ends_at}
        return LeaveProgress(self._inp.leave_id, self._phase, wakes.get(self._phase))

    async def _back_before(self, at: datetime) -> bool:
        """Sleep until ``at``; True when A came back first."""
        delay = at - workflow.now()
        if delay > timedelta(0):
            with contextlib.suppress(TimeoutError):  # the day came
                await workflow.wait_condition(lambda: self._back, timeout=delay)
        return self._back

    async def _take_over(self) -> None:
        leave_id = self._inp.leave_id
        cases: list[str] = await workflow.execute_activity(
            "leave_cases",
            leave_id,
            result_type=list[str],
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
        )
        await _each([LeaveCase(leave_id, c, workflow.now()) for c in cases], "take_over_case")
        await _step("mark_leave_started", LeaveMark(leave_id, workflow.now()))

    async def _hand_back(self) -> None:
        leave_id = self._inp.leave_id
        held: list[HeldCase] = await workflow.execute_activity(
            "held_cases",
            leave_id,
            result_type=list[HeldCase],
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
        )
        now = workflow.now()
        await _each(
            [HandBack(leave_id, h.case_id, h.takeover_seq, now) for h in held], "hand_back_case"
        )
        await _step("mark_leave_ended", LeaveMark(leave_id, workflow.now()))


async def _step(activity: str, arg: object) -> None:
    await workflow.execute_activity(
        activity, arg, start_to_close_timeout=_TIMEOUT, retry_policy=_RETRY
    )


async def _each(args: Sequence[object], activity: str) -> None:
    """The activity once for each argument, ``PARALLEL`` at a time."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(arg: object) -> None:
        async with gate:
            await _step(activity, arg)

    await asyncio.gather(*(one(a) for a in args))
