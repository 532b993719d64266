"""Where a process's time goes under load: py-spy samples it, and the hottest frames are listed.

py-spy is a developer's tool, not a dependency of the project: ``pip install
py-spy`` into the virtualenv, then run the full-stack benchmark with
``--profile DIR``. Each profiled process leaves ``DIR/<name>.txt`` in py-spy's
raw (collapsed stack) format, which speedscope or flamegraph.pl can draw.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_RATE = 100  # samples a second
_TOP = 12


def py_spy() -> str:
    # The virtualenv's own first: that is where ``pip install py-spy`` put it.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("py-spy", path=path)
    if found is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy (into the virtualenv)")
    return found


@contextlib.contextmanager
def sampling(pids: dict[str, int], folder: Path) -> Iterator[dict[str, Path]]:
    """Sample each process while inside; the raw profiles, by process name."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {name: folder / f"{name}.txt" for name in pids}
    tool = py_spy()
    recorders = [
        subprocess.Popen(
            [
                tool,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(_RATE),
                "--gil",
                "--format",
                "raw",
                "--output",
                str(outputs[name]),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"{name}.py-spy.log").open("wb"),
        )
        for name, pid in pids.items()
    ]
    try:
        yield outputs
    finally:
        for r in recorders:
            r.send_signal(signal.SIGINT)  # py-spy writes its profile when interrupted
        for r in recorders:
            r.wait(timeout=60)


def _frame(text: str) -> str:
    """``function (path/to/file.py:123)`` without the line number, and with a short path."""
    name, _, where = text.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = Path(path).name if "/" in path else path
    return f"{name} ({path})"


# Where a sample falls, by a frame anywhere on its stack (the raw frame's text, path included).
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("a new workflow's sandbox (its modules imported afresh)", ("_create_workflow_instance",)),
    ("workflow activations (the workflow's code, in its sandbox)", ("_RunningWorkflow.activate",)),
    ("payload conversion", ("from_payloads", "to_payloads", "PayloadVisitor")),
    ("activities", ("_ActivityWorker._execute_activity",)),
    ("asyncpg", ("asyncpg/",)),
    ("HTTP: uvicorn, starlette, fastapi", ("uvicorn/", "starlette/", "fastapi/")),
    ("Temporal client calls", ("temporalio/client/",)),
    ("logging", ("structlog/", "logging/__init__")),
)
# Frames on (nearly) every stack, the process's own main loop, say nothing.
_EVERYWHERE = 0.85


def hottest(
    raw: Path,
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """(samples, frames by own samples, frames by samples spent in them or below, categories)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        raw_frames = stack.split(";")[1:]  # the first names the thread
        if not raw_frames:
            continue
        frames = [_frame(f) for f in raw_frames]
        total += n
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
        for name, markers in CATEGORIES:
            if any(m in f for f in raw_frames for m in markers):
                categories[name] += n
    below = [(f, n) for f, n in inclusive.most_common() if n < _EVERYWHERE * total][:_TOP]
    cats = [(name, categories[name]) for name, _ in CATEGORIES]
    return total, own.most_common(_TOP), below, cats


def summary(name: str, raw: Path) -> list[str]:
    if not raw.exists():
        return [f"{name}: no profile written (see {raw.with_suffix('.py-spy.log')})"]
    total, own, inclusive, cats = hottest(raw)
    lines = [f"{name}: {total} samples at {_RATE}/s of the thread holding the GIL ({raw})"]
    sections = (("by what the time was for", cats), ("own time", own),
                ("in it or below (the main loop's frames left out)", inclusive))  # fmt: skip
    for title, rows in sections:
        lines.append(f"  {title}:")
        lines += [f"    {n / max(total, 1):6.1%}  {frame}" for frame, n in rows]
    return lines
