"""Rebuilding the read models from the archive and the live workflows, then swapping them in."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from banjian.archiver import archive_pending
from banjian.rebuild import rebuild_projections
from banjian.replay import replay_case
from tests.banjian.conftest import Center
from tests.workflows.harness import act, meta
from workflows.model import RequestMaterials, SupplyMaterials

_SNAPSHOT = {
    "cases": "select * from cases order by case_id",
    "case_events": "select * from case_events order by case_id, seq",
    "alerts": "select * from alerts order by alert_id",
}
_NAMES = """
select 'index ' || indexname from pg_indexes where schemaname = 'public'
  and tablename in ('cases', 'case_events', 'alerts')
union all
select 'constraint ' || conname from pg_constraint
  where conrelid in ('public.cases'::regclass, 'public.case_events'::regclass,
                     'public.alerts'::regclass)
order by 1
"""


async def _snapshot(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    tables = {}
    for table, sql in _SNAPSHOT.items():
        rows = [dict(r) for r in await pool.fetch(sql)]
        for row in rows:
            row.pop("projected_at", None)  # when it was written, not what
        tables[table] = rows
    return tables


async def test_a_rebuild_equals_the_live_projection_and_repairs_an_edited_row(
    center: Center,
) -> None:
    archived, closed = await center.start(), await center.start()
    await center.close(archived)
    await archive_pending(center.client, center.pool)
    await center.close(closed)
    paused = await center.start(materials=["id_card"])
    await act(paused, "request-materials", RequestMaterials(meta(), ["application_form"], ""))
    resumed = await center.start(materials=["id_card"])
    await act(resumed, "request-materials", RequestMaterials(meta(), ["application_form"], ""))
    await act(resumed, "supply-materials", SupplyMaterials(meta(), ["application_form"]))
    for h in (archived, closed, paused, resumed):
        await center.projected(h)
    # An alert of no case (a missing holiday notice) is in no history: it must survive.
    await center.pool.execute(
        "insert into alerts (alert_id, kind, level, raised_at)"
        " values ('notice-2099', 'notice_missing', 'ops', now())"
    )
    live = await _snapshot(center.pool)
    names = await center.pool.fetch(_NAMES)
    await center.pool.execute(
        "update case_events set actor = 'mallory' where case_id = $1 and seq = 2", resumed.id
    )

    seen: list[tuple[int, int]] = []
    summary = await rebuild_projections(
        center.client, center.dsn, center.queue, lambda done, total: seen.append((done, total))
    )

    assert await _snapshot(center.pool) == live
    assert await center.pool.fetch(_NAMES) == names
    assert summary.from_archive >= 1 and summary.from_temporal >= 3
    assert summary.lag == 0 and summary.carried is not None and summary.carried.unknown == []
    assert seen[-1] == (summary.from_archive + summary.from_temporal,) * 2
    assert "rebuilt" in summary.as_text()
    report = await replay_case(center.client, center.pool, resumed.id, ZoneInfo("Asia/Shanghai"))
    assert report.consistent, report.as_text()


async def test_the_live_projection_keeps_writing_into_the_rebuilt_tables(center: Center) -> None:
    await rebuild_projections(center.client, center.dsn, center.queue)
    h = await center.start()
    await center.close(h)
    await center.projected(h)
    types = [
        r["type"]
        for r in await center.pool.fetch(
            "select type from case_events where case_id = $1 order by seq", h.id
        )
    ]
    assert types == ["case.received", "review.started", "case.completed"]
