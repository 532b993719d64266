"""Run the benchmarks: ``python -m benchmarks`` (``make bench``) runs them all; name some to run
those alone, e.g. ``python -m benchmarks fullstack --quick``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from benchmarks import chaos, dashboard, fullstack, projection


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*",
                        choices=[[], "projection", "dashboard", "fullstack", "chaos"],
                        help="which to run (default: all but chaos)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="full stack, chaos: a short run")
    parser.add_argument(
        "--one-process", action="store_true", help="full stack: worker and API in one process"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="full stack: py-spy the worker and the API"
    )
    parser.add_argument(
        "--open-cases", type=int, metavar="N", help="full stack: open cases to hold (0: none)"
    )
    args = parser.parse_args()
    runs: dict[str, Callable[[], Awaitable[None]]] = {
        "projection": projection.run,
        "dashboard": dashboard.run,
        "chaos": lambda: chaos.run(quick=args.quick),
        "fullstack": lambda: fullstack.run(
            quick=args.quick,
            one_process=args.one_process,
            profile_dir=args.profile,
            open_cases=args.open_cases,
        ),
    }

    async def chosen() -> None:
        # SIGTERM stops like Ctrl-C: the benchmark's servers and processes are stopped on the way.
        main_task = asyncio.current_task()
        assert main_task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
        # The fault suite is ``make chaos``, not a benchmark of ``make bench``.
        for i, name in enumerate(args.names or [n for n in runs if n != "chaos"]):
            if i:
                print()
            await runs[name]()

    asyncio.run(chosen())


if __name__ == "__main__":
    # The embedded server and migrations log at info; keep the report readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    main()
