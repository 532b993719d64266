"""Shadow read models: rebuilt beside the live ones, then swapped in by renaming, atomically.

The shadow tables (every table ``apply_batch`` writes, ``projections.tables``)
live in their own schema with the live tables' columns, constraints and index
names. A connection whose search path starts there runs the projection's own
``apply_batch`` into them, reading what it only reads (the calendar) from
``public``; the schema also holds a ``pg_notify`` that does nothing, so rebuilt
alerts are not announced to live listeners as new. The swap, in one
transaction, first carries over what the rebuild cannot know: the rows of the
cases the live projection wrote to while the rebuild ran (or that have no
readable history), with the dashboard's rollups following them, and the rows
no event writes (an alert of no case, a deduction entered by the director).
It then moves the live tables to ``projection_previous`` (kept until the next
rebuild, for comparison) and the shadow tables into ``public``. Readers keep
reading the old tables until that transaction commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from projections.dashboard import move_contributions
from projections.db import Conn
from projections.tables import NOT_FROM_EVENTS, PER_CASE, TABLES

SHADOW = "projection_shadow"
PREVIOUS = "projection_previous"
SEARCH_PATH = f"{SHADOW}, public, pg_catalog"

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
            f"lock table {', '.join(f'public.{t}' for t in TABLES)} in exclusive mode"
        )
        await conn.execute(
            "create temp table carried on commit drop as"
            " select case_id, projected_at >= $1 as touched from public.cases p"
            f" where projected_at >= $1 or not exists (select 1 from {SHADOW}.cases s"
            " where s.case_id = p.case_id)",
            since,
        )
        await _carry_over(conn)
        touched = await conn.fetchval("select count(*) from carried where touched")
        unknown = await conn.fetch("select case_id from carried where not touched order by 1")
        await conn.execute(f"drop schema if exists {PREVIOUS} cascade")
        await conn.execute(f"create schema {PREVIOUS}")
        for table in TABLES:
            owned = await conn.fetch(_OWNED_SEQUENCES, f"public.{table}")
            for seq in owned:
                await conn.execute(f"alter sequence public.{seq['name']} owned by none")
            await conn.execute(f"alter table public.{table} set schema {PREVIOUS}")
            await conn.execute(f"alter table {SHADOW}.{table} set schema public")
            for seq in owned:
                await conn.execute(
                    f"alter sequence public.{seq['name']} owned by public.{table}.{seq['col']}"
                )
        await conn.execute(f"drop schema {SHADOW} cascade")
    return CarriedOver(touched, [r["case_id"] for r in unknown])


async def _carry_over(conn: Conn) -> None:
    """The carried cases' rows as the live projection has them, and the rows of no event."""
    carried = "(select case_id from carried)"
    # Every name below is qualified but the rollups', which are the shadow's.
    await conn.execute(f"set local search_path = {SEARCH_PATH}")
    # The rollups first, while the shadow still has its own rows of those cases.
    await move_contributions(
        conn,
        await conn.fetch(f"select * from {SHADOW}.dash_cases where case_id in {carried}"),
        await conn.fetch(f"select * from public.dash_cases where case_id in {carried}"),
    )
    for table in PER_CASE:
        from_events = f"not ({NOT_FROM_EVENTS.get(table, 'false')})"
        await conn.execute(
            f"delete from {SHADOW}.{table} where case_id in {carried} and {from_events}"
        )
        await conn.execute(
            f"insert into {SHADOW}.{table} select * from public.{table}"
            f" where case_id in {carried} and {from_events}"
        )
    for table, not_from_events in NOT_FROM_EVENTS.items():
        await conn.execute(
            f"insert into {SHADOW}.{table} select * from public.{table} where {not_from_events}"
        )


# A serial column's sequence moves with its table: it is kept in ``public`` for the new one.
_OWNED_SEQUENCES = """
select s.relname as name, a.attname as col
from pg_depend d
join pg_class s on s.oid = d.objid and s.relkind = 'S'
join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
where d.refobjid = $1::regclass and d.deptype = 'a'
"""
