"""The ``banjian`` command: run the system, its processes, and the center's administration."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from banjian.center_cli import CenterOption, center_app, in_center, staff_app, token_app
from banjian.command import command_settings as _settings
from banjian.command import run_command as _run
from banjian.ops_cli import ops_app
from banjian.settings import Settings
from banjian.stack import database_url, run_stack, temporal_address

app = typer.Typer(
    help="banjian (办件): case workflows for one-stop service centers.",
    no_args_is_help=True,
    add_completion=False,
)
demo_app = typer.Typer(help="The demo center.", no_args_is_help=True)
calendar_app = typer.Typer(help="The center's working-day calendar.", no_args_is_help=True)
channels_app = typer.Typer(help="Where supervisors' alerts are delivered.", no_args_is_help=True)
app.add_typer(center_app, name="center")
app.add_typer(staff_app, name="staff")
app.add_typer(token_app, name="token")
app.add_typer(demo_app, name="demo")
app.add_typer(channels_app, name="channels")
app.add_typer(calendar_app, name="calendar")
app.add_typer(ops_app)  # replay, dossier, archive, projections

if TYPE_CHECKING:
    from workdays.notice import HolidayNotice


@app.command()
def run(
    sandbox: Annotated[bool, typer.Option(help="Time-skipping clock and throwaway data.")] = False,
    port: Annotated[int | None, typer.Option(help="API port (default 8000).")] = None,
) -> None:
    """Start the whole system (PostgreSQL, Temporal, worker, API) until Ctrl-C."""
    settings = _settings()
    if port is not None:
        settings = settings.model_copy(update={"api_port": port})
    _run(run_stack(settings, sandbox=sandbox))


@app.command()
def worker() -> None:
    """Run a case worker against the configured Temporal and PostgreSQL."""
    from banjian.runtime import run_worker

    settings = _settings()
    _run(run_worker(settings, temporal_address(settings), database_url(settings)))


@app.command()
def api() -> None:
    """Serve the HTTP API against the configured Temporal and PostgreSQL."""
    from banjian.runtime import run_api

    settings = _settings()
    _run(run_api(settings, temporal_address(settings), database_url(settings)))


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    from projections.db import connect
    from projections.migrate import migrate as apply

    settings = _settings()

    async def go() -> list[str]:
        conn = await connect(database_url(settings))
        try:
            return await apply(conn)
        finally:
            await conn.close()

    applied = _run(go())
    typer.echo("\n".join(applied) if applied else "database is up to date")


@demo_app.command("load")
def demo_load() -> None:
    """Load (or refresh) the demo center: its windows, staff and services, from its file."""
    from centers.apply import apply_center_file
    from centers.demo import demo_center_file
    from projections.db import connect

    settings = _settings()

    async def go() -> None:
        conn = await connect(database_url(settings))
        try:
            await apply_center_file(conn, demo_center_file())
        finally:
            await conn.close()

    _run(go())
    typer.echo("demo center loaded")


Level = Literal["window_head", "director", "discipline"]
ChannelKind = Literal["webhook", "wecom", "dingtalk"]


@channels_app.command("add")
def channels_add(
    level: Annotated[Level, typer.Option(help="Who is alerted through it.")],
    kind: Annotated[ChannelKind, typer.Option(help="A signed webhook or a group robot.")],
    url: Annotated[str, typer.Option(help="The webhook or robot URL.")],
    secret: Annotated[
        str | None, typer.Option(help="HMAC key (webhook) or 加签 secret (DingTalk).")
    ] = None,
    center: CenterOption = None,
) -> None:
    """Deliver a center's alerts of a level to a channel (a level may have several)."""
    from projections.notifications import add_channel

    channel_id = in_center(center, lambda conn, c: add_channel(conn, c, level, kind, url, secret))
    typer.echo(f"channel {channel_id} added: {kind} for {level}")


@channels_app.command("list")
def channels_list() -> None:
    """The active channels, secrets hidden."""
    from projections.db import connect
    from projections.notifications import active_channels

    settings = _settings()

    async def go() -> list[tuple[int, str, str, bool]]:
        conn = await connect(database_url(settings))
        try:
            rows = await active_channels(conn, None)
        finally:
            await conn.close()
        return [(r["id"], r["level"], r["kind"], r["signed"]) for r in rows]

    for channel_id, level, kind, signed in _run(go()):
        typer.echo(f"{channel_id:>4}  {level:<12} {kind:<9} {'signed' if signed else 'unsigned'}")


class _CalendarRefused(Exception):
    """The calendar is left as it was: why, for the user."""


async def _change_calendar(
    settings: Settings, staff: str, notice: HolidayNotice | None, closure: tuple[date, str] | None
) -> str:
    """Record a notice or a closure as ``staff``, then wait for the recount of the open cases it
    may touch (the worker runs it).

    ``staff`` must be an active member of the center allowed to make the change through the API
    too: the director or ops for a notice, the director for a closure.
    """
    from banjian.runtime import connect as temporal_connect
    from banjian.runtime import payload_keys
    from centers.calendar import (
        CLOSURE_ROLES,
        NOTICE_ROLES,
        apply_closure,
        apply_notice,
        recounted,
    )
    from projections.center import load_directories
    from projections.db import create_pool
    from workflows.model import Actor

    if notice is not None:
        roles, doing = NOTICE_ROLES, "import a holiday notice"
    else:
        roles, doing = CLOSURE_ROLES, "close the center"
    pool = await create_pool(database_url(settings))
    try:
        found = [
            d.staff[staff] for d in (await load_directories(pool)).values() if staff in d.staff
        ]
        if not found:
            raise _CalendarRefused(f"no active staff member {staff!r} (see `banjian staff list`)")
        if len(found) > 1 and closure is not None:
            raise _CalendarRefused(f"staff id {staff!r} is in several centers")
        member = found[0]
        if member.role not in roles:
            who = " or ".join(r.value for r in roles)
            raise _CalendarRefused(
                f"{staff} has role {member.role.value}: only the {who} may {doing}"
            )
        actor = Actor(member.id, member.role, member.window)
        client = await temporal_connect(
            temporal_address(settings), settings.temporal_namespace, payload_keys(settings)
        )
        queue = settings.task_queue
        if notice is not None:
            change = await apply_notice(client, pool, queue, notice, actor)
        else:
            assert closure is not None
            change = await apply_closure(
                client, pool, queue, member.center, closure[0], closure[1], actor
            )
    finally:
        await pool.close()
    done = await recounted(client, change.id)
    return (
        f"calendar changed for {change.first}..{change.last};"
        f" {done.cases} open cases recounted, {done.recalculated} limits moved"
        f" (recount {change.id})"
    )


def _calendar(
    staff: str, notice: HolidayNotice | None, closure: tuple[date, str] | None = None
) -> None:
    try:
        typer.echo(_run(_change_calendar(_settings(), staff, notice, closure)))
    except _CalendarRefused as err:
        typer.echo(f"error: {err}; the calendar is unchanged", err=True)
        raise typer.Exit(1) from None


@calendar_app.command("import")
def calendar_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".json or .ics")],
    staff: Annotated[
        str, typer.Option(help="Who imports it (recorded): ops or the director.")
    ] = "ops",
) -> None:
    """Import a year's holiday notice and recount the open cases it touches."""
    from workdays.notice import NoticeError, parse_notice

    try:
        notice = parse_notice(path.read_text(encoding="utf-8"), path.name)
    except NoticeError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    _calendar(staff, notice)


@calendar_app.command("close")
def calendar_close(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    reason: Annotated[str, typer.Option(help="Why the center is closed.")],
    staff: Annotated[
        str, typer.Option(help="Who closes it (recorded): the director.")
    ] = "director",
) -> None:
    """Close the center for a day and recount the open cases it touches."""
    try:
        closed = date.fromisoformat(day)
    except ValueError:
        typer.echo(f"error: {day!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(1) from None
    if not reason.strip():
        typer.echo("error: a closure needs a written reason (--reason)", err=True)
        raise typer.Exit(1)
    _calendar(staff, None, (closed, reason))


def main() -> None:
    """The ``banjian`` command: ``app``, then an exit that skips the interpreter's teardown.

    A command that used a Temporal client leaves the SDK's core threads (Rust) winding down;
    CPython finalizing under them can abort the finished process ("PyGILState_Release: thread
    state ... must be current", temporalio/sdk-python#300), so a command whose work is done
    would exit 134. Every command's work is over when ``app`` returns: its output is flushed
    and the process leaves with the command's own exit status.
    """
    try:
        app(prog_name="banjian")
        code: int = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
