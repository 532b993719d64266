"""The center's own data: windows, staff, the service catalog and staff tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from projections.db import Conn
from workflows.model import (
    AlertLevel,
    ClockPolicy,
    Kind,
    Material,
    Role,
    Rung,
    ServiceSnapshot,
    Supply,
)


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    role: Role
    window: str | None
    post: str | None
    center: str  # the code of the center they work in; ids are unique within it


@dataclass(frozen=True)
class Directory:
    """Everything the API needs to know about one center, read in one go."""

    center: str
    name: str
    # The center's own settings: timezone, office_hours, clock_policy, ... (its file's
    # ``center`` section).
    settings: dict[str, Any]
    windows: dict[str, str]
    staff: dict[str, StaffMember]
    services: dict[str, ServiceSnapshot]
    legal_basis: dict[str, str]
    # Each service's thresholds: the center's policy with the service's overrides.
    policies: dict[str, ClockPolicy] = field(default_factory=dict)
    # Its cases received before centers shared a deployment have bare workflow ids.
    bare_workflow_ids: bool = False


class PolicyError(ValueError):
    """A clock policy in the center's data that cannot be used."""


def clock_policy(raw: dict[str, Any], base: ClockPolicy | None = None) -> ClockPolicy:
    """A policy from its JSON form; keys left out come from ``base`` (or the defaults)."""
    base = base or ClockPolicy()
    unknown = set(raw) - {"warn_days", "ladder", "on_supply", "signoff_days"}
    if unknown:
        raise PolicyError(f"unknown clock policy keys: {', '.join(sorted(unknown))}")
    try:
        ladder = base.ladder
        if "ladder" in raw:
            ladder = [Rung(AlertLevel(r["level"]), int(r["after_days"])) for r in raw["ladder"]]
        policy = ClockPolicy(
            warn_days=int(raw.get("warn_days", base.warn_days)),
            ladder=ladder,
            on_supply=Supply(raw.get("on_supply", base.on_supply)),
            signoff_days=int(raw.get("signoff_days", base.signoff_days)),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise PolicyError(f"clock policy is not valid: {err}") from None
    if policy.warn_days < 0 or policy.signoff_days < 1:
        raise PolicyError("warn_days must be 0 or more and signoff_days 1 or more")
    if any(r.after_days < 0 or r.level is AlertLevel.WINDOW_HEAD for r in policy.ladder):
        raise PolicyError("ladder rungs climb above the window head after 0 or more days")
    if [r.after_days for r in policy.ladder] != sorted(r.after_days for r in policy.ladder):
        raise PolicyError("ladder rungs must come in the order they are reached")
    return policy


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def load_directories(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, Directory]:
    """Every center's directory, by center code."""
    codes = [r["code"] for r in await conn.fetch("select code from centers order by code")]
    return {code: await load_directory(conn, code) for code in codes}


async def load_directory(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> Directory:
    windows = {
        r["code"]: r["name"]
        for r in await conn.fetch(
            "select code, name from windows where center_code = $1 and active order by code", code
        )
    }
    staff = {
        r["id"]: StaffMember(r["id"], r["name"], Role(r["role"]), r["window_code"], r["post"], code)
        for r in await conn.fetch(
            "select id, name, role, window_code, post from staff"
            " where center_code = $1 and active order by id",
            code,
        )
    }
    services: dict[str, ServiceSnapshot] = {}
    legal_basis: dict[str, str] = {}
    policies: dict[str, ClockPolicy] = {}
    row = await conn.fetchrow(
        "select name, settings, bare_workflow_ids from centers where code = $1", code
    )
    center: dict[str, Any] = dict(row["settings"]) if row is not None else {}
    center_policy = clock_policy(center.get("clock_policy", {}))
    for r in await conn.fetch(
        "select * from services where center_code = $1 and active order by code", code
    ):
        services[r["code"]] = ServiceSnapshot(
            code=r["code"],
            name=r["name"],
            window=r["window_code"],
            kind=Kind(r["kind"]),
            promised_days=r["promised_days"],
            legal_days=r["legal_days"],
            materials=[Material(m["code"], m["name"], m["required"]) for m in r["materials"]],
            departments=list(r["departments"]),
            version=r["version"],
        )
        legal_basis[r["code"]] = r["legal_basis"]
        policies[r["code"]] = clock_policy(r["clock_policy"], center_policy)
    name = row["name"] if row is not None else code
    bare = bool(row["bare_workflow_ids"]) if row is not None else False
    return Directory(code, name, center, windows, staff, services, legal_basis, policies, bare)


async def staff_for_token(
    conn: asyncpg.Connection | asyncpg.Pool, token: str
) -> StaffMember | None:
    """The active staff member a token stands for; None when it is unknown, revoked, expired
    or its holder deactivated."""
    r = await conn.fetchrow(
        "select s.id, s.name, s.role, s.window_code, s.post, s.center_code from tokens t"
        " join staff s on s.center_code = t.center_code and s.id = t.staff_id"
        " where t.token_hash = $1 and t.revoked_at is null and s.active"
        " and (t.expires_at is null or t.expires_at > now())",
        hash_token(token),
    )
    if r is None:
        return None
    return StaffMember(
        r["id"], r["name"], Role(r["role"]), r["window_code"], r["post"], r["center_code"]
    )


@dataclass(frozen=True)
class TokenIssued:
    id: str
    token: str  # shown once; only its hash is stored
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenRecord:
    id: str
    center: str
    staff_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


async def issue_token(
    conn: asyncpg.Connection | asyncpg.Pool,
    center: str,
    staff_id: str,
    expires_in: timedelta | None = None,
) -> TokenIssued:
    """A new opaque token for a staff member of ``center``, valid for ``expires_in`` (None:
    until revoked)."""
    token = "bj_" + secrets.token_urlsafe(32)
    digest = hash_token(token)
    expires_at: datetime | None = await conn.fetchval(
        "insert into tokens (token_hash, id, center_code, staff_id, expires_at)"
        " values ($1, $2, $3, $4, now() + $5::interval) returning expires_at",
        digest,
        digest[:12],
        center,
        staff_id,
        expires_in,
    )
    return TokenIssued(digest[:12], token, expires_at)


async def create_token(conn: asyncpg.Connection | asyncpg.Pool, center: str, staff_id: str) -> str:
    """A new token that lasts until revoked; only its hash is stored."""
    return (await issue_token(conn, center, staff_id)).token


async def list_tokens(
    conn: asyncpg.Connection | asyncpg.Pool,
    center: str | None = None,
    staff_id: str | None = None,
) -> list[TokenRecord]:
    """The tokens of a center (None: every center's), of one staff member if named."""
    rows = await conn.fetch(
        "select id, center_code, staff_id, created_at, expires_at, revoked_at from tokens"
        " where ($1::text is null or center_code = $1) and ($2::text is null or staff_id = $2)"
        " order by created_at, id",
        center,
        staff_id,
    )
    return [
        TokenRecord(
            r["id"],
            r["center_code"],
            r["staff_id"],
            r["created_at"],
            r["expires_at"],
            r["revoked_at"],
        )
        for r in rows
    ]


async def revoke_token(
    conn: asyncpg.Connection | asyncpg.Pool, token_id: str, center: str | None = None
) -> bool | None:
    """Revoke a token by its id (within ``center`` if given): True if revoked now, False if it
    was already, None if unknown."""
    revoked: bool | None = await conn.fetchval(
        "update tokens set revoked_at = coalesce(revoked_at, now())"
        " where id = $1 and ($2::text is null or center_code = $2)"
        " returning revoked_at = now()",
        token_id,
        center,
    )
    return revoked


class StaffError(ValueError):
    """A staff change that the center's data refuses, said in words for the user."""


async def add_staff(conn: Conn, member: StaffMember) -> None:
    async with conn.transaction():
        if not await conn.fetchval(
            "select exists (select 1 from centers where code = $1)", member.center
        ):
            raise StaffError(f"no center {member.center!r}")
        if await conn.fetchval(
            "select exists (select 1 from staff where center_code = $1 and id = $2)",
            member.center,
            member.id,
        ):
            raise StaffError(f"staff member {member.id!r} exists already")
        await _check_post(conn, member)
        await conn.execute(
            "insert into staff (center_code, id, name, role, window_code, post)"
            " values ($1, $2, $3, $4, $5, $6)",
            member.center,
            member.id,
            member.name,
            member.role.value,
            member.window,
            member.post,
        )


async def move_staff(
    conn: Conn, center: str, staff_id: str, window: str | None, post: str | None
) -> StaffMember:
    async with conn.transaction():
        r = await conn.fetchrow(
            "select id, name, role from staff where center_code = $1 and id = $2 and active"
            " for update",
            center,
            staff_id,
        )
        if r is None:
            raise StaffError(f"no active staff member {staff_id!r}")
        member = StaffMember(r["id"], r["name"], Role(r["role"]), window, post, center)
        await _check_post(conn, member)
        await conn.execute(
            "update staff set window_code = $3, post = $4 where center_code = $1 and id = $2",
            center,
            staff_id,
            window,
            post,
        )
        return member


async def deactivate_staff(conn: Conn, center: str, staff_id: str) -> bool:
    """Deactivate a staff member: every token of theirs stops working at once. False when
    there is no such active staff member."""
    done: str | None = await conn.fetchval(
        "update staff set active = false where center_code = $1 and id = $2 and active"
        " returning id",
        center,
        staff_id,
    )
    return done is not None


async def _check_post(conn: Conn, member: StaffMember) -> None:
    if member.role in (Role.CLERK, Role.WINDOW_HEAD) and member.window is None:
        raise StaffError(f"a {member.role.value} belongs to a window")
    if member.window is not None and not await conn.fetchval(
        "select exists (select 1 from windows where center_code = $1 and code = $2)",
        member.center,
        member.window,
    ):
        raise StaffError(f"no window {member.window!r}")
    if member.post is not None and member.post not in ("A", "B"):
        raise StaffError("a post is A or B")


async def center_is_loaded(conn: asyncpg.Connection) -> bool:
    """Whether any center was applied."""
    return bool(await conn.fetchval("select exists (select 1 from services)"))
