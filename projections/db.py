"""Connections to the read-model database, with JSON columns decoded to Python values."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

if TYPE_CHECKING:
    # A single connection, whether opened directly or borrowed from a pool.
    Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy[Any]
else:
    Conn = asyncpg.Connection | PoolConnectionProxy


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind,
            encoder=lambda v: json.dumps(v, ensure_ascii=False),
            decoder=json.loads,
            schema="pg_catalog",
        )


# What a call to PostgreSQL raises when the server is away, restarting or refusing: the errors
# a caller that can do without it (a read model that catches up, a check) catches.
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)

# A PostgreSQL that hangs instead of refusing gives up after this, not asyncpg's 60 seconds:
# a request then answers 503 while staff are still waiting for it.
CONNECT_TIMEOUT_SECONDS = 10.0


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS)
    await _init_connection(conn)
    return conn


class LazyPool:
    """A pool opened on first use, so a worker starts (and waits) while PostgreSQL is down."""

    def __init__(self, dsn: str, *, max_size: int = 5) -> None:
        self._dsn, self._max_size = dsn, max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def get(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await create_pool(self._dsn, min_size=1, max_size=self._max_size)
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


def add_equal(
    where: list[str], args: list[Any], pairs: Iterable[tuple[str, object | None]]
) -> None:
    """A list's optional filters: ``column = $n`` in ``where`` and its value in ``args`` for
    every pair whose value is given (numbered after the arguments already there)."""
    for column, value in pairs:
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
