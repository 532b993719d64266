"""A database of its own on the session's PostgreSQL, for tests that need a whole read model
(the archive's chain, a rebuild) without the other tests' cases."""

from __future__ import annotations

import uuid

import asyncpg

from banjian.embedded import EmbeddedPostgres
from banjian.stack import prepare_database


async def new_database(postgres: EmbeddedPostgres) -> str:
    """Create, migrate and load the demo center into a fresh database; its DSN.

    The demo center is marked as the one that held the deployment before it had centers
    (``bare_workflow_ids``): the workflow tests' harness starts cases under their bare case
    id, as such a deployment's older cases are, and the API's cases have ``SFZ/<id>``; both
    are found."""
    name = "t_" + uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(postgres.admin_dsn)
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"
    await new_database_at(dsn)
    return dsn


async def new_database_at(dsn: str) -> None:
    """Migrate the database at ``dsn`` and load the demo center, marked as in
    ``new_database``."""
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("update centers set bare_workflow_ids = true where code = 'SFZ'")
    finally:
        await conn.close()
