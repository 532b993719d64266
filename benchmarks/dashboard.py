"""The dashboard's queries at a million cases in 200 centers: the rollups against scanning.

A million synthetic cases over three years, spread over 200 centers (5,000 each; 8 windows,
24 clerks a center; most completed, some open, overdue or warned), with their alerts and
score deductions, are written straight into the tables, and the rollups are built from them
with the same grouping the projection maintains. A center's director reads one center; the
province reads every center, and a line per center. Each query the
dashboard makes is then timed (median of repeated runs, after a warm-up),
next to the baseline a plain read model would use: the same figures computed
by scanning the cases (``dash_cases``, one narrow row per case, so the baseline
is if anything favoured). Nothing is asserted: the figures are printed, with
the ratio of the baseline's time to the query's.
"""

from __future__ import annotations

import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import asyncpg

from api.metrics import read_figures
from banjian.embedded import EmbeddedPostgres, free_port
from benchmarks.projection import machine
from projections import figures, scores
from projections.db import create_pool
from projections.figures import Span
from projections.migrate import migrate

CASES = 1_000_000
CENTERS = 200
CENTER = "C001"  # the center whose director reads the dashboard
REPEATS = 15
WINDOWS = ["minzheng", "shebao", "weijian", "canlian", "guotu", "laodong", "nongye", "zonghe"]

_CASES = """
insert into cases (case_id, service_code, service_name, window_code, kind, status, outcome, urgent,
    received_at, due_at, warn_at, paused, suspended, overdue, warned, assignee, first_receiver,
    applicant_name, applicant_id_number, applicant_phone, materials, materials_missing, signoffs,
    completed_at, last_seq, legal_due_at, center_code)
select 'BJ-' || lpad(i::text, 10, '0'), 'S-' || w, '事项', w, kind,
       case when open then (array['received','needs_materials','under_review','joint_signoff'])
                           [1 + (i % 4)] else 'completed' end,
       case when open then null else 'approved' end, false,
       received, received + span, received + span - interval '1 day', open and i % 4 = 1, false,
       open and r < 0.2, open and r < 0.35, w || '-' || (i % 3), 'x', '某某',
       '11010519491231002X', '13912345678', '{}', '{}', '[]',
       case when open then null else received + span * (0.2 + r * 1.1) end, 5,
       case when kind = 'immediate' then null else received + span * 3 end, center
from (
    select i, random() as r, ($2::text[])[1 + i % 8] as w,
           'C' || lpad((1 + (i / 8) % $3)::text, 3, '0') as center,
           (array['immediate','immediate','immediate','immediate','immediate','immediate',
                  'promised','promised','promised','joint'])[1 + (i * 7) % 10] as kind,
           timestamptz '2024-01-01 09:00+08' + (i::float8 / $1) * interval '1095 days' as received,
           i > $1 * 0.97 and random() < 0.8 as open,
           case when (i * 7) % 10 < 6 then interval '30 minutes' else interval '10 days' end as span
    from generate_series(1, $1::integer) i
) g
"""

# The rollups of those cases, grouped as the projection maintains them.
_CENTERS = """
insert into centers (code, name, settings)
select 'C' || lpad(n::text, 3, '0'), '第' || n || '便民服务中心', '{"timezone": "Asia/Shanghai"}'
from generate_series(1, $1::integer) n
"""

# The rollups of those cases, grouped as the projection maintains them (each table's
# ``center_code`` is its last column).
_ROLLUPS = """
insert into dash_cases
select c.case_id, c.last_seq, c.window_code, c.kind, c.status, c.assignee,
       (c.received_at at time zone 'Asia/Shanghai')::date, c.paused, c.warned, c.overdue,
       (c.completed_at at time zone 'Asia/Shanghai')::date,
       case when c.completed_at is not null then c.completed_at <= c.due_at end,
       case when c.completed_at is not null and c.legal_due_at is not null
            then c.completed_at <= c.legal_due_at end,
       case when c.completed_at is not null then
            case when c.kind = 'immediate' then 0.02 + random() * 0.08
                 else random() * 14 end end, c.center_code
from cases c;
insert into dash_received
select g.grain, case g.grain when 'd' then received_on else date_trunc('month', received_on) end,
       window_code, kind, status, assignee, paused, warned, overdue, count(*), center_code
from dash_cases, (values ('d'), ('m')) g(grain) group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 11;
insert into dash_completed
select g.grain, case g.grain when 'd' then completed_on else date_trunc('month', completed_on) end,
       window_code, kind, assignee, count(*), count(*) filter (where on_time),
       count(*) filter (where legal_on_time is not null), count(*) filter (where legal_on_time),
       count(handling_days), coalesce(sum(handling_days), 0), center_code
from dash_cases, (values ('d'), ('m')) g(grain) where completed_on is not null
group by 1, 2, 3, 4, 5, 12;
insert into dash_handling
select g.grain, case g.grain when 'd' then completed_on else date_trunc('month', completed_on) end,
       window_code, kind,
       case when handling_days <= 1 then greatest(1, ceil(handling_days * 10))
            when handling_days <= 10 then ceil(handling_days * 2) * 5
            else ceil(handling_days) * 10 end, count(*), center_code
from dash_cases, (values ('d'), ('m')) g(grain) where handling_days is not null
group by 1, 2, 3, 4, 5, 7;
insert into alerts (alert_id, case_id, seq, kind, level, window_code, raised_at, acked_at, acked_by,
    center_code)
select case_id || '-A' || s, case_id, s, (array['warning','overdue','escalation'])[s - 1],
       (array['window_head','window_head','director'])[s - 1], window_code,
       due_at + (s - 3) * interval '1 hour',
       case when status = 'completed' then due_at + interval '1 day' end,
       case when status = 'completed' then 'director' end, center_code
from cases, generate_series(2, 4) s where warned or overdue or (case_id like '%7');
insert into score_deductions (window_code, month, on_day, kind, points, case_id, recorded_by,
    center_code)
select window_code, date_trunc('month', due_at)::date, due_at::date, 'case_overdue', 2,
       case_id, 'system', center_code
from cases where overdue or (status = 'completed' and completed_at > due_at and case_id like '%3');
analyze;
"""

# The baseline: each figure computed from one row per case.
_SCAN_SUMMARY = [
    "select status, kind, assignee, paused, warned, overdue, count(*) from dash_cases"
    " where received_on between $1 and $2 {w} group by 1, 2, 3, 4, 5, 6",
    "select kind, assignee, count(*), count(*) filter (where on_time),"
    " count(*) filter (where legal_on_time is not null), count(*) filter (where legal_on_time),"
    " avg(handling_days) from dash_cases where completed_on between $1 and $2 {w} group by 1, 2",
    "select kind, percentile_cont(0.9) within group (order by handling_days) from dash_cases"
    " where completed_on between $1 and $2 {w} group by 1",
]


async def build(conn: asyncpg.Connection) -> dict[str, int]:
    await conn.execute("select setseed(0.42)")
    await conn.execute(_CENTERS, CENTERS)
    await conn.execute(_CASES, CASES, WINDOWS, CENTERS)
    await conn.execute(_ROLLUPS)
    sizes = {}
    for table in (
        "cases",
        "dash_received",
        "dash_completed",
        "dash_handling",
        "alerts",
        "score_deductions",
    ):
        sizes[table] = int(await conn.fetchval(f"select count(*) from {table}"))
    return sizes


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    for _ in range(2):
        await run()
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        await run()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


async def measure(pool: asyncpg.Pool) -> list[tuple[str, float, float | None]]:
    month = Span(date(2026, 3, 1), date(2026, 3, 31))
    odd = Span(date(2026, 2, 14), date(2026, 3, 30))

    async def summary(center: str | None, span: Span, window: str | None) -> None:
        await figures.case_counts(pool, center, span, window)
        await figures.completions(pool, center, span, window)
        await figures.handling_percentile(pool, center, span, window)
        await figures.open_alerts(pool, center, span, window)

    async def scan(center: str | None, span: Span, window: str | None) -> None:
        lo, hi = span.bounds()
        args: list[object] = [lo, hi]
        where = ""
        for column, value in (("center_code", center), ("window_code", window)):
            if value is not None:
                args.append(value)
                where += f" and {column} = ${len(args)}"
        for sql in _SCAN_SUMMARY:
            await pool.fetch(sql.format(w=where), *args)
        await figures.open_alerts(pool, center, span, window)

    rows: list[tuple[str, float, float | None]] = []
    cases: list[tuple[str, str | None, Span, str | None]] = [
        ("summary, one center, all time", CENTER, Span(), None),
        ("summary, one center's window, all time", CENTER, Span(), "shebao"),
        ("summary, one center, one month", CENTER, month, None),
        ("summary, one window, 14 Feb - 30 Mar", CENTER, odd, "shebao"),
        ("province summary, every center, all time", None, Span(), None),
        ("province summary, every center, one month", None, month, None),
    ]
    for name, center, span, window in cases:
        ours = await timed(functools.partial(summary, center, span, window))
        base = await timed(functools.partial(scan, center, span, window))
        rows.append((name, ours, base))
    for name, run in (
        ("province: a line per center, all time", lambda: figures.center_rows(pool, Span())),
        ("province: a line per center, one month", lambda: figures.center_rows(pool, month)),
        (
            "overdue list, one center",
            lambda: figures.case_list(pool, CENTER, "overdue", None, 100),
        ),
        (
            "overdue list, every center (province)",
            lambda: figures.case_list(pool, None, "overdue", None, 100),
        ),
        (
            "at-risk list, one window",
            lambda: figures.case_list(pool, CENTER, "at_risk", "guotu", 100),
        ),
        (
            "trend, 30 days, one center",
            lambda: figures.daily(pool, CENTER, Span(date(2026, 3, 1), date(2026, 3, 30)), None),
        ),
        ("ranking, one month", lambda: scores.ranking(pool, CENTER, date(2026, 3, 1), WINDOWS)),
    ):
        rows.append((name, await timed(run), None))
    rows.append(("/metrics read-model figures", await timed(lambda: read_figures(pool)), None))
    return rows


async def run() -> None:
    print(
        f"dashboard queries: {CASES:,} synthetic cases in {CENTERS} centers,"
        f" median of {REPEATS} runs each"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="banjian-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = EmbeddedPostgres(data_dir, free_port(), durable=False)
        await server.start()
        try:
            pool = await create_pool(server.dsn, max_size=2)
            try:
                async with pool.acquire() as conn:
                    await migrate(conn)  # type: ignore[arg-type]
                    for key, value in await machine(conn, data_dir):  # type: ignore[arg-type]
                        print(f"  {key:<11} {value}")
                    built = time.perf_counter()
                    sizes = await build(conn)  # type: ignore[arg-type]
                print(
                    f"  built in {time.perf_counter() - built:.0f}s: "
                    + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
                )
                rows = await measure(pool)
            finally:
                await pool.close()
        finally:
            await server.stop()
    print()
    print(f"{'query':<46} {'ms (median)':>12} {'scan ms':>9} {'ratio':>7}  under 50 ms")
    for name, ours, base in rows:
        scan = f"{base:9.1f}" if base is not None else f"{'-':>9}"
        ratio = f"{base / ours:6.1f}x" if base is not None else f"{'-':>7}"
        print(f"{name:<46} {ours:12.1f} {scan} {ratio}  {'yes' if ours < 50 else 'NO'}")
    print()
    print("ratio: the scan's median time over the rollup query's, same process and data.")
    print(f"total {time.perf_counter() - started:.1f}s")
