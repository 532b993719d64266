"""Check a case's read model against what its workflow decided.

The decided batches are applied, with the projection's own ``apply_batch``,
to temporary copies of every table it writes (``projections.tables``) inside
a transaction that is rolled back (so nothing is kept, no alert is announced
and no live row is locked); then the case's rows in ``cases``,
``case_events`` and ``alerts`` and the live ones are compared column by
column. A column added to the read model later is compared without a change
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from projections.cases import apply_batch
from projections.db import Conn
from projections.tables import NOT_FROM_EVENTS, TABLES
from workflows.model import Event, ProjectionBatch

_EVENT_FIELDS = ("type", "at", "actor", "data", "schema_version")
# Written by the database at projection time, not decided by the workflow.
_UNDECIDED = {"projected_at"}


@dataclass(frozen=True)
class Difference:
    """``kind`` is ``missing_<what>``, ``extra_<what>`` or ``altered_<what>``, with
    ``<what>`` one of ``event``, ``case``, ``alert``; ``field`` names an altered column."""

    kind: str
    key: str
    field: str | None = None
    expected: Any = None
    actual: Any = None


async def compare_case(
    conn: Conn,
    case_id: str,
    projected: list[ProjectionBatch],
    unconfirmed: list[ProjectionBatch],
    decided: list[Event],
) -> list[Difference]:
    """``projected``: batches the read model acknowledged; ``unconfirmed``: batches handed
    out but not acknowledged when the history was read (they may have landed since)."""
    live_case = await conn.fetchrow("select * from public.cases where case_id = $1", case_id)
    live_seq = live_case["last_seq"] if live_case is not None else 0
    # A batch may land between reading the history and reading the read model.
    landed = [b for b in unconfirmed if b.events[-1].seq <= live_seq]
    tr = conn.transaction()
    await tr.start()
    try:
        for table in TABLES:
            await conn.execute(
                f"create temp table {table} (like public.{table} including all) on commit drop"
            )
        for batch in [*projected, *landed]:
            await apply_batch(conn, batch)
        expected = {
            t: await _rows(conn, f"pg_temp.{t}", case_id) for t in ("case_events", "alerts")
        }
        expected_case = await conn.fetchrow(
            "select * from pg_temp.cases where case_id = $1", case_id
        )
    finally:
        await tr.rollback()
    live = {t: await _rows(conn, f"public.{t}", case_id) for t in ("case_events", "alerts")}
    diffs = _events(expected["case_events"], live["case_events"], {e.seq: e for e in decided})
    diffs += _table("alert", "alert_id", expected["alerts"], live["alerts"])
    diffs += _case(expected_case, live_case)
    return diffs


async def _rows(conn: Conn, table: str, case_id: str) -> list[asyncpg.Record]:
    """The case's rows that its events write (not a rectification's alerts, say)."""
    not_from_events = NOT_FROM_EVENTS.get(table.rpartition(".")[2], "false")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"select * from {table} where case_id = $1 and not ({not_from_events})", case_id
    )
    return rows


def _events(
    expected: list[asyncpg.Record], live: list[asyncpg.Record], decided: dict[int, Event]
) -> list[Difference]:
    diffs = _table("event", "seq", expected, live, unexpected_ok=lambda r: _as_decided(r, decided))
    return sorted(diffs, key=lambda d: int(d.key))


def _as_decided(row: asyncpg.Record, decided: dict[int, Event]) -> bool:
    """A row projected after the history was read: fine if the workflow decided exactly it."""
    e = decided.get(row["seq"])
    if e is None:
        return False
    return (e.type, e.at, e.actor, e.data, e.schema_version) == tuple(row[f] for f in _EVENT_FIELDS)


def _table(
    what: str,
    key: str,
    expected: list[asyncpg.Record],
    live: list[asyncpg.Record],
    unexpected_ok: Any = None,
) -> list[Difference]:
    want = {str(r[key]): r for r in expected}
    have = {str(r[key]): r for r in live}
    diffs = [Difference(f"missing_{what}", k, expected=dict(want[k])) for k in want.keys() - have]
    for k in have.keys() - want:
        if unexpected_ok is None or not unexpected_ok(have[k]):
            diffs.append(Difference(f"extra_{what}", k, actual=dict(have[k])))
    for k in want.keys() & have:
        diffs += _fields(f"altered_{what}", k, want[k], have[k])
    return diffs


def _case(expected: asyncpg.Record | None, live: asyncpg.Record | None) -> list[Difference]:
    if expected is None and live is None:
        return []
    if live is None:
        assert expected is not None
        return [Difference("missing_case", expected["case_id"])]
    if expected is None:
        return [Difference("extra_case", live["case_id"])]
    return _fields("altered_case", expected["case_id"], expected, live)


def _fields(kind: str, key: str, want: asyncpg.Record, have: asyncpg.Record) -> list[Difference]:
    w, h = dict(want), dict(have)
    return [
        Difference(kind, key, column, w[column], h.get(column))
        for column in w
        if column not in _UNDECIDED and w[column] != h.get(column)
    ]
