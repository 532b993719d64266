"""The archive round's side effect: archiving one page of the cases waiting for it."""

from __future__ import annotations

from temporalio import activity

from ops.archive import archive_page
from projections.db import LazyPool
from workflows.archive import ArchivePage, ArchivePageRequest


class Archivist:
    def __init__(self, db: LazyPool) -> None:
        self._db = db

    @activity.defn(name="archive_page")
    async def archive_page(self, req: ArchivePageRequest) -> ArchivePage:
        return await archive_page(activity.client(), await self._db.get(), req.after, req.limit)
