"""The full stack against the bare engine, on one Temporal server, in one run.

Real cases go through the HTTP API (received, review started, completed) on
the embedded stack (``benchmarks.stack``); the bare engine's workflow
(``benchmarks.engine``: start, three updates, two local activities, complete)
runs on its own task queue and worker on the same server. Rounds alternate
between the two, at 10 and at 50 in flight; the ratio of cases/s to
workflows/s is the figure that holds across machines. Also measured: each
action's latency, the lag until ``GET /cases/{id}`` shows a 2xx write, the
history events and workflow tasks of a case, the CPU each process spends per
case, and the open-case scale (``benchmarks.open_cases``).

``python -m benchmarks fullstack [--quick] [--one-process] [--profile DIR]``.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import open_cases, profile
from benchmarks.engine import WORKFLOW
from benchmarks.flows import (
    ACTIONS,
    ApiCases,
    Record,
    drive,
    engine_flow,
    settled,
    terminate_running,
)
from benchmarks.histories import HistoryCounts, count_histories
from benchmarks.projection import cpu_model
from benchmarks.report import median, ms, percentile, table
from benchmarks.stack import CENTER, Stack, running_stack

ENGINE, API = "bare engine", "banjian API"
# The last line of a traceback: "package.module.SomeError: message".
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout\w*): ")


@dataclass(frozen=True)
class Sizes:
    cases: int  # per round
    repeats: int  # rounds of each kind at each number in flight
    in_flight: tuple[int, ...]
    warmup: int
    lag_cases: int
    open_cases: int
    probes: int
    history_sample: int


FULL = Sizes(100, 3, (10, 50), 20, 100, 10_000, 200, 30)
QUICK = Sizes(30, 1, (10, 50), 10, 20, 300, 20, 10)


@dataclass
class Round:
    kind: str
    in_flight: int
    n: int
    seconds: float
    cpu: dict[str, float]
    record: Record
    terminated: int  # workflows failed flows left running, ended after the round

    @property
    def rate(self) -> float:
        """Flows that went to their end, per second."""
        return len(self.record.done) / self.seconds


async def run_round(stack: Stack, api: ApiCases, kind: str, in_flight: int, n: int,
                    *, read_back: bool = False) -> Round:  # fmt: skip
    """One round: n flows, in_flight at a time; CPU counted until every workflow has closed."""
    rec = Record()
    one = (
        api.flow(rec, read_back=read_back)
        if kind == API
        else engine_flow(stack.client, rec, f"{int(time.time() * 1000)}")
    )
    before = stack.cpu_seconds()
    seconds = await drive(n, in_flight, one)
    await settled(stack.client, rec.done)
    after = stack.cpu_seconds()
    # What failed flows left running would weigh on the next round: ended, and counted.
    left = await terminate_running(stack.client, "CaseWorkflow" if kind == API else WORKFLOW)
    cpu = {k: after[k] - before[k] for k in after}
    return Round(kind, in_flight, n, seconds, cpu, rec, left)


async def measure(stack: Stack, sizes: Sizes, profile_dir: Path | None) -> list[str]:
    out: list[str] = []
    async with ApiCases.client(stack.api_url) as http:
        api = ApiCases(http, stack.token, CENTER)
        for kind in (ENGINE, API):  # untimed: connections, caches, the first workflow tasks
            await run_round(stack, api, kind, 10, sizes.warmup)
        rounds: list[Round] = []
        for in_flight in sizes.in_flight:
            for rep in range(sizes.repeats):
                # Alternate which goes first, so that a drift in the machine favours neither.
                order = (ENGINE, API) if rep % 2 == 0 else (API, ENGINE)
                for kind in order:
                    r = await run_round(stack, api, kind, in_flight, sizes.cases)
                    rounds.append(r)
                    failed = f", {len(r.record.failures)} failed" if r.record.failures else ""
                    print(f"  {kind:<11} {in_flight:>3} in flight: {r.rate:6.1f}/s{failed}",
                          flush=True)  # fmt: skip
        lag = await run_round(stack, api, API, 10, sizes.lag_cases, read_back=True)
        print(f"  read-after-write round: {lag.rate:.1f} cases/s", flush=True)
        counts = {
            f"{kind}, {n}": await count_histories(
                stack.client, _by(rounds, kind, n)[-1].record.done[: sizes.history_sample]
            )
            for n in sizes.in_flight
            for kind in (ENGINE, API)
        }
        out += [*_throughput(rounds), *_failures([*rounds, lag]), "", *_latency(rounds)]
        out += ["", *_lag(lag)]
        out += ["", *_histories(counts), "", *_cpu(rounds)]
        if profile_dir is not None:
            profiled = ("worker", "api", "worker+api")
            pids = {n: p.pid for n, p in stack.processes.items() if n in profiled}
            with profile.sampling(pids, profile_dir) as raws:
                r = await run_round(stack, api, API, 10, sizes.cases)
            out += ["", f"profiled round (not counted above): {r.rate:.1f} cases/s, 10 in flight"]
            for name, raw in raws.items():
                out += profile.summary(name, raw)
    if not sizes.open_cases:
        return out
    print(f"  open-case scale: {sizes.open_cases:,} cases ...", flush=True)
    figures = await open_cases.measure(stack, sizes.open_cases, sizes.probes)
    return [*out, "", *_open(figures)]


def _by(rounds: Sequence[Round], kind: str, in_flight: int) -> list[Round]:
    return [r for r in rounds if r.kind == kind and r.in_flight == in_flight]


def _throughput(rounds: Sequence[Round]) -> list[str]:
    rows = []
    for in_flight in sorted({r.in_flight for r in rounds}):
        engine = median([r.rate for r in _by(rounds, ENGINE, in_flight)])
        cases = median([r.rate for r in _by(rounds, API, in_flight)])
        rows.append((
            str(in_flight), f"{engine:.1f}", f"{cases:.1f}", f"{cases / engine:.2f}x",
            " / ".join(f"{r.rate:.1f}" for r in _by(rounds, ENGINE, in_flight)),
            " / ".join(f"{r.rate:.1f}" for r in _by(rounds, API, in_flight)),
        ))  # fmt: skip
    header = ("in flight", "workflows/s", "cases/s", "ratio", "engine runs", "API runs")
    return ["throughput (medians of the rounds)", *table(header, rows)]


def _failures(rounds: Sequence[Round]) -> list[str]:
    """Flows that failed, by round, with the first few reasons; answers saying the read
    model was behind."""
    said: dict[str, int] = {}
    for r in rounds:
        for k, n in r.record.read_model.items():
            key = f"{k} at {r.in_flight}"
            said[key] = said.get(key, 0) + n
    lines = [
        "answers with a Read-Model header, every round: "
        + (", ".join(f"{k}: {n}" for k, n in sorted(said.items())) or "none")
    ]
    failed = [r for r in rounds if r.record.failures]
    if not failed:
        return [*lines, "every flow of every round went to its end"]
    lines.append(
        "failed flows: "
        + ", ".join(
            f"{r.kind} at {r.in_flight}: {len(r.record.failures)}/{r.n}"
            f" ({r.terminated} left running, terminated)"
            for r in failed
        )
    )
    reasons = sorted({f for r in failed for f in r.record.failures})
    return lines + [f"  {reason}" for reason in reasons[:5]]


def _latency(rounds: Sequence[Round]) -> list[str]:
    rows = []
    for in_flight in sorted({r.in_flight for r in rounds}):
        for kind in (API, ENGINE):
            recs = [r.record for r in _by(rounds, kind, in_flight)]
            every = [x for rec in recs for x in rec.all_latencies()]
            cells = [kind, str(in_flight), ms(percentile(every, 50)), ms(percentile(every, 99))]
            for action in ACTIONS:
                values = [x for rec in recs for x in rec.latencies[action]]
                cells.append(f"{ms(percentile(values, 50))} / {ms(percentile(values, 99))}")
            rows.append(cells)
    header = ("", "in flight", "p50 ms", "p99 ms", *(f"{a} p50/p99" for a in ACTIONS))
    return ["action latency, every action of every round", *table(header, rows)]


def _lag(r: Round) -> list[str]:
    rec = r.record
    said = ", ".join(f"{k}: {n}" for k, n in sorted(rec.read_model.items())) or "none"
    rows = []
    for action in [*ACTIONS, "all"]:
        lags = rec.all_lags() if action == "all" else rec.lags[action]
        reads = [x for v in rec.reads.values() for x in v] if action == "all" else rec.reads[action]
        first = sum(1 for x in reads if x == 1) / max(len(reads), 1)
        rows.append((action, ms(percentile(lags, 50)), ms(percentile(lags, 99)), f"{first:.0%}",
                     str(max(reads, default=0))))  # fmt: skip
    return [
        f"read after write: a 2xx write, then GET /cases/{{id}} until it shows it"
        f" ({r.n} cases, {r.in_flight} in flight)",
        *table(("write", "lag p50 ms", "lag p99 ms", "shown at the first read", "most reads"),
               rows),
        f"answers with a Read-Model header: {said}",
    ]  # fmt: skip


def _histories(counts: dict[str, HistoryCounts]) -> list[str]:
    kinds = list(counts)
    names = list(next(iter(counts.values())).per_kind)
    rows = [("history events", *(f"{counts[k].events:.1f}" for k in kinds))]
    rows += [(n, *(f"{counts[k].per_kind[n]:.1f}" for k in kinds)) for n in names]
    header = ("per workflow (mean)", *kinds)
    sampled = ", ".join(str(c.sampled) for c in counts.values())
    return [
        f"what one workflow costs the engine, from its history (kind, in flight; {sampled} sampled"
        " from the last round of each)",
        *table(header, rows),
    ]


def _cpu(rounds: Sequence[Round]) -> list[str]:
    rows = []
    for kind in (API, ENGINE):
        for in_flight in sorted({r.in_flight for r in rounds}):
            rs = _by(rounds, kind, in_flight)
            n = sum(len(r.record.done) for r in rs)
            names = [k for k in rs[0].cpu if any(r.cpu[k] for r in rs)]
            per = {k: sum(r.cpu[k] for r in rs) / n for k in names}
            busy = ", ".join(f"{k} {ms(v)}" for k, v in per.items() if v >= 0.0005)
            rows.append((kind, str(in_flight), ms(sum(per.values())), busy))
    return [
        "CPU per case (ms of CPU, user + system; until every workflow of the round closed)",
        *table(("", "in flight", "total", "by process"), rows),
    ]


def _open(f: open_cases.OpenFigures) -> list[str]:
    lines = [
        f"open-case scale: {f.cases:,} open cases received through the Temporal client in"
        f" {f.open_seconds:.0f}s ({f.cases / f.open_seconds:.1f} cases/s until all projected);"
        f" {f.events_per_open_case:.1f} history events per open case",
        *table(
            ("RSS MB", "before", f"{f.cases:,} open", "after the warnings"),
            [
                (
                    k,
                    f"{f.rss_before[k]:.0f}",
                    f"{f.rss_open[k]:.0f}",
                    f"{f.rss_after.get(k, 0):.0f}",
                )
                for k in f.rss_open
                if k not in ("driver",)
            ],
        ),
    ]
    if not f.probes:
        return lines
    lines += [
        "",
        f"timer firing: {f.probes} probe cases warned at one instant ({f.due_at:%H:%M:%S} UTC),"
        f" {f.probes_on_plan} received in time to be on plan",
        *table(
            ("late by (s)", "p50", "p99", "max", "cases"),
            [
                (name, *(f"{percentile(v, q):.2f}" for q in (50, 99, 100)), str(len(v)))
                for name, v in (
                    ("server fired the timer", f.server_late),
                    ("workflow recorded the warning", f.event_late),
                    ("read model showed it", f.read_late),
                )
            ],
        ),
    ]
    return lines


def _errors_logged(folder: Path) -> list[str]:
    """The distinct exceptions the API and the worker logged (the last line of each traceback)."""
    found: dict[str, int] = {}
    for name in ("api", "worker", "worker+api"):
        log = folder / f"{name}.log"
        if not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines():
            if _EXCEPTION.match(line):
                key = f"{name}: {line[:160]}"
                found[key] = found.get(key, 0) + 1
    if not found:
        return []
    return ["", "exceptions logged (times):", *(f"  {n:>4}  {k}" for k, n in found.items())]


def _tails(folder: Path) -> None:
    """The end of each process's log, before the folder goes."""
    for log in sorted(folder.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-15:]
        print(f"--- end of {log.name}", *lines, sep="\n", file=sys.stderr)


def _machine() -> list[str]:
    return [
        f"  platform    {platform.platform()}",
        f"  cpus        {os.cpu_count()} ({cpu_model()})",
        f"  python      {sys.version.split()[0]}",
        f"  load        {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min, at start)",
    ]


async def run(*, quick: bool = False, one_process: bool = False,
              profile_dir: Path | None = None, open_cases: int | None = None) -> None:  # fmt: skip
    sizes = QUICK if quick else FULL
    if open_cases is not None:
        sizes = dataclasses.replace(sizes, open_cases=open_cases)
    layout = "worker and API in one process" if one_process else "worker and API processes"
    print(
        f"full stack: {sizes.cases} cases per round, {sizes.repeats} rounds of each at"
        f" {' and '.join(map(str, sizes.in_flight))} in flight, alternated; {layout};"
        f" {sizes.open_cases:,} open cases{' (quick)' if quick else ''}"
    )
    print("\n".join(_machine()), flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="banjian-fullstack-") as tmp:
        async with running_stack(Path(tmp), one_process=one_process) as stack:
            try:
                lines = await measure(stack, sizes, profile_dir)
                lines += _errors_logged(Path(tmp))
            except Exception:
                _tails(Path(tmp))
                raise
    print()
    print("\n".join(lines))
    print()
    print("ratio: the median cases/s over the median workflows/s at the same number in flight.")
    print(f"total {time.perf_counter() - started:.0f}s")
