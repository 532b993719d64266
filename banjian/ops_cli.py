"""Operations commands: replay a case, the archive, rebuilding the read models, the dossier."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import asyncpg
import typer
from temporalio.client import Client

from banjian.command import command_settings, run_command
from banjian.settings import Settings
from banjian.stack import database_url, temporal_address

ops_app = typer.Typer()
archive_app = typer.Typer(help="The archive of closed cases and its hash chain.")
projections_app = typer.Typer(help="The PostgreSQL read models.", no_args_is_help=True)
ops_app.add_typer(archive_app, name="archive")
ops_app.add_typer(projections_app, name="projections")


@contextlib.asynccontextmanager
async def _connected(settings: Settings) -> AsyncIterator[tuple[Client, asyncpg.Pool]]:
    from banjian.runtime import connect, payload_keys
    from projections.db import create_pool

    pool = await create_pool(database_url(settings), max_size=4)
    try:
        address, keys = temporal_address(settings), payload_keys(settings)
        yield await connect(address, settings.temporal_namespace, keys), pool
    finally:
        await pool.close()


@ops_app.command()
def replay(
    case_id: str, as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False
) -> None:
    """Replay a case's history, show its timeline, and compare it with the read model.

    Exit 0 when the read model matches the history, 1 with every difference when not.
    """
    from documents.replay_report import ReplayReport
    from ops.history import CaseNotFound
    from ops.replay import replay_case

    settings = command_settings()

    async def go() -> ReplayReport | None:
        async with _connected(settings) as (client, pool):
            try:
                return await replay_case(client, pool, case_id, ZoneInfo(settings.timezone))
            except CaseNotFound:
                return None

    report = run_command(go())
    if report is None:
        typer.echo(f"error: case {case_id!r} not found in Temporal or the archive", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report.as_text())
    raise typer.Exit(0 if report.consistent else 1)


@ops_app.command()
def dossier(
    case_id: str,
    output: Annotated[Path | None, typer.Option(help="Write it here, not stdout.")] = None,
    format: Annotated[
        Literal["html", "pdf"], typer.Option(help="A printable HTML page, or an A4 PDF.")
    ] = "html",
) -> None:
    """A printable dossier of a case: the case, every event, its clocks, the archive hash."""
    from documents.dossier import render_dossier
    from ops.history import CaseNotFound
    from ops.replay import replay_case

    if format == "pdf" and output is None:
        typer.echo("error: a PDF is written to a file: give --output FILE", err=True)
        raise typer.Exit(2)
    settings = command_settings()

    async def go() -> str | None:
        async with _connected(settings) as (client, pool):
            try:
                report = await replay_case(client, pool, case_id, ZoneInfo(settings.timezone))
            except CaseNotFound:
                return None
            return render_dossier(report)

    html = run_command(go())
    if html is None:
        typer.echo(f"error: case {case_id!r} not found in Temporal or the archive", err=True)
        raise typer.Exit(1)
    if output is None:
        typer.echo(html)
    elif format == "pdf":
        from documents.pdf import html_to_pdf

        output.write_bytes(html_to_pdf(html))
        typer.echo(f"dossier of {case_id} written to {output} (PDF)")
    else:
        output.write_text(html, encoding="utf-8")
        typer.echo(f"dossier of {case_id} written to {output}")


@archive_app.command("verify")
def archive_verify() -> None:
    """Check the whole hash chain; exit 1 naming each position where it breaks."""
    from projections.archive import ChainReport, verify_chain
    from projections.db import connect

    settings = command_settings()

    async def go() -> ChainReport:
        conn = await connect(database_url(settings))
        try:
            return await verify_chain(conn)
        finally:
            await conn.close()

    report = run_command(go())
    for b in report.breaks:
        typer.echo(f"position {b.position} ({b.case_id}): {b.problem}")
    head = f"{report.entries} entries, head at position {report.head_position} {report.head_hash}"
    if report.intact:
        typer.echo(f"chain intact: {head}")
        return
    typer.echo(f"chain BROKEN: {len(report.breaks)} problem(s); {head}")
    raise typer.Exit(1)


@archive_app.command("now")
def archive_now() -> None:
    """Archive every completed case whose workflow has closed (the worker's Schedule does it each
    minute); say how many."""
    from ops.archive import archive_pending

    settings = command_settings()

    async def go() -> list[str]:
        async with _connected(settings) as (client, pool):
            return await archive_pending(client, pool)

    archived = run_command(go())
    typer.echo(f"{len(archived)} case(s) archived")


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Rebuild cases, events and alerts from the archive and the live workflows, then swap."""
    from ops.rebuild import rebuild_projections

    settings = command_settings()

    async def go() -> str:
        async with _connected(settings) as (client, _):
            with typer.progressbar(length=1, label="rebuilding", file=sys.stderr) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                summary = await rebuild_projections(
                    client, database_url(settings), settings.task_queue, progress
                )
        return summary.as_text()

    typer.echo(run_command(go()))
