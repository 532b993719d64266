"""Shadow read models: rebuilt beside the live ones, then swapped in by renaming, atomically.

The shadow tables live in their own schema with the live tables' columns,
constraints and index names. A connection whose search path starts there
runs the projection's own ``apply_batch`` into them; the schema also holds a
``pg_notify`` that does nothing, so rebuilt alerts are not announced to live
listeners as new. The swap, in one transaction, first copies what the live
projection wrote while the rebuild ran (cases touched since it began), then
moves the live tables to ``projection_previous`` (kept until the next
rebuild, for comparison) and the shadow tables into ``public``. Readers keep
reading the old tables until that transaction commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from projections.db import Conn

SHADOW = "projection_shadow"
PREVIOUS = "projection_previous"
TABLES = ("cases", "case_events", "alerts")
SEARCH_PATH = f"{SHADOW}, pg_catalog"

_INDEXES = """
select i.oid, i.relname as name, pg_get_indexdef(i.oid) as def
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class t on t.oid = x.indrelid
join pg_namespace n on n.oid = t.relnamespace
where n.nspname = $1 and t.relname = $2
"""


async def create_shadow(conn: Conn) -> None:
    """Empty shadow tables shaped like the live ones, their indexes named alike."""
    await conn.execute(f"drop schema if exists {SHADOW} cascade")
    await conn.execute(f"create schema {SHADOW}")
    for table in TABLES:
        await conn.execute(f"create table {SHADOW}.{table} (like public.{table} including all)")
        await _name_indexes_alike(conn, table)
    await conn.execute(
        f"create function {SHADOW}.pg_notify(text, text) returns void"
        " language plpgsql as 'begin end'"
    )


async def _name_indexes_alike(conn: Conn, table: str) -> None:
    """``like … including all`` names indexes anew; later migrations name the originals."""
    live = {_shape(r["def"]): r["name"] for r in await conn.fetch(_INDEXES, "public", table)}
    for row in await conn.fetch(_INDEXES, SHADOW, table):
        original = live.get(_shape(row["def"]))
        if original is not None and original != row["name"]:
            constraint = await conn.fetchval(
                "select conname from pg_constraint where conindid = $1", row["oid"]
            )
            if constraint is not None:
                await conn.execute(
                    f"alter table {SHADOW}.{table} rename constraint {constraint} to {original}"
                )
            else:
                await conn.execute(f"alter index {SHADOW}.{row['name']} rename to {original}")


def _shape(indexdef: str) -> str:
    """An index definition without its name and schema."""
    return re.sub(r"INDEX \S+ ON (ONLY )?\S+\.", "INDEX ON ", indexdef)


@dataclass(frozen=True)
class CarriedOver:
    """Rows taken from the live tables at the swap."""

    touched: int  # cases the live projection wrote to while the rebuild ran
    unknown: list[str]  # cases with no history the rebuild could read: kept as they were


async def swap(conn: Conn, since: datetime) -> CarriedOver:
    """Carry over what the rebuild cannot know, then swap the tables, in one transaction."""
    async with conn.transaction():
        # Writers wait (a projection activity retries after); readers go on until commit.
        await conn.execute(
            "lock table public.cases, public.case_events, public.alerts in exclusive mode"
        )
        await conn.execute(
            "create temp table carried on commit drop as"
            " select case_id, projected_at >= $1 as touched from public.cases p"
            f" where projected_at >= $1 or not exists (select 1 from {SHADOW}.cases s"
            " where s.case_id = p.case_id)",
            since,
        )
        carried = "(select case_id from carried)"
        await conn.execute(
            f"insert into {SHADOW}.case_events select * from public.case_events"
            f" where case_id in {carried} on conflict do nothing"
        )
        await conn.execute(
            f"delete from {SHADOW}.cases s using public.cases p where s.case_id = p.case_id"
            f" and s.case_id in {carried} and p.last_seq > s.last_seq"
        )
        await conn.execute(
            f"insert into {SHADOW}.cases select * from public.cases"
            f" where case_id in {carried} on conflict do nothing"
        )
        # The carried cases' alerts as the live projection has them, and alerts of no case
        # (a missing holiday notice), which no history holds.
        await conn.execute(f"delete from {SHADOW}.alerts where case_id in {carried}")
        await conn.execute(
            f"insert into {SHADOW}.alerts select * from public.alerts"
            f" where case_id is null or case_id in {carried} on conflict do nothing"
        )
        touched = await conn.fetchval("select count(*) from carried where touched")
        unknown = await conn.fetch("select case_id from carried where not touched order by 1")
        await conn.execute(f"drop schema if exists {PREVIOUS} cascade")
        await conn.execute(f"create schema {PREVIOUS}")
        for table in TABLES:
            await conn.execute(f"alter table public.{table} set schema {PREVIOUS}")
            await conn.execute(f"alter table {SHADOW}.{table} set schema public")
        await conn.execute(f"drop schema {SHADOW} cascade")
    return CarriedOver(touched, [r["case_id"] for r in unknown])
