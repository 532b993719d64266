"""The recount's side effects: which open cases a calendar change touches, and recounting one.

A case is touched when it was received by the change's last day and is due
(promised or legal limit) from its first day, both days as the center counts
them: in the center's time zone, whatever the database's session zone is.
"""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from projections.db import LazyPool
from workflows.actions import ActionMeta, Recalculate
from workflows.case import CaseWorkflow
from workflows.client import ActionRejected, CaseClient, CaseClosed, CaseNotFound
from workflows.model import Status
from workflows.recount import AffectedCase, AffectedPage, AffectedQuery, RecountCase, RecountOutcome

log = structlog.get_logger(__name__)

_AFFECTED = """
select case_id, last_seq from cases
where status <> 'completed'
  and ($3::text is null or case_id > $3)
  and (received_at at time zone $4)::date <= $2
  and (due_at is null or (greatest(due_at, legal_due_at) at time zone $4)::date >= $1)
order by case_id
limit $5
"""


class Recounter:
    def __init__(self, db: LazyPool, timezone: str) -> None:
        self._db, self._tz = db, timezone

    @activity.defn(name="affected_cases")
    async def affected_cases(self, q: AffectedQuery) -> AffectedPage:
        pool = await self._db.get()
        rows = await pool.fetch(_AFFECTED, q.first, q.last, q.after, self._tz, q.limit)
        cases = [AffectedCase(r["case_id"], r["last_seq"]) for r in rows]
        return AffectedPage(cases, cases[-1].case_id if len(cases) == q.limit else None)

    @activity.defn(name="recount_case")
    async def recount_case(self, c: RecountCase) -> RecountOutcome:
        """Recalculate one case; ``closed`` when it was completed or is gone. A refusal for any
        other reason is not retried: the workflow records the case as failed."""
        cases = CaseClient(activity.client())
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
        if state.last_seq > c.last_seq:
            return RecountOutcome.RECALCULATED
        return RecountOutcome.UNCHANGED
