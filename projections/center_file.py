"""A center applied from its file (``centers.apply``): the center as the database holds it,
and the writes one apply makes, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from projections.db import Conn

# Held while a center file is compared and applied, so two applies do not interleave.
CENTER_APPLY_LOCK = 0x63656E74  # "cent"


async def current_center(conn: Conn, code: str) -> dict[str, Any]:
    """The center ``code`` as the database holds it (empty before it is first applied), in the
    shape of a center file's description: ``windows``, ``staff`` and ``services`` keyed by
    code (active ones only), ``channels`` as the active (level, kind, url, secret) tuples."""
    settings = await conn.fetchval("select settings from centers where code = $1", code)
    center = dict(settings) if settings is not None else {}
    windows = {
        r["code"]: {"code": r["code"], "name": r["name"]}
        for r in await conn.fetch(
            "select code, name from windows where center_code = $1 and active", code
        )
    }
    staff = {
        r["id"]: {
            "id": r["id"],
            "name": r["name"],
            "role": r["role"],
            "window": r["window_code"],
            "post": r["post"],
        }
        for r in await conn.fetch(
            "select id, name, role, window_code, post from staff where center_code = $1 and active",
            code,
        )
    }
    services = {
        r["code"]: {
            "code": r["code"],
            "name": r["name"],
            "window": r["window_code"],
            "kind": r["kind"],
            "promised_days": r["promised_days"],
            "legal_days": r["legal_days"],
            "legal_basis": r["legal_basis"],
            "materials": r["materials"],
            "departments": list(r["departments"]),
            "fees": r["fees"],
            "clock_policy": r["clock_policy"],
        }
        for r in await conn.fetch("select * from services where center_code = $1 and active", code)
    }
    channels = {
        (r["level"], r["kind"], r["url"], r["secret"])
        for r in await conn.fetch(
            "select level, kind, url, secret from alert_channels where center_code = $1 and active",
            code,
        )
    }
    return {
        "center": center,
        "windows": windows,
        "staff": staff,
        "services": services,
        "channels": channels,
    }


async def write_center(
    conn: Conn,
    desired: dict[str, Any],
    changed_services: set[str],
    retired: dict[str, set[str]],
    channels_added: set[tuple[str, str, str, str | None]],
    channels_retired: set[tuple[str, str, str, str | None]],
) -> None:
    """Write what a center file changes, in the caller's transaction: upserts, the retired
    windows, staff (deactivated: their tokens stop working) and service items, the channels;
    a changed item's version goes up, so later cases record the new one. A center not seen
    before is added."""
    settings = desired["center"]
    code = settings["code"]
    await conn.execute(
        "insert into centers (code, name, settings) values ($1, $2, $3::jsonb)"
        " on conflict (code) do update set name = excluded.name, settings = excluded.settings",
        code,
        settings.get("name", code),
        settings,
    )
    await conn.executemany(
        "insert into windows (center_code, code, name) values ($1, $2, $3)"
        " on conflict (center_code, code) do update set name = excluded.name, active = true",
        [(code, w["code"], w["name"]) for w in desired["windows"]],
    )
    await conn.executemany(
        "insert into staff (center_code, id, name, role, window_code, post)"
        " values ($1, $2, $3, $4, $5, $6)"
        " on conflict (center_code, id) do update set name = excluded.name,"
        " role = excluded.role, window_code = excluded.window_code, post = excluded.post,"
        " active = true",
        [
            (code, s["id"], s["name"], s["role"], s.get("window"), s.get("post"))
            for s in desired["staff"]
        ],
    )
    await conn.executemany(
        "insert into services (code, name, window_code, kind, promised_days, legal_days,"
        " legal_basis, materials, departments, fees, clock_policy, center_code)"
        " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " on conflict (center_code, code) do update set name = excluded.name,"
        " window_code = excluded.window_code, kind = excluded.kind,"
        " promised_days = excluded.promised_days, legal_days = excluded.legal_days,"
        " legal_basis = excluded.legal_basis, materials = excluded.materials,"
        " departments = excluded.departments, fees = excluded.fees,"
        " clock_policy = excluded.clock_policy, active = true,"
        " version = services.version + 1",
        [
            (
                s["code"],
                s["name"],
                s["window"],
                s["kind"],
                s["promised_days"],
                s["legal_days"],
                s["legal_basis"],
                s["materials"],
                s["departments"],
                s["fees"],
                s["clock_policy"],
                code,
            )
            for s in desired["services"]
            if s["code"] in changed_services
        ],
    )
    for table, key, retiring in (
        ("staff", "id", retired["staff"]),
        ("services", "code", retired["services"]),
        ("windows", "code", retired["windows"]),
    ):
        await conn.execute(
            f"update {table} set active = false where center_code = $1 and {key} = any($2)",
            code,
            retiring,
        )
    for level, kind, url, secret in channels_retired:
        await conn.execute(
            "update alert_channels set active = false where center_code = $1 and active"
            " and level = $2 and kind = $3 and url = $4 and secret is not distinct from $5",
            code,
            level,
            kind,
            url,
            secret,
        )
    await conn.executemany(
        "insert into alert_channels (center_code, level, kind, url, secret)"
        " values ($1, $2, $3, $4, $5)",
        [(code, *c) for c in sorted(channels_added, key=str)],
    )
