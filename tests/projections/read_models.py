"""Every read model ``apply_batch`` writes, read whole from one schema, for tests comparing two."""

from __future__ import annotations

from typing import Any

import asyncpg

from projections.db import Conn
from projections.scores import SYSTEM
from projections.tables import TABLES

Rows = dict[str, list[dict[str, Any]]]


async def read_models(conn: Conn | asyncpg.Pool, schema: str = "public") -> Rows:
    """Each table's rows, in an order of their own, without when and in what order they were
    written: a deduction the projection recorded keeps its kind, day and case, not its id, and
    the dashboard's rollups leave out their rows at zero. Those count nothing, and which exist
    depends on the batches a case came in: one per action (its answer) or one at its close."""
    tables: Rows = {}
    for table in TABLES:
        rows = [dict(r) for r in await conn.fetch(f"select * from {schema}.{table}")]
        rows = [r for r in rows if not (table.startswith("dash_") and r.get("n") == 0)]
        for row in rows:
            row.pop("projected_at", None)
            if row.get("recorded_by") == SYSTEM:
                del row["id"], row["recorded_at"]
        tables[table] = sorted(rows, key=repr)
    return tables
