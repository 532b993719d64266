"""The whole system in one process: embedded servers, migrations, the demo center, worker and API.

``banjian run`` starts PostgreSQL and the Temporal dev server from their
wheels (or, with ``--sandbox``, the time-skipping test server and a throwaway
PostgreSQL), starting a server again whenever it dies (``Supervised``), then
serves the worker and the API until Ctrl-C or SIGTERM, and stops everything it
started. It writes ``stack.json`` in the data folder so
that other CLI commands find the running stack.

The server wheels are the `embedded` extra, which the production image leaves out: they are
looked for only when ``banjian run`` is about to start a server, and their absence is said
before anything starts. The other commands import this module for ``database_url`` and
``temporal_address`` alone.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import structlog
from temporalio.testing import WorkflowEnvironment

from banjian.runtime import connect, payload_keys, serve, stop_on_signals
from banjian.settings import Settings
from centers.apply import apply_center_file
from centers.demo import demo_center_file, sandbox_center_files
from privacy import KeyRing, encrypted_converter
from projections.center import center_is_loaded, create_token
from projections.db import connect as db_connect
from projections.migrate import migrate

log = structlog.get_logger(__name__)

STACK_FILE = "stack.json"
DEMO_TOKEN_STAFF = ("mz-a", "mz-head", "director", "ops", "discipline")


class StackNotRunning(Exception):
    pass


@dataclass(frozen=True)
class StackInfo:
    database_url: str
    temporal_address: str
    api_url: str
    ui_url: str | None
    sandbox: bool


def read_stack(settings: Settings) -> StackInfo:
    path = settings.data_dir / STACK_FILE
    if not path.exists():
        raise StackNotRunning(
            f"no running banjian stack for data folder {settings.data_dir}: start it with"
            " `make run` (or `banjian run`), or set BANJIAN_DATABASE_URL and"
            " BANJIAN_TEMPORAL_ADDRESS"
        )
    return StackInfo(**json.loads(path.read_text()))


def database_url(settings: Settings) -> str:
    return settings.database_url or read_stack(settings).database_url


def temporal_address(settings: Settings) -> str:
    return settings.temporal_address or read_stack(settings).temporal_address


async def prepare_database(dsn: str, *, sandbox: bool = False) -> None:
    """Migrate, and load the demo center (the sandbox: both demo centers) into an empty
    database."""
    conn = await db_connect(dsn)
    try:
        await migrate(conn)
        if not await center_is_loaded(conn):
            for file in sandbox_center_files() if sandbox else [demo_center_file()]:
                await apply_center_file(conn, file)
                log.info("demo_center.loaded", center=file.center.code)
    finally:
        await conn.close()


async def demo_tokens(dsn: str, data_dir: Path | None) -> dict[str, str]:
    """Tokens for a few demo staff, kept in the data folder so a restart prints the same ones;
    a demo staff member the folder has no token for yet (added since) gets one."""
    path = data_dir / "demo-tokens.json" if data_dir is not None else None
    tokens: dict[str, str] = {}
    if path is not None and path.exists():
        tokens = json.loads(path.read_text())
    missing = [staff for staff in DEMO_TOKEN_STAFF if staff not in tokens]
    if not missing:
        return tokens
    conn = await db_connect(dsn)
    try:
        code = demo_center_file().center.code
        tokens.update({staff: await create_token(conn, code, staff) for staff in missing})
    finally:
        await conn.close()
    if path is not None:
        path.touch(mode=0o600)
        path.write_text(json.dumps(tokens, indent=2))
    return tokens


@contextlib.asynccontextmanager
async def _servers(settings: Settings, sandbox: bool) -> AsyncIterator[tuple[str, Any, str | None]]:
    """Yield (database dsn, Temporal client, Temporal UI url) for the chosen mode."""
    from banjian.embedded import (
        EmbeddedPostgres,
        Supervised,
        TemporalDevServer,
        free_port,
        test_server_path,
    )

    if sandbox:
        folder = Path(tempfile.mkdtemp(prefix="banjian-sandbox-"))
        pg = EmbeddedPostgres(folder / "postgres", free_port(), durable=False)
        try:
            async with Supervised(pg):
                env = await WorkflowEnvironment.start_time_skipping(
                    test_server_existing_path=str(test_server_path()),
                    data_converter=encrypted_converter(
                        KeyRing.generate()
                    ),  # throwaway, as the data
                )
                try:
                    yield pg.dsn, env, None
                finally:
                    await env.shutdown()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    data = settings.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    keys = payload_keys(settings)
    async with contextlib.AsyncExitStack() as stack:
        dsn = settings.database_url
        if dsn is None:
            pg = EmbeddedPostgres(data / "postgres", settings.postgres_port)
            await stack.enter_async_context(Supervised(pg))
            dsn = pg.dsn
        address, ui = settings.temporal_address, None
        if address is None:
            temporal = TemporalDevServer(
                port=settings.temporal_port,
                ui_port=settings.temporal_ui_port,
                db_file=data / "temporal.db",
                log_file=data / "temporal.log",
            )
            await stack.enter_async_context(Supervised(temporal))
            address, ui = temporal.address, f"http://127.0.0.1:{settings.temporal_ui_port}"
        client = await connect(address, settings.temporal_namespace, keys)
        yield dsn, client, ui


def require_servers(settings: Settings, *, sandbox: bool) -> None:
    """Fail with the extra's name when a server this run would start has no wheel installed."""
    from banjian.embedded import postgres_bin_path, temporal_cli_path, test_server_path

    if sandbox or settings.database_url is None:
        postgres_bin_path()
    if sandbox:
        test_server_path()
    elif settings.temporal_address is None:
        temporal_cli_path()


async def run_stack(settings: Settings, *, sandbox: bool) -> None:
    from banjian.embedded import ensure_port_free

    require_servers(settings, sandbox=sandbox)
    ensure_port_free(settings.api_port, "API")
    stop = stop_on_signals()
    async with _servers(settings, sandbox) as (dsn, temporal, ui_url):
        env = temporal if isinstance(temporal, WorkflowEnvironment) else None
        client = env.client if env is not None else temporal
        await prepare_database(dsn, sandbox=sandbox)
        tokens = await demo_tokens(dsn, None if sandbox else settings.data_dir)
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        info = StackInfo(dsn, client.service_client.config.target_host, api_url, ui_url, sandbox)
        stack_file = settings.data_dir / STACK_FILE

        def ready() -> None:
            if not sandbox:
                stack_file.write_text(json.dumps(asdict(info)))
            _announce(info, tokens)

        try:
            await serve(settings, client, dsn, stop, sandbox=env, ready=ready)
        finally:
            if not sandbox:
                stack_file.unlink(missing_ok=True)
    log.info("stack.stopped")


def _announce(info: StackInfo, tokens: dict[str, str]) -> None:
    mode = "sandbox (time-skipping clock, throwaway data)" if info.sandbox else "embedded"
    lines = [
        "",
        f"banjian is running — {mode}",
        f"  API          {info.api_url}/api/v1   (OpenAPI: {info.api_url}/docs)",
    ]
    if info.ui_url:
        lines.append(f"  Temporal UI  {info.ui_url}")
    lines.append("  Demo tokens (Authorization: Bearer <token>):")
    lines += [f"    {staff:<10} {token}" for staff, token in tokens.items()]
    if info.sandbox:
        lines.append('  Sandbox: POST /api/v1/sandbox/clock/advance {"days": 1}')
    lines += ["  Stop with Ctrl-C.", ""]
    print("\n".join(lines), flush=True)
