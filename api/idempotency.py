"""``Idempotency-Key`` for the POST routes that write PostgreSQL directly.

A route takes the ``Idempotent`` dependency and hands it its write. With a key, the key's row
(``projections.idempotency``) is inserted in the write's transaction: a retry with the same
key, route and body answers the first status and body and writes nothing; the same key with
another route or body is ``409 idempotency_conflict``. Without a key the route behaves as it
always did. A write that refuses (a 4xx raised inside it) rolls the key back with it.

Some routes go on after the write is committed (recounting cases in Temporal, starting a
leave): ``respond_after`` records what that step needs with the key, and a retry that finds
the change made but no answer (the first request died there, or is still at it) does that
step again (each is idempotent itself) and answers the first answer stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import asyncpg
import structlog
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.cases import request_hash
from api.deps import Context, CurrentStaff, IdempotencyKey
from api.errors import ApiError
from projections import idempotency as store
from projections.center import StaffMember
from projections.db import DB_ERRORS, Conn

log = structlog.get_logger(__name__)

# A retry comes within minutes; a key is kept a week, then forgotten (checked hourly).
KEY_RETENTION = timedelta(days=7)
FORGET_EVERY_SECONDS = 3600.0

Answer = TypeVar("Answer", bound=BaseModel)
# What a write hands to the step after it: stored as JSON, so JSON's types only.
Result = TypeVar("Result", bound=bool | int | float | str | list[Any] | dict[str, Any] | None)


def conflict() -> ApiError:
    return ApiError(
        409,
        "idempotency_conflict",
        "this Idempotency-Key was already used with a different request (another route or"
        " body); send a new key for a new request",
    )


class Idempotent:
    """The request's ``Idempotency-Key``, if any, for its staff member and route."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        staff: StaffMember,
        key: str | None,
        route: str,
        status: int,
    ) -> None:
        self._pool, self.key = pool, key
        self._caller = (staff.center, staff.id)
        self.route, self._status = route, status

    async def respond(
        self, body: BaseModel | dict[str, Any], write: Callable[[Conn], Awaitable[Answer]]
    ) -> Answer | JSONResponse:
        """``write`` in one transaction with the key's row and the answer it gives."""
        if self.key is None:
            async with self._pool.acquire() as conn, conn.transaction():
                return await write(conn)
        digest = request_hash(body)
        async with self._pool.acquire() as conn, conn.transaction():
            first = await store.claim(conn, *self._caller, self.key, self.route, digest)
            if first is None:
                answer = _json(await write(conn))
                status, stored = await store.record_answer(
                    conn, *self._caller, self.key, self._status, answer
                )
                return JSONResponse(stored, status)
        return await self._again(first, digest)

    async def respond_after(
        self,
        body: BaseModel | dict[str, Any],
        write: Callable[[Conn], Awaitable[Result]],
        then: Callable[[Result], Awaitable[Answer]],
    ) -> Answer | JSONResponse:
        """``write`` in one transaction with the key's row and its result, then ``then`` on the
        result once that is committed; ``then`` must be safe to run twice."""
        if self.key is None:
            async with self._pool.acquire() as conn, conn.transaction():
                result = await write(conn)
            return await then(result)
        digest = request_hash(body)
        async with self._pool.acquire() as conn, conn.transaction():
            first = await store.claim(conn, *self._caller, self.key, self.route, digest)
            if first is None:
                result = await write(conn)
                await store.record_result(conn, *self._caller, self.key, result)
        if first is not None:
            if first.status is not None or not _same(self, first, digest):
                return await self._again(first, digest)
            log.info("idempotency.finishing", route=self.route)
            result = first.result
        answer = _json(await then(result))
        status, stored = await store.record_answer(
            self._pool, *self._caller, self.key, self._status, answer
        )
        return JSONResponse(stored, status)

    async def _again(self, first: store.KeyRecord, digest: str) -> JSONResponse:
        """A retry: the first answer, or a conflict."""
        if not _same(self, first, digest):
            log.info("idempotency.conflict", route=self.route, first_route=first.route)
            raise conflict()
        # Answered in the key's own transaction (``respond``), or checked (``respond_after``).
        assert first.status is not None
        log.info("idempotency.replayed", route=self.route)
        return JSONResponse(first.body, first.status)


def _same(idem: Idempotent, first: store.KeyRecord, digest: str) -> bool:
    return first.route == idem.route and first.request_hash == digest


def _json(answer: BaseModel) -> Any:
    # As FastAPI would write the route's response_model: by alias, in JSON's types.
    return answer.model_dump(mode="json", by_alias=True)


async def idempotent(
    request: Request, ctx: Context, staff: CurrentStaff, key: IdempotencyKey = None
) -> Idempotent:
    route = request.scope.get("route")
    status = route.status_code if isinstance(route, APIRoute) and route.status_code else 200
    return Idempotent(ctx.pool, staff, key, f"{request.method} {request.url.path}", status)


IdempotentWrite = Annotated[Idempotent, Depends(idempotent)]


async def forget_old_keys(pool: asyncpg.Pool) -> None:
    """Forget keys older than ``KEY_RETENTION``, every ``FORGET_EVERY_SECONDS``, until cancelled."""
    while True:
        try:
            forgotten = await store.forget_before(pool, KEY_RETENTION)
            if forgotten:
                log.info("idempotency.forgotten", keys=forgotten)
        except DB_ERRORS as err:
            log.warning("idempotency.forget_failed", error=type(err).__name__)
        await asyncio.sleep(FORGET_EVERY_SECONDS)
