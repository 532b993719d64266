"""Idempotency keys are kept long enough for any retry, then forgotten."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest_asyncio

from banjian.embedded import EmbeddedPostgres
from projections.db import create_pool
from projections.idempotency import claim, forget_before
from tests.databases import new_database


@pytest_asyncio.fixture
async def pool(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(await new_database(postgres))
    yield pool
    await pool.close()


async def test_keys_older_than_the_retention_are_forgotten_and_newer_ones_kept(
    pool: asyncpg.Pool,
) -> None:
    for key in ("old", "new"):
        async with pool.acquire() as conn:
            assert (
                await claim(conn, "SFZ", "director", key, "POST /api/v1/alert-channels", "h")
                is None
            )
    await pool.execute(
        "update idempotency_keys set created_at = now() - interval '8 days' where key = 'old'"
    )
    assert await forget_before(pool, timedelta(days=7)) == 1
    assert [r["key"] for r in await pool.fetch("select key from idempotency_keys")] == ["new"]
    assert await forget_before(pool, timedelta(days=7)) == 0
    async with pool.acquire() as conn:  # a forgotten key may be used again
        assert (
            await claim(conn, "SFZ", "director", "old", "POST /api/v1/alert-channels", "h2") is None
        )
