"""Written notices (书面通知): which events give the applicant a notice, and what it is drawn from.

A notice is a deterministic function of one event of the case's log, numbered
by that event (``<case>-N<seq>``), so it never changes once issued and a
rebuilt read model issues the same ones. Each is drawn from the event read as its
class (``workflows.event_log.parse``); event types without a notice are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from projections.cases import case_events, get_case
from projections.links import link_url, token_of
from workflows.event_data import DomainEvent
from workflows.event_log import parse
from workflows.events import (
    CaseCompleted,
    CaseReceived,
    CaseReturned,
    ClockPaused,
    DeadlineExtended,
    MaterialsRequested,
)
from workflows.model import Event

# kind: title (the forms the seeds name: 受理通知书, 补正通知书 / 一次性告知, 退回件通知书 …)
RECEIPT, MATERIALS, RETURN, EXTENSION, SUSPENSION, COMPLETION = (
    "receipt",
    "materials",
    "return",
    "extension",
    "suspension",
    "completion",
)
TITLES: dict[str, str] = {
    RECEIPT: "受理通知书",
    MATERIALS: "补正材料通知书（一次性告知）",
    RETURN: "退回通知书",
    EXTENSION: "延期通知书",
    SUSPENSION: "中止计时通知书",
    COMPLETION: "办结通知书",
}


class LoggedEvent(Protocol):
    """What a notice needs of an event: a workflow ``Event`` or a timeline step."""

    @property
    def seq(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...
    @property
    def schema_version(self) -> int: ...


@dataclass(frozen=True)
class Notice:
    case_id: str
    seq: int  # of the event it is drawn from
    kind: str
    issued_at: datetime
    actor: str
    event: DomainEvent  # of the class its kind names

    @property
    def id(self) -> str:
        return f"{self.case_id}-N{self.seq}"

    @property
    def title(self) -> str:
        return TITLES[self.kind]


# The events that may give a notice.
_NOTICED = (
    CaseReceived,
    MaterialsRequested,
    CaseReturned,
    DeadlineExtended,
    ClockPaused,
    CaseCompleted,
)


def notice_kind(event: DomainEvent | None) -> str | None:
    match event:
        case CaseReceived():
            return RECEIPT
        case MaterialsRequested():
            return MATERIALS
        case CaseReturned():
            return RETURN
        case DeadlineExtended():
            return EXTENSION
        case CaseCompleted():
            return COMPLETION
        case ClockPaused(reason=reason):
            # Only a suspension is told in writing; a pause for materials has its materials
            # notice.
            return SUSPENSION if reason == "suspended" else None
    return None


def collect_notices(case_id: str, events: Iterable[LoggedEvent]) -> list[Notice]:
    notices = []
    for e in events:
        event = parse(e, *_NOTICED)
        kind = notice_kind(event)
        if event is not None and kind is not None:
            notices.append(Notice(case_id, e.seq, kind, e.at, e.actor, event))
    return notices


@dataclass(frozen=True)
class CatalogMaterial:
    name: str
    required: bool


@dataclass(frozen=True)
class NoticeCase:
    """The case as its notices state it. ``applicant_id_number`` is raw: the page masks it."""

    case_id: str
    center_name: str
    service_code: str
    service_name: str
    applicant_name: str
    applicant_id_number: str
    received_at: datetime
    catalog: dict[str, CatalogMaterial]  # the service's materials by code
    staff_names: dict[str, str]
    notices: list[Notice]
    # The applicant's link (rating, progress), printed with its QR code on the receipt and the
    # completion notices.
    rating_url: str | None = None
    # Drawn for the applicant's public link: no person named, neither applicant nor staff.
    public: bool = False

    def for_public(self) -> NoticeCase:
        return replace(self, applicant_name="", applicant_id_number="", staff_names={}, public=True)

    def notice(self, notice_id: str) -> Notice | None:
        return next((n for n in self.notices if n.id == notice_id), None)


async def read_notice_case(
    conn: asyncpg.Connection | asyncpg.Pool,
    center: str,
    case_id: str,
    pages_url: str | None = None,
) -> NoticeCase | None:
    """The center's case, its notices and what they name (catalog, staff, center, the
    applicant's link under ``pages_url``); None when unknown (or another center's)."""
    row = await get_case(conn, center, case_id)
    if row is None:
        return None
    events = [
        Event(r["seq"], r["type"], r["at"], r["actor"], r["data"], r["schema_version"])
        for r in await case_events(conn, center, case_id)
    ]
    materials = await conn.fetchval(
        "select materials from services where center_code = $1 and code = $2",
        center,
        row["service_code"],
    )
    name = await conn.fetchval("select name from centers where code = $1", center)
    staff = await conn.fetch("select id, name from staff where center_code = $1", center)
    token = await token_of(conn, center, case_id) if pages_url is not None else None
    return NoticeCase(
        case_id=case_id,
        center_name=str(name or "便民服务中心"),
        service_code=row["service_code"],
        service_name=row["service_name"],
        applicant_name=row["applicant_name"],
        applicant_id_number=row["applicant_id_number"],
        received_at=row["received_at"],
        catalog={
            m["code"]: CatalogMaterial(m["name"], bool(m.get("required"))) for m in materials or []
        },
        staff_names={r["id"]: r["name"] for r in staff},
        notices=collect_notices(case_id, events),
        rating_url=link_url(pages_url, token) if pages_url is not None and token else None,
    )
