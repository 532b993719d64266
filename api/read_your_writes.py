"""Read your writes: a staff action answers once the read model shows it.

The workflow decides an action and answers with the case's state and the events
the read model may not hold yet (``workflows.model.Answer``). Before the API
passes that answer on, it writes them itself, in the projection's one
transaction (``projections.cases.apply_batch``), so every read that follows (the
case, its events, the lists, the dashboard, the alerts) shows the action. The
workflow's projector writes the same events a little later, or as the case
closes, and finds them written: the API's write is the fast path, the
projector's the durable one.

An answer without events (the projector wrote them all already) or a write made
elsewhere (a leave's takeovers) is waited for instead: until the read model
holds the action's ``last_seq`` for the case. Each projection commits with a
NOTIFY naming the case and its seq (``projections.cases``); the API process
listens on one connection and wakes the actions waiting for that case (and
gives the connection back to the pool after a few seconds without any).

The wait is bounded: past ``read_model_wait_seconds``, or at once when
PostgreSQL does not answer, the action still answers 2xx (Temporal has recorded
it, and the projection will catch up) with a ``Read-Model`` header saying
``behind`` or ``unavailable``. The API's own write has the same bound and the
same answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from typing import Any

import asyncpg
import structlog
from fastapi import Response

from projections.cases import PROJECTED_CHANNEL, parse_projected, projected_seq, write_handed
from projections.db import DB_ERRORS
from workflows.model import CaseState, handed_batch

log = structlog.get_logger(__name__)

HEADER = "Read-Model"
# A notification missed (the listening connection lost and not yet back) costs at most this.
_RECHECK_SECONDS = 0.5
_LISTEN_TIMEOUT_SECONDS = 2.0
# No action waiting for this long: the listening connection goes back to the pool.
_IDLE_SECONDS = 5.0
# The newest seq notified for each recent case: an action whose projection committed before
# its answer came back needs no query.
_REMEMBERED_CASES = 10_000


class Freshness(StrEnum):
    SHOWN = "shown"
    BEHIND = "behind"  # not in the read model within the bound: it will be, later
    UNAVAILABLE = "unavailable"  # PostgreSQL did not answer


class ProjectionWatch:
    """One LISTEN connection per API process while actions wait; those actions, by case."""

    def __init__(self, pool: asyncpg.Pool, bound_seconds: float) -> None:
        self._pool = pool
        self._bound = bound_seconds
        self._conn: Any = None  # a pool connection, held while listening
        self._on_lost: Callable[[Any], None] | None = None
        self._lock = asyncio.Lock()
        self._waiting: dict[str, list[tuple[int, asyncio.Event]]] = {}
        self._latest: OrderedDict[str, int] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle: asyncio.Task[None] | None = None

    async def written(self, answer: CaseState) -> Freshness:
        """Write the action's answered events, within the bound; wait if it carried none."""
        batch = handed_batch(answer)
        if batch is None:
            return await self.shown(answer.case_id, answer.last_seq)
        return await self._bounded(answer.case_id, answer.last_seq, write_handed(self._pool, batch))

    async def shown(self, case_id: str, seq: int) -> Freshness:
        """Wait until the read model holds ``seq`` for the case, within the bound."""
        if self._latest.get(case_id, 0) >= seq:
            return Freshness.SHOWN
        woken = asyncio.Event()
        entry = (seq, woken)
        self._waiting.setdefault(case_id, []).append(entry)
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        try:
            return await self._bounded(case_id, seq, self._until_projected(case_id, seq, woken))
        finally:
            waiters = self._waiting.get(case_id, [])
            if entry in waiters:
                waiters.remove(entry)
            if not waiters:
                self._waiting.pop(case_id, None)
            if not self._waiting and self._idle is None:
                self._idle = self._spawn(self._release_when_idle())

    async def _bounded(self, case_id: str, seq: int, work: Awaitable[None]) -> Freshness:
        """``work`` done within the bound: shown; past it, behind; PostgreSQL failing it,
        unavailable."""
        try:
            async with asyncio.timeout(self._bound):
                await work
        except TimeoutError:
            log.warning("read_model.behind", case_id=case_id, seq=seq)
            return Freshness.BEHIND
        except DB_ERRORS as err:
            log.warning("read_model.unavailable", case_id=case_id, error=type(err).__name__)
            return Freshness.UNAVAILABLE
        return Freshness.SHOWN

    async def _until_projected(self, case_id: str, seq: int, woken: asyncio.Event) -> None:
        await self._listen()
        while True:
            woken.clear()  # set again by any notification from here on
            if self._latest.get(case_id, 0) >= seq:
                return
            if await projected_seq(self._pool, case_id) >= seq:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_RECHECK_SECONDS):
                    await woken.wait()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _listen(self) -> None:
        if self._conn is not None:
            return
        async with self._lock:
            if self._conn is not None:
                return
            conn = await self._pool.acquire()
            try:
                async with asyncio.timeout(_LISTEN_TIMEOUT_SECONDS):
                    await conn.add_listener(PROJECTED_CHANNEL, self._notified)
            except BaseException:
                # A connection that could not listen is not trusted again: closed, then returned.
                conn.terminate()
                await self._pool.release(conn)
                raise

            def lost(_raw: Any) -> None:  # asyncpg names the raw connection, not the pool's proxy
                self._lost(conn)

            conn.add_termination_listener(lost)
            self._conn, self._on_lost = conn, lost

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        parsed = parse_projected(str(payload))
        if parsed is None:
            return
        case_id, seq = parsed
        if seq > self._latest.get(case_id, 0):
            self._latest[case_id] = seq
            self._latest.move_to_end(case_id)
            if len(self._latest) > _REMEMBERED_CASES:
                self._latest.popitem(last=False)
        for wanted, woken in self._waiting.get(case_id, []):
            if wanted <= seq:
                woken.set()

    def _lost(self, conn: Any) -> None:
        """PostgreSQL went away: the next action listens again; waiting ones read the row."""
        if self._conn is not conn:
            return  # a connection given back before: somebody else's now
        self._conn = None
        self._spawn(self._give_back(conn))
        for waiters in self._waiting.values():
            for _, woken in waiters:
                woken.set()

    async def _give_back(self, conn: Any) -> None:
        with contextlib.suppress(Exception):  # already closed, perhaps already given back
            await self._pool.release(conn)

    async def _release_when_idle(self) -> None:
        """Nobody has waited for a while: the connection goes back to the pool."""
        await asyncio.sleep(_IDLE_SECONDS)
        self._idle = None
        await self.close(unless_waited_on=True)

    async def close(self, *, unless_waited_on: bool = False) -> None:
        async with self._lock:
            if unless_waited_on and self._waiting:
                return
            conn, self._conn = self._conn, None
            if conn is None:
                return
            if self._on_lost is not None:
                conn.remove_termination_listener(self._on_lost)
            with contextlib.suppress(Exception):
                await conn.remove_listener(PROJECTED_CHANNEL, self._notified)
            await self._give_back(conn)


class ReadYourWrites:
    """For one request: wait for its write to be readable, and say in the answer if it is not."""

    def __init__(self, watch: ProjectionWatch, response: Response) -> None:
        self._watch = watch
        self._response = response

    async def __call__(self, answer: CaseState) -> Freshness:
        """The action's answer written to the read model (or waited for)."""
        return self._say(await self._watch.written(answer))

    async def seq(self, case_id: str, seq: int) -> Freshness:
        """A write made elsewhere, waited for until the read model holds ``seq``."""
        return self._say(await self._watch.shown(case_id, seq))

    def _say(self, freshness: Freshness) -> Freshness:
        if freshness is not Freshness.SHOWN:
            self._response.headers[HEADER] = freshness.value
        return freshness
