"""``banjian center apply``, ``banjian staff ...`` and ``banjian token ...``: a center from its
file, its staff and their API tokens over their lifetime. A deactivated staff member's
tokens, and a revoked or expired token, are refused by the API at its next request."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import asyncpg
import typer

from banjian.command import command_settings as _settings
from banjian.command import run_command as _run
from banjian.stack import database_url

center_app = typer.Typer(help="A center described by one file.", no_args_is_help=True)
staff_app = typer.Typer(help="The center's staff.", no_args_is_help=True)
token_app = typer.Typer(help="Staff API tokens.", no_args_is_help=True)

T = TypeVar("T")
RoleName = Literal["clerk", "window_head", "director", "ops", "discipline", "province"]
Post = Literal["A", "B"]


def _with_db(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    from projections.db import connect

    settings = _settings()

    async def go() -> T:
        conn = await connect(database_url(settings))
        try:
            return await work(conn)
        finally:
            await conn.close()

    return _run(go())


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


CenterOption = Annotated[
    str | None,
    typer.Option("--center", help="The center's code; needed when the deployment has several."),
]


class _NoCenter(Exception):
    pass


async def _center_of(conn: asyncpg.Connection, given: str | None) -> str:
    """The center a command is about: the one named, or the deployment's only one."""
    codes = [r["code"] for r in await conn.fetch("select code from centers order by code")]
    if given is not None:
        if given not in codes:
            raise _NoCenter(f"no center {given!r} (apply its file first)")
        return given
    if len(codes) != 1:
        raise _NoCenter(
            "no center applied yet" if not codes else f"name the center: --center {'|'.join(codes)}"
        )
    return str(codes[0])


def in_center(given: str | None, work: Callable[[asyncpg.Connection, str], Awaitable[T]]) -> T:
    async def go(conn: asyncpg.Connection) -> T:
        return await work(conn, await _center_of(conn, given))

    try:
        return _with_db(go)
    except _NoCenter as err:
        raise _fail(str(err)) from None


@center_app.command("apply")
def center_apply(
    file: Annotated[Path, typer.Argument(help="The center's YAML file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and show the changes; change nothing.")
    ] = False,
) -> None:
    """Check the whole file, show what it adds, changes and retires, and apply it in one
    transaction. An error names the file, the line and the field; nothing is changed."""
    from centers.apply import apply_center_file
    from centers.file import CenterFileError, read_center_file

    try:
        center = read_center_file(file)
    except CenterFileError as err:
        for problem in err.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    plan = _with_db(lambda conn: apply_center_file(conn, center, dry_run=dry_run))
    for line in plan.lines():
        typer.echo(line)
    if not plan.empty:
        typer.echo("dry run: nothing changed" if dry_run else f"applied {center.center.code}")


@staff_app.command("list")
def staff_list(
    as_json: Annotated[bool, typer.Option("--json")] = False, center: CenterOption = None
) -> None:
    """List the center's active staff: id, name, role, window, post."""
    from projections.center import load_directory

    directory = in_center(center, load_directory)
    rows = [
        {"id": s.id, "name": s.name, "role": s.role.value, "window": s.window, "post": s.post}
        for s in directory.staff.values()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r['id']:<12} {r['name']:<6}\t{r['role']:<12} {r['window'] or '-':<10} "
            f"{r['post'] or '-'}"
        )


@staff_app.command("add")
def staff_add(
    staff_id: Annotated[str, typer.Option("--id", help="Staff id, unique in the center.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[RoleName, typer.Option(help="What the staff member may do.")],
    window: Annotated[str | None, typer.Option(help="Window code (clerks, window heads).")] = None,
    post: Annotated[Post | None, typer.Option(help="A or B post at the window (AB岗).")] = None,
    center: CenterOption = None,
) -> None:
    """Add a staff member."""
    from projections.center import StaffError, StaffMember, add_staff
    from workflows.model import Role

    if not staff_id.strip() or not name.strip():
        raise _fail("a staff member needs an id and a name")

    async def go(conn: asyncpg.Connection, code: str) -> StaffMember:
        member = StaffMember(staff_id.strip(), name.strip(), Role(role), window, post, code)
        await add_staff(conn, member)
        return member

    try:
        member = in_center(center, go)
    except StaffError as err:
        raise _fail(str(err)) from None
    typer.echo(f"added {member.id} ({member.role.value}, {member.window or '-'})")


@staff_app.command("move")
def staff_move(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")],
    window: Annotated[str | None, typer.Option(help="The new window code.")] = None,
    post: Annotated[Post | None, typer.Option(help="The post at it: A or B.")] = None,
    center: CenterOption = None,
) -> None:
    """Move a staff member to another window or post."""
    from projections.center import StaffError, move_staff

    try:
        member = in_center(center, lambda conn, c: move_staff(conn, c, staff_id, window, post))
    except StaffError as err:
        raise _fail(str(err)) from None
    typer.echo(f"{member.id} now at {member.window or '-'} (post {member.post or '-'})")


@staff_app.command("deactivate")
def staff_deactivate(
    staff_id: Annotated[str, typer.Argument(help="Staff id.")], center: CenterOption = None
) -> None:
    """Deactivate a staff member: their tokens stop working at once; their history stays."""
    from projections.center import deactivate_staff

    if not in_center(center, lambda conn, c: deactivate_staff(conn, c, staff_id)):
        raise _fail(f"no active staff member {staff_id!r}")
    typer.echo(f"deactivated {staff_id}")


@token_app.command("create")
def token_create(
    staff: Annotated[str, typer.Option("--staff", help="Staff id.")],
    expires_in: Annotated[
        int | None, typer.Option("--expires-in", min=1, help="Days until it expires.")
    ] = None,
    center: CenterOption = None,
) -> None:
    """Create an API token for a staff member; the token is the last line of output."""
    from projections.center import TokenIssued, issue_token, load_directory

    async def go(conn: asyncpg.Connection, code: str) -> TokenIssued | None:
        if staff not in (await load_directory(conn, code)).staff:
            return None
        days = timedelta(days=expires_in) if expires_in is not None else None
        return await issue_token(conn, code, staff, days)

    issued = in_center(center, go)
    if issued is None:
        raise _fail(f"no active staff member {staff!r} (see `banjian staff list`)")
    until = issued.expires_at.isoformat() if issued.expires_at else "until revoked"
    typer.echo(f"token {issued.id} for {staff}, valid {until} (shown once; only its hash is kept):")
    typer.echo(issued.token)


@token_app.command("list")
def token_list(
    staff: Annotated[str | None, typer.Option("--staff", help="Only this staff member's.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    center: Annotated[
        str | None, typer.Option("--center", help="Only this center's (default: every center).")
    ] = None,
) -> None:
    """List tokens: id, center, staff, created, expires, state (never the token itself)."""
    from projections.center import list_tokens

    now = datetime.now(UTC)
    tokens = _with_db(lambda conn: list_tokens(conn, center, staff))
    if as_json:
        rows = [
            {
                "id": t.id,
                "center": t.center,
                "staff_id": t.staff_id,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "state": t.state(now),
            }
            for t in tokens
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    for t in tokens:
        expires = t.expires_at.isoformat()[:19] if t.expires_at else "-"
        typer.echo(
            f"{t.id}  {t.center:<8} {t.staff_id:<12} {t.created_at.isoformat()[:19]}  "
            f"{expires:<19}  {t.state(now)}"
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token: its next request is refused, on every API replica."""
    from projections.center import revoke_token

    revoked = _with_db(lambda conn: revoke_token(conn, token_id))
    if revoked is None:
        raise _fail(f"no token {token_id!r} (see `banjian token list`)")
    typer.echo(f"token {token_id} revoked" if revoked else f"token {token_id} was revoked already")
