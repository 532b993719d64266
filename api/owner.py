"""Whose a complaint's or a rectification's workflow is.

A case's workflow id carries its center (``workflows.client.case_workflow_id``); a
complaint's and a rectification's do not, so the API makes sure of the owner before it reads
or acts on one through Temporal: the read model's row, or, before the row is projected, the
center the API wrote in the workflow's memo when it started it. Another center's is not
found, never shown.
"""

from __future__ import annotations

from typing import Literal

from temporalio.service import RPCError, RPCStatusCode

from api.context import AppContext
from api.errors import not_found

# The memo key the API starts these workflows with.
CENTER_MEMO = "center"

Owned = Literal["complaint", "rectification"]
_TABLES: dict[Owned, str] = {"complaint": "complaints", "rectification": "rectifications"}


def center_memo(ctx: AppContext) -> dict[str, str]:
    """The memo a new complaint or rectification workflow is started with."""
    return {CENTER_MEMO: ctx.center}


async def ensure_owned(ctx: AppContext, what: Owned, workflow_id: str) -> None:
    """``404 <what>_not_found`` unless the workflow is the current center's."""
    owner: str | None = await ctx.pool.fetchval(
        f"select center_code from {_TABLES[what]} where id = $1", workflow_id
    )
    if owner is None:
        try:
            described = await ctx.client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise not_found(what, workflow_id) from None
            raise
        memo = await described.memo()
        owner = memo.get(CENTER_MEMO)
        if owner is None and ctx.directory.bare_workflow_ids:
            owner = ctx.center  # started before centers shared the deployment: the old one's
    if owner != ctx.center:
        raise not_found(what, workflow_id)
