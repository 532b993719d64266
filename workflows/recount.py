"""The recount after a calendar change: every open case it may touch counts its limits again.

A holiday notice or a closure, once committed, starts one recount whose workflow
id is the change's id, so a change retried or applied twice is recounted once.
The recount reads the affected open cases a page at a time (an activity), sends
each ``recalculate`` (an activity per case, so a case is retried on its own),
and keeps its progress for anyone following it (``progress``). A case closed
meanwhile is counted as closed, not as a failure; a case whose recount still
fails after its retries is named in ``failed``, and the recount goes on. Long
recounts continue as new every few pages, carrying their progress.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.model import Actor

PAGE = 200
PAGES_PER_RUN = 5
PARALLEL = 16
# Reading the read model waits out a PostgreSQL outage; one case is tried for a few minutes.
_READ_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=0)
_CASE_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10)
_TIMEOUT = timedelta(minutes=1)


class RecountOutcome(StrEnum):
    RECALCULATED = "recalculated"  # a limit moved: the case recorded deadline.recalculated
    UNCHANGED = "unchanged"
    CLOSED = "closed"  # completed (or gone) before its turn came


@dataclass(frozen=True)
class AffectedQuery:
    """A page of the open cases received by ``last`` and due from ``first``, after a case id."""

    first: date
    last: date
    after: str | None
    limit: int


@dataclass(frozen=True)
class AffectedCase:
    case_id: str
    last_seq: int


@dataclass(frozen=True)
class AffectedPage:
    cases: list[AffectedCase]
    after: str | None  # where the next page starts; None on the last page


@dataclass(frozen=True)
class RecountCase:
    change_id: str
    case_id: str
    last_seq: int  # as the read model had it when the case was listed
    reason: str
    actor: Actor


@dataclass
class RecountProgress:
    change_id: str
    first: date
    last: date
    done: bool = False
    cases: int = 0  # open cases found so far
    recalculated: int = 0
    unchanged: int = 0
    closed: int = 0
    failed: list[str] = field(default_factory=list)  # case ids, after their retries

    @property
    def recounted(self) -> int:
        return self.recalculated + self.unchanged + self.closed + len(self.failed)


@dataclass(frozen=True)
class RecountInput:
    change_id: str
    first: date
    last: date
    reason: str
    actor: Actor
    # Carried when the recount continues as new.
    progress: RecountProgress | None = None
    after: str | None = None


@workflow.defn(name="RecountWorkflow")
class RecountWorkflow:
    @workflow.init
    def __init__(self, inp: RecountInput) -> None:
        self._progress = inp.progress or RecountProgress(inp.change_id, inp.first, inp.last)

    @workflow.run
    async def run(self, inp: RecountInput) -> RecountProgress:
        after = inp.after
        for _ in range(PAGES_PER_RUN):
            page: AffectedPage = await workflow.execute_activity(
                "affected_cases",
                AffectedQuery(inp.first, inp.last, after, PAGE),
                result_type=AffectedPage,
                start_to_close_timeout=_TIMEOUT,
                retry_policy=_READ_RETRY,
            )
            self._progress.cases += len(page.cases)
            gate = asyncio.Semaphore(PARALLEL)
            await asyncio.gather(*(self._recount(inp, c, gate) for c in page.cases))
            if page.after is None:
                self._progress.done = True
                return self._progress
            after = page.after
        workflow.continue_as_new(replace(inp, progress=self._progress, after=after))

    @workflow.query(name="progress")
    def progress(self) -> RecountProgress:
        return self._progress

    async def _recount(
        self, inp: RecountInput, case: AffectedCase, gate: asyncio.Semaphore
    ) -> None:
        async with gate:
            try:
                outcome: RecountOutcome = await workflow.execute_activity(
                    "recount_case",
                    RecountCase(inp.change_id, case.case_id, case.last_seq, inp.reason, inp.actor),
                    result_type=RecountOutcome,
                    start_to_close_timeout=_TIMEOUT,
                    retry_policy=_CASE_RETRY,
                )
            except ActivityError:
                self._progress.failed.append(case.case_id)
                return
        p = self._progress
        if outcome is RecountOutcome.RECALCULATED:
            p.recalculated += 1
        elif outcome is RecountOutcome.UNCHANGED:
            p.unchanged += 1
        else:
            p.closed += 1
