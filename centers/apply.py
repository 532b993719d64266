"""Applying a center file: what it adds, changes and retires, written in one transaction.

A file names its center by code: a code not seen before adds a center to the deployment, a
known one updates that center only.

Applying the same file twice changes nothing the second time. A service item whose limits
or materials change gets a new version: cases already received keep the snapshot (and the
version) they were received under; later ones take the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from centers.file import CenterFile
from projections.center_file import CENTER_APPLY_LOCK, current_center, write_center
from projections.db import Conn

Channel = tuple[str, str, str, str | None]


@dataclass
class Section:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.retired)


@dataclass
class Plan:
    center: list[str] = field(default_factory=list)  # the center's own settings that change
    windows: Section = field(default_factory=Section)
    staff: Section = field(default_factory=Section)
    services: Section = field(default_factory=Section)
    channels: Section = field(default_factory=Section)

    @property
    def empty(self) -> bool:
        return not (self.center or self.windows or self.staff or self.services or self.channels)

    def lines(self) -> list[str]:
        if self.empty:
            return ["nothing to change: the center is as the file describes it"]
        out = [f"center: {name} changes" for name in self.center]
        for title, section in (
            ("window", self.windows),
            ("staff", self.staff),
            ("service", self.services),
            ("channel", self.channels),
        ):
            out += [f"+ {title} {x}" for x in section.added]
            out += [f"~ {title} {x}" for x in section.changed]
            out += [f"- {title} {x} (retired)" for x in section.retired]
        return out


def _section(current: dict[str, Any], desired: dict[str, dict[str, Any]]) -> Section:
    return Section(
        added=sorted(set(desired) - set(current)),
        changed=sorted(k for k in set(desired) & set(current) if desired[k] != current[k]),
        retired=sorted(set(current) - set(desired)),
    )


def _channel_name(c: Channel) -> str:
    level, kind, url, _ = c
    host = url.split("/")[2] if url.count("/") >= 2 else "?"
    return f"{level} {kind} {host}"  # never the URL's key or the secret


@dataclass(frozen=True)
class Changes:
    plan: Plan
    desired: dict[str, Any]
    channels_added: set[Channel]
    channels_retired: set[Channel]


def plan_changes(current: dict[str, Any], cf: CenterFile) -> Changes:
    desired = cf.as_center()
    plan = Plan()
    old_center = current["center"]
    plan.center = sorted(
        k
        for k in set(desired["center"]) | set(old_center)
        if desired["center"].get(k) != old_center.get(k)
    )
    plan.windows = _section(current["windows"], {w["code"]: w for w in desired["windows"]})
    plan.staff = _section(current["staff"], {s["id"]: s for s in desired["staff"]})
    plan.services = _section(current["services"], {s["code"]: s for s in desired["services"]})
    want: set[Channel] = {
        (c["level"], c["kind"], c["url"], c["secret"]) for c in desired["channels"]
    }
    have: set[Channel] = current["channels"]
    plan.channels = Section(
        added=sorted(_channel_name(c) for c in want - have),
        retired=sorted(_channel_name(c) for c in have - want),
    )
    return Changes(plan, desired, want - have, have - want)


async def apply_center_file(conn: Conn, cf: CenterFile, *, dry_run: bool = False) -> Plan:
    """What the file changes; written in one transaction unless ``dry_run``."""
    async with conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", CENTER_APPLY_LOCK)
        changes = plan_changes(await current_center(conn, cf.center.code), cf)
        plan = changes.plan
        if dry_run or plan.empty:
            return plan
        await write_center(
            conn,
            changes.desired,
            set(plan.services.added) | set(plan.services.changed),
            {
                "windows": set(plan.windows.retired),
                "staff": set(plan.staff.retired),
                "services": set(plan.services.retired),
            },
            changes.channels_added,
            changes.channels_retired,
        )
    return plan
