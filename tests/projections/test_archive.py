"""The archive's hash chain: every edit or deletion of an entry is found by verification."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest_asyncio

from banjian.embedded import EmbeddedPostgres
from projections.archive import append, verify_chain
from projections.db import create_pool
from tests.databases import new_database

CLOSED = datetime(2026, 5, 11, 9, 30, tzinfo=UTC)


@pytest_asyncio.fixture
async def chain(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Pool]:
    """A fresh archive of five entries."""
    pool = await create_pool(await new_database(postgres))
    for n in range(1, 6):
        await append(pool, f"C-{n}", CLOSED, f'{{"events": [{n}]}}', f"[{n}]")
    yield pool
    await pool.close()


async def _breaks(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    async with pool.acquire() as conn:
        report = await verify_chain(conn, page=2)  # small pages: links across pages count too
    return [(b.position, b.problem) for b in report.breaks]


async def test_an_untouched_chain_is_intact_and_appending_twice_adds_nothing(
    chain: asyncpg.Pool,
) -> None:
    assert await append(chain, "C-3", CLOSED, "{}", "[]") is None
    assert await _breaks(chain) == []
    async with chain.acquire() as conn:
        report = await verify_chain(conn)
    assert (report.entries, report.head_position) == (5, 5)


async def test_an_edited_history_is_found_at_its_position(chain: asyncpg.Pool) -> None:
    await chain.execute("update case_archive set history = '{}' where position = 3")
    assert await _breaks(chain) == [(3, "the history does not match its SHA-256")]


async def test_an_edit_with_its_hashes_recomputed_breaks_the_next_link(
    chain: asyncpg.Pool,
) -> None:
    await chain.execute(
        "update case_archive set events = '[]',"
        " events_sha256 = encode(sha256(convert_to('[]', 'UTF8')), 'hex') where position = 2"
    )
    assert await _breaks(chain) == [(2, "the chain hash does not match the entry's content")]
    await chain.execute("update case_archive set chain_hash = repeat('a', 64) where position = 2")
    assert await _breaks(chain) == [
        (2, "the chain hash does not match the entry's content"),
        (3, "does not link to the previous entry's chain hash"),
    ]


async def test_a_deleted_entry_is_found_where_the_chain_resumes(chain: asyncpg.Pool) -> None:
    await chain.execute("delete from case_archive where position = 4")
    assert await _breaks(chain) == [
        (5, "entries 4..4 gone"),
        (5, "does not link to the previous entry's chain hash"),
    ]
