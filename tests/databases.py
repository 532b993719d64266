"""A database of its own on the session's PostgreSQL, for tests that need a whole read model
(the archive's chain, a rebuild) without the other tests' cases."""

from __future__ import annotations

import uuid

import asyncpg

from banjian.embedded import EmbeddedPostgres
from banjian.stack import prepare_database


async def new_database(postgres: EmbeddedPostgres) -> str:
    """Create, migrate and load the demo center into a fresh database; its DSN."""
    name = "t_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(postgres.admin_dsn)
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    await prepare_database(dsn)
    return dsn
