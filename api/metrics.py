"""Figures from the read model on ``/metrics``: cases by status, alerts, deliveries, timers.

They are read from PostgreSQL when Prometheus scrapes (the rollups and two
indexed counts, a few milliseconds), and handed to a collector that the
default registry renders beside the process's own counters. Staff actions and
their latency are counted where they happen, in ``api.cases``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import asyncpg
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from projections.db import DB_ERRORS
from projections.figures import Span, case_counts


@dataclass
class ReadModelFigures:
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (window, status)
    alerts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (kind, level, state)
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel kind, result)
    delivered: int = 0  # alerts delivered at least once
    timers_pending: int = 0


_ALERTS = """
select kind, level, acked_at is null as open, count(*)::bigint as n
from alerts group by kind, level, acked_at is null
"""

_DELIVERIES = """
select c.kind, d.ok, count(*)::bigint as n
from alert_deliveries d join alert_channels c on c.id = d.channel_id group by c.kind, d.ok
"""


async def read_figures(pool: asyncpg.Pool) -> ReadModelFigures:
    f = ReadModelFigures()
    counts = await case_counts(pool, None, Span(), None)
    rows = await pool.fetch(
        "select window_code, status, sum(n)::bigint as n from dash_received where grain = 'm'"
        " group by window_code, status having sum(n) <> 0"
    )
    f.cases = {(r["window_code"], r["status"]): int(r["n"]) for r in rows}
    f.timers_pending = counts.timers_pending
    for r in await pool.fetch(_ALERTS):
        f.alerts[(r["kind"], r["level"], "open" if r["open"] else "acked")] = int(r["n"])
    for r in await pool.fetch(_DELIVERIES):
        f.deliveries[(r["kind"], "ok" if r["ok"] else "failed")] = int(r["n"])
    f.delivered = int(
        await pool.fetchval("select count(distinct alert_id) from alert_deliveries where ok")
    )
    return f


class ReadModelCollector(Collector):
    def __init__(self) -> None:
        self.figures: ReadModelFigures | None = None

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        if f is None:
            return
        cases = GaugeMetricFamily(
            "banjian_cases", "Cases in the read model", labels=["window", "status"]
        )
        for (window, status), n in sorted(f.cases.items()):
            cases.add_metric([window, status], n)
        yield cases
        alerts = CounterMetricFamily(
            "banjian_alerts_raised",
            "Alerts raised to supervisors, by whether they are still open",
            labels=["kind", "level", "state"],
        )
        for (kind, level, state), n in sorted(f.alerts.items()):
            alerts.add_metric([kind, level, state], n)
        yield alerts
        attempts = CounterMetricFamily(
            "banjian_alert_deliveries",
            "Attempts to deliver alerts to channels",
            labels=["channel", "result"],
        )
        for (channel, result), n in sorted(f.deliveries.items()):
            attempts.add_metric([channel, result], n)
        yield attempts
        yield CounterMetricFamily(
            "banjian_alerts_delivered", "Alerts delivered to at least one channel", f.delivered
        )
        yield GaugeMetricFamily(
            "banjian_timers_pending",
            "Open cases whose clock runs toward a warning or a breach not yet raised",
            f.timers_pending,
        )


COLLECTOR = ReadModelCollector()
REGISTRY.register(COLLECTOR)


async def refresh(pool: asyncpg.Pool) -> None:
    """Read the figures for this scrape; on a database error, the scrape goes without them."""
    try:
        COLLECTOR.figures = await read_figures(pool)
    except DB_ERRORS:
        COLLECTOR.figures = None
