"""Fan-out of new alerts to live listeners: one LISTEN connection per API process, many queues."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog

from projections.alerts import CHANNEL

QUEUE_SIZE = 1000
RECONNECT_SECONDS = 1.0
# Listening again after PostgreSQL restarted: one attempt may not hang the hub.
LISTEN_TIMEOUT_SECONDS = 10.0

log = structlog.get_logger(__name__)


class AlertHub:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._queues: set[asyncio.Queue[str]] = set()
        self._conn: Any = None  # a pool connection held while anyone listens
        self._lock = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None
        self._reopening: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[str]]:
        """A queue of new alert ids, for as long as the caller stays inside."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        async with self._lock:
            if self._conn is None:
                await self._listen()
            self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
            if not self._queues:
                # The listener may be leaving because its request was cancelled: awaiting
                # here would be cancelled too, so the connection goes back from its own task.
                self._closing = asyncio.create_task(self._release())

    async def _listen(self) -> None:
        conn = await self._pool.acquire()
        try:
            await conn.add_listener(CHANNEL, self._notified)
        except BaseException:
            # A connection that could not listen is not trusted again: closed, then returned.
            conn.terminate()
            await self._pool.release(conn)
            raise
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _lost(self, _conn: Any) -> None:
        """PostgreSQL went away: listen again as soon as it is back, while anyone listens."""
        self._conn = None
        self._reopening = asyncio.create_task(self._reopen(_conn))

    async def _reopen(self, dead: Any) -> None:
        with contextlib.suppress(Exception):  # already closed, perhaps already given back
            await self._pool.release(dead)
        while self._queues:
            async with self._lock:
                if self._conn is not None or not self._queues:
                    return
                try:
                    async with asyncio.timeout(LISTEN_TIMEOUT_SECONDS):
                        await self._listen()
                    log.info("alerts.listening_again")
                    return
                except Exception as err:  # whatever PostgreSQL's return looks like: try again
                    log.info("alerts.listen_retry", error=type(err).__name__)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _release(self) -> None:
        async with self._lock:
            if self._queues or self._conn is None:
                return
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.remove_listener(CHANNEL, self._notified)
            await self._pool.release(conn)

    def _notified(self, _conn: Any, _pid: int, _channel: str, alert_id: object) -> None:
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):  # a stalled listener misses alerts
                queue.put_nowait(str(alert_id))
