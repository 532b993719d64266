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

import contextlib
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError
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


def case_workflow_id(center: str, case_id: str) -> str:
    """A case's workflow id: ``<center>/<case id>``; the bare case id for the cases received
    before centers shared a deployment (their calendar names no center)."""
    return f"{center}/{case_id}" if center else case_id


class CaseClient:
    """The cases of one center. Its workflow ids carry the center, so another center's case
    id names no workflow here: ``CaseNotFound``. With ``bare_ids``, a case whose prefixed
    workflow is not found is looked for under its bare id (the center held the deployment's
    cases before centers shared it). With ``center_attribute``, a case is started with its
    center as the ``BanjianCenter`` search attribute (the server must know it: the dev server
    and a production namespace do, the time-skipping test server does not)."""

    def __init__(
        self,
        client: Client,
        center: str,
        *,
        bare_ids: bool = False,
        center_attribute: bool = False,
    ) -> None:
        self._client = client
        self._center = center
        self._bare_ids = bare_ids
        self._attribute = center_attribute
        self._found: dict[str, str] = {}

    async def handle(self, case_id: str) -> WorkflowHandle[CaseWorkflow, CaseState]:
        workflow_id = self._found.get(case_id) or case_workflow_id(self._center, case_id)
        if self._bare_ids and case_id not in self._found:
            try:
                await self._client.get_workflow_handle(workflow_id).describe()
            except RPCError as err:
                if err.status not in _MISSING:
                    raise
                workflow_id = case_id
            self._found[case_id] = workflow_id
        return self._client.get_workflow_handle_for(CaseWorkflow.run, workflow_id)

    async def receive(self, inp: CaseInput, task_queue: str) -> CaseState:
        """Start the case's workflow and answer its state once intake is done (the limits
        counted), in one request: the intake update rides with the start, so the workflow's
        first task receives the case. A retry finds the running case, started before with
        this id, and answers its state. ``CaseClosed`` when that case is closed already."""
        start = WithStartWorkflowOperation(
            CaseWorkflow.run,
            inp,
            id=case_workflow_id(self._center, inp.case_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=(
                center_attributes(self._center) if self._attribute and self._center else None
            ),
        )
        try:
            state: CaseState = await self._client.execute_update_with_start_workflow(
                _INTAKE, start_workflow_operation=start, id="intake"
            )
        except RPCError as err:
            if err.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
            raise CaseClosed(inp.case_id) from None
        finally:
            # The operation keeps the start's outcome for a handle nobody asks for here; read
            # it, so a failed start is not reported again as a future never retrieved.
            with contextlib.suppress(BaseException):
                await start.workflow_handle()
        return state

    async def act(
        self, case_id: str, update: Update[Arg], arg: Arg, *, update_id: str | None = None
    ) -> CaseState:
        """Send the action; the state once the workflow has decided it."""
        handle: WorkflowHandle[Any, CaseState] = await self.handle(case_id)
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
            return await (await self.handle(case_id)).query(
                CaseWorkflow.state, rpc_timeout=rpc_timeout
            )
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def events(self, case_id: str, *, rpc_timeout: timedelta | None = None) -> list[Event]:
        try:
            return await (await self.handle(case_id)).query(
                CaseWorkflow.events, rpc_timeout=rpc_timeout
            )
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def pending(self, case_id: str) -> Pending:
        try:
            return await (await self.handle(case_id)).query(CaseWorkflow.pending)
        except RPCError as err:
            raise _missing_or(case_id, err) from None

    async def projection_lag(self, case_id: str, *, rpc_timeout: timedelta | None = None) -> int:
        try:
            return await (await self.handle(case_id)).query(
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


# The Keyword search attribute naming a case's center, registered on the dev server
# (``banjian.embedded.temporal``) and on a production namespace (README, "Many centers").
CENTER_ATTRIBUTE = SearchAttributeKey.for_keyword("BanjianCenter")


def center_attributes(center: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(CENTER_ATTRIBUTE, center)])


def _missing_or(case_id: str, err: RPCError) -> Exception:
    return CaseNotFound(case_id) if err.status in _MISSING else err
