"""Archiving: completed cases whose workflow has closed go to the archive, on its hash chain.

The worker keeps a Temporal Schedule (``ensure_archive_schedule``) that starts an
archive round (``workflows.archive``) every minute; ``banjian archive now`` runs
one at once (``archive_pending``). Either walks every case the read model shows
as completed and not archived, a page at a time, and skips, with its reason, a
case it cannot archive yet or at all, so no such case holds back the ones
after it. Appending is idempotent and serialised by an advisory lock
(``projections.archive``), so two rounds may meet without harm.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import structlog
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    WorkflowExecutionStatus,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ops.history import decode, events_json, history_json, workflow_id_of
from projections.archive import append
from projections.db import LazyPool
from workflows.archive import (
    PAGE,
    ArchiveCursor,
    ArchivePage,
    ArchivePageRequest,
    ArchiveWorkflow,
    Skipped,
)

log = structlog.get_logger(__name__)

ARCHIVE_EVERY = timedelta(minutes=1)
# Failures of the servers themselves: the page is tried again (its activity is retried),
# rather than every case on it skipped.
_OUTAGES = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)
_WAITING = """
select c.case_id, coalesce(c.completed_at, '-infinity') as completed_at from cases c
where c.status = 'completed'
  and not exists (select 1 from case_archive a where a.case_id = c.case_id)
  and ($1::timestamptz is null or (coalesce(c.completed_at, '-infinity'), c.case_id) > ($1, $2))
order by 2, c.case_id
limit $3
"""


async def archive_case(client: Client, pool: asyncpg.Pool, case_id: str) -> str | None:
    """Archive one case; None when it went onto the chain, else why it could not (yet)."""
    handle = client.get_workflow_handle(await workflow_id_of(client, pool, case_id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return "Temporal no longer has its history"
    if description.status in (None, WorkflowExecutionStatus.RUNNING):
        return "its workflow is still running"
    history = await handle.fetch_history()
    record = await decode(case_id, history, client.data_converter)
    state = record.state
    closed_at: datetime | None = state.completed_at if state is not None else None
    closed_at = closed_at or description.close_time
    if closed_at is None:
        return "its workflow has no closing time"
    entry = await append(
        pool, case_id, closed_at, history_json(history), events_json(record.events)
    )
    if entry is None:
        return "archived meanwhile by another round"
    log.info(
        "archive.appended", case_id=case_id, position=entry.position, chain_hash=entry.chain_hash
    )
    return None


async def archive_page(
    client: Client, pool: asyncpg.Pool, after: ArchiveCursor | None, limit: int = PAGE
) -> ArchivePage:
    """Archive the next ``limit`` waiting cases after ``after``; each one that cannot be is
    skipped with its reason."""
    rows = await pool.fetch(
        _WAITING, after.completed_at if after else None, after.case_id if after else None, limit
    )
    archived: list[str] = []
    skipped: list[Skipped] = []
    for row in rows:
        case_id = row["case_id"]
        try:
            why = await archive_case(client, pool, case_id)
        except _OUTAGES:
            raise
        except RPCError as err:
            if err.status == RPCStatusCode.UNAVAILABLE:
                raise
            why = f"Temporal answered {err.status.name if err.status else 'an error'}"
        except Exception as err:  # one case's history must not hold back the others
            why = f"its history could not be archived ({type(err).__name__})"
        if why is None:
            archived.append(case_id)
        else:
            skipped.append(Skipped(case_id, why))
            log.info("archive.skipped", case_id=case_id, why=why)
    last = rows[-1] if len(rows) == limit else None
    cursor = ArchiveCursor(last["completed_at"], last["case_id"]) if last is not None else None
    return ArchivePage(archived, skipped, cursor)


async def archive_pending(client: Client, pool: asyncpg.Pool, page: int = PAGE) -> list[str]:
    """One archive round, here and now: the ids archived, in order."""
    archived: list[str] = []
    after: ArchiveCursor | None = None
    while True:
        done = await archive_page(client, pool, after, page)
        archived += done.archived
        if done.next is None:
            return archived
        after = done.next


def archive_schedule_id(task_queue: str) -> str:
    return f"archive-{task_queue}"


async def ensure_archive_schedule(client: Client, task_queue: str) -> None:
    """Keep a Schedule that starts an archive round every ``ARCHIVE_EVERY`` on ``task_queue``,
    one round at a time; creating it again when it exists changes nothing."""
    schedule_id = archive_schedule_id(task_queue)
    try:
        await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    ArchiveWorkflow.run, id=schedule_id, task_queue=task_queue
                ),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=ARCHIVE_EVERY)]),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        return
    log.info("archive.scheduled", schedule_id=schedule_id, every=str(ARCHIVE_EVERY))


async def start_archive_round(client: Client, task_queue: str, round_id: str) -> None:
    """Start one archive round now, unless a round with this id was started before."""
    try:
        await client.start_workflow(ArchiveWorkflow.run, id=round_id, task_queue=task_queue)
    except WorkflowAlreadyStartedError:
        return


class Archivist:
    """The archive round's activity: archiving one page of the cases waiting for it."""

    def __init__(self, db: LazyPool) -> None:
        self._db = db

    @activity.defn(name="archive_page")
    async def archive_page(self, req: ArchivePageRequest) -> ArchivePage:
        return await archive_page(activity.client(), await self._db.get(), req.after, req.limit)
