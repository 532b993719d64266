"""The recount's side effects: which open cases a calendar change touches, and recounting one.

A case is touched when it was received by the change's last day and is due
(promised or legal limit) from its first day, both days as the center counts
them: in the center's time zone, whatever the database's session zone is.
"""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from projections.cases import try_write_answer
from projections.centers import center_of_case, has_bare_ids
from projections.db import LazyPool
from workflows.actions import ActionMeta, Recalculate
from workflows.case import CaseWorkflow
from workflows.client import ActionRejected, CaseClient, CaseClosed, CaseNotFound
from workflows.model import Status
from workflows.recount import AffectedCase, AffectedPage, AffectedQuery, RecountCase, RecountOutcome

log = structlog.get_logger(__name__)

# Each case's days are its center's, in that center's time zone; a closure's recount (its
# change id ends in "@<center>", ``centers.calendar``) is its center's cases only.
_AFFECTED = """
select c.case_id, c.last_seq from cases c
left join centers ce on ce.code = c.center_code
where c.status <> 'completed'
  and ($6::text is null or c.center_code = $6)
  and ($3::text is null or c.case_id > $3)
  and (c.received_at at time zone coalesce(ce.settings ->> 'timezone', $4))::date <= $2
  and (c.due_at is null
       or (greatest(c.due_at, c.legal_due_at)
           at time zone coalesce(ce.settings ->> 'timezone', $4))::date >= $1)
order by c.case_id
limit $5
"""


def change_center(change_id: str) -> str | None:
    """The center a calendar change is about: a closure's; None for a national notice."""
    _, at, center = change_id.rpartition("@")
    return center if at else None


class Recounter:
    def __init__(self, db: LazyPool, timezone: str) -> None:
        self._db, self._tz = db, timezone

    @activity.defn(name="affected_cases")
    async def affected_cases(self, q: AffectedQuery) -> AffectedPage:
        pool = await self._db.get()
        center = change_center(activity.info().workflow_id or "")
        rows = await pool.fetch(_AFFECTED, q.first, q.last, q.after, self._tz, q.limit, center)
        cases = [AffectedCase(r["case_id"], r["last_seq"]) for r in rows]
        return AffectedPage(cases, cases[-1].case_id if len(cases) == q.limit else None)

    @activity.defn(name="recount_case")
    async def recount_case(self, c: RecountCase) -> RecountOutcome:
        """Recalculate one case; ``closed`` when it was completed or is gone. A refusal for any
        other reason is not retried: the workflow records the case as failed."""
        pool = await self._db.get()
        center = await center_of_case(pool, c.case_id)
        if center is None:
            return RecountOutcome.CLOSED  # listed from the read model: never the case there
        cases = CaseClient(activity.client(), center, bare_ids=await has_bare_ids(pool, center))
        action = Recalculate(ActionMeta(c.actor), c.reason)
        try:
            state = await cases.act(
                c.case_id, CaseWorkflow.recalculate, action, update_id=f"{c.change_id}:recount"
            )
        except (CaseClosed, CaseNotFound):
            return RecountOutcome.CLOSED
        except ActionRejected as err:
            if (await cases.state(c.case_id)).status is Status.COMPLETED:
                return RecountOutcome.CLOSED  # completed, its workflow still finishing
            log.warning("recount.refused", case_id=c.case_id, code=err.code)
            raise ApplicationError(err.message, type=err.code, non_retryable=True) from None
        await try_write_answer(pool, state)
        if state.last_seq > c.last_seq:
            return RecountOutcome.RECALCULATED
        return RecountOutcome.UNCHANGED
