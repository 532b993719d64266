"""Embedded servers kept running: a PostgreSQL or Temporal child that dies is started again.

The server is restarted on the same data (PostgreSQL recovers from its WAL,
Temporal reopens its SQLite file) after a delay that doubles while restarts
keep failing or the server keeps dying soon after one, up to a ceiling. Each
death is logged once, with its exit code; the first failed attempt once more,
with its reason; the restart once it serves again. Clients reconnect by
themselves (the database pools, the Temporal client), so the API's
``/readyz`` answers 200 again as soon as the server is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Self

import structlog

from banjian.embedded.process import ChildServer

log = structlog.get_logger(__name__)


class Supervised:
    """``async with Supervised(server)``: started on entry, restarted whenever it dies,
    stopped on exit."""

    check_every = 0.5  # seconds between two looks at the child
    first_delay = 0.5
    max_delay = 30.0
    stable_after = 60.0  # up this long, the next death starts again from the first delay

    def __init__(self, server: ChildServer) -> None:
        self.server = server
        self.restarts = 0
        self._watch: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        await self.server.start()
        self._watch = asyncio.create_task(
            self._keep_running(), name=f"supervise {self.server.name}"
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.server.stop()

    async def _keep_running(self) -> None:
        delay = self.first_delay
        up_since = time.monotonic()
        while True:
            # A Popen child offers nothing to await; a look every half second costs nothing.
            while self.server.running:  # noqa: ASYNC110
                await asyncio.sleep(self.check_every)
            if time.monotonic() - up_since >= self.stable_after:
                delay = self.first_delay
            log.warning(
                "embedded.died",
                server=self.server.name,
                pid=self.server.pid,
                exit_code=self.server.exit_code,
                restart_in_seconds=delay,
            )
            delay = await self._restart(delay)
            up_since = time.monotonic()

    async def _restart(self, delay: float) -> float:
        """Start the server again, waiting ``delay`` first and longer after each failure; the
        delay for the next death."""
        attempts = 0
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)
            attempts += 1
            try:
                await self.server.start()
            except Exception as err:  # whatever stopped this attempt, the next one may succeed
                if attempts == 1:
                    reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                    log.warning(
                        "embedded.restart_failed",
                        server=self.server.name,
                        error=reason,
                        retrying_up_to_every_seconds=self.max_delay,
                    )
                continue
            self.restarts += 1
            log.info(
                "embedded.restarted",
                server=self.server.name,
                pid=self.server.pid,
                attempts=attempts,
            )
            return delay
