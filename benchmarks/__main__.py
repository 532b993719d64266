"""Run every benchmark: ``python -m benchmarks`` (``make bench``)."""

from __future__ import annotations

import asyncio
import logging

import structlog

from benchmarks import dashboard, projection


async def main() -> None:
    await projection.run()
    print()
    await dashboard.run()


if __name__ == "__main__":
    # The embedded server and migrations log at info; keep the report readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    asyncio.run(main())
