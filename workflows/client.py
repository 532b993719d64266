"""The one way other code talks to a case's workflow: typed updates and queries, named errors.

The API, the CLI and the activities of the leave and recount workflows send
``CaseWorkflow``'s own methods (``cases.act(case_id, CaseWorkflow.recalculate,
...)``), never update or query names, and read one set of errors: the workflow
refused the action (``ActionRejected``, with the workflow's code), the case is
closed (``CaseClosed``), or Temporal has no such case (``CaseNotFound``).
Anything else (Temporal down, a timeout) is Temporal's own error, raised as is.
Workflow code never imports this module: it is the clients' side.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from workflows.case import CaseWorkflow
from workflows.model import CaseInput, CaseState, Event, Pending, Status

Arg = TypeVar("Arg")
# A staff action: one of CaseWorkflow's updates (each defined on the mixin named for its
# idea, hence ``Any`` for the class), taking its action's dataclass, answering the state.
Update = workflow.UpdateMethodMultiParam[[Any, Arg], Any]
_INTAKE: workflow.UpdateMethodMultiParam[[Any], Any] = CaseWorkflow.intake

# The errors Temporal answers when a workflow id names no workflow it can reach.
_MISSING = (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)


class CaseNotFound(LookupError):
    """Temporal has no workflow for this case id."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} not found")
        self.case_id = case_id


class CaseClosed(Exception):
    """The case is completed: its workflow takes no more actions."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} is completed")
        self.case_id = case_id


class ActionRejected(Exception):
    """The workflow's validator refused the action, with one of the contract's codes."""

    def __init__(self, case_id: str, code: str, message: str) -> None:
        super().__init__(message)
        self.case_id, self.code, self.message = case_id, code, message


class CaseClient:
    def __init__(self, client: Client) -> None:
        self._client = client

    def handle(self, case_id: str) -> WorkflowHandle[CaseWorkflow, CaseState]:
        return self._client.get_workflow_handle_for(CaseWorkflow.run, case_id)

    async def start(self, inp: CaseInput, task_queue: str) -> bool:
        """Start the case's workflow; False when one was started with this id before."""
        try:
            await self._client.start_workflow(
                CaseWorkflow.run,
                inp,
                id=inp.case_id,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def intake(self, case_id: str) -> CaseState:
        """The state once intake is done (the limits counted); records nothing."""
        handle: WorkflowHandle[Any, CaseState] = self.handle(case_id)
        try:
            state: CaseState = await handle.execute_update(_INTAKE, id="intake")
        except RPCError as err:
            raise await self._closed_or_missing(case_id, err) from None
        return state

    async def act(
        self, case_id: str, update: Update[Arg], arg: Arg, *, update_id: str | None = None
    ) -> CaseState:
        """Send the action; the state once the workflow has decided it."""
        handle: WorkflowHandle[Any, CaseState] = self.handle(case_id)
        try:
            state: CaseState = await handle.execute_update(update, arg, id=update_id)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type is not None:
                raise ActionRejected(case_id, cause.type, cause.message) from None
            raise
        except RPCError as err:
            raise await self._closed_or_missing(case_id, err) from None
        return state

    async def state(self, case_id: str, *, rpc_timeout: timedelta | None = None) -> CaseState:
        try:
            return await self.handle(case_id).query(CaseWorkflow.state, rpc_timeout=rpc_timeout)
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def events(self, case_id: str, *, rpc_timeout: timedelta | None = None) -> list[Event]:
        try:
            return await self.handle(case_id).query(CaseWorkflow.events, rpc_timeout=rpc_timeout)
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def pending(self, case_id: str) -> Pending:
        try:
            return await self.handle(case_id).query(CaseWorkflow.pending)
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def projection_lag(self, case_id: str, *, rpc_timeout: timedelta | None = None) -> int:
        try:
            return await self.handle(case_id).query(
                CaseWorkflow.projection_lag, rpc_timeout=rpc_timeout
            )
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def _closed_or_missing(self, case_id: str, err: RPCError) -> Exception:
        """Why an update found no running workflow: the case closed, or was never there."""
        if err.status == RPCStatusCode.UNAVAILABLE:
            return err  # Temporal is down: nothing to ask it
        state = await self.state(case_id)  # raises CaseNotFound when there is no case
        return CaseClosed(case_id) if state.status is Status.COMPLETED else err


def _missing_or(case_id: str, err: RPCError) -> Exception:
    return CaseNotFound(case_id) if err.status in _MISSING else err
