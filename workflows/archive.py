"""An archive round: every completed case whose workflow has closed goes onto the archive's chain.

A Temporal Schedule starts one round a minute (``ops.archive``). A round walks
the cases waiting to be archived a page at a time, oldest completion first, and
never stops at one it cannot archive (its workflow still running, its history
gone, a history that does not read): that case is skipped with the reason, and
the round goes on to the next; the next round tries it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

PAGE = 100
# A round's answer names this many skipped cases at most (each is logged by the activity).
KEPT_REASONS = 100
_PAGE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=5)


@dataclass(frozen=True)
class ArchiveCursor:
    """Where a page ends: the waiting cases come in (completed_at, case_id) order."""

    completed_at: datetime
    case_id: str


@dataclass(frozen=True)
class ArchivePageRequest:
    after: ArchiveCursor | None
    limit: int


@dataclass(frozen=True)
class Skipped:
    case_id: str
    why: str


@dataclass(frozen=True)
class ArchivePage:
    archived: list[str]
    skipped: list[Skipped]
    next: ArchiveCursor | None  # None on the last page


@dataclass(frozen=True)
class ArchiveRound:
    archived: int
    skipped: int
    reasons: list[Skipped]  # the first KEPT_REASONS of them


@workflow.defn(name="ArchiveWorkflow")
class ArchiveWorkflow:
    @workflow.run
    async def run(self) -> ArchiveRound:
        archived, skipped = 0, []
        after: ArchiveCursor | None = None
        while True:
            page: ArchivePage = await workflow.execute_activity(
                "archive_page",
                ArchivePageRequest(after, PAGE),
                result_type=ArchivePage,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=_PAGE_RETRY,
            )
            archived += len(page.archived)
            skipped += page.skipped
            if page.next is None:
                return ArchiveRound(archived, len(skipped), skipped[:KEPT_REASONS])
            after = page.next
