"""Turning live workflow state and read-model rows into API bodies, with personal data masked.

An event is answered as its type's current version: one recorded in an older shape is
upcast (``workflows.event_log.parse``); one of a type this release does not know, as
recorded.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg

from api.schemas import ApplicantOut, CaseOut, EventOut, SignoffOut
from documents.masking import mask
from workflows.event_log import parse
from workflows.model import (
    Applicant,
    CaseState,
    Event,
    Kind,
    Outcome,
    Review,
    Signoff,
    Status,
    Upward,
)

T = TypeVar("T", Upward, Review)


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz) if at is not None else None


def case_from_state(s: CaseState, tz: ZoneInfo) -> CaseOut:
    return CaseOut(
        case_id=s.case_id,
        service_code=s.service_code,
        service_name=s.service_name,
        window=s.window,
        kind=s.kind.value,
        status=s.status.value,
        outcome=s.outcome.value if s.outcome else None,
        urgent=s.urgent,
        received_at=s.received_at.astimezone(tz),
        due_at=_local(s.due_at, tz),
        paused=s.paused,
        suspended=s.suspended,
        overdue=s.overdue,
        warned=s.warned,
        assignee=s.assignee,
        first_receiver=s.first_receiver,
        applicant=ApplicantOut(
            name=s.applicant.name,
            id_number_masked=mask(s.applicant.id_number),
            phone_masked=mask(s.applicant.phone),
        ),
        materials=s.materials,
        materials_missing=s.materials_missing,
        signoffs=[
            SignoffOut(
                department=x.department,
                decision=x.decision,
                at=_local(x.at, tz),
                comment=x.comment,
                by=x.by,
                due_at=_local(x.due_at, tz),
                overdue=x.overdue,
            )
            for x in s.signoffs
        ],
        completed_at=_local(s.completed_at, tz),
        last_seq=s.last_seq,
        provisional=s.provisional,
        legal_due_at=_local(s.legal_due_at, tz),
        legal_overdue=s.legal_overdue,
        upward=_local_fields(dataclasses.asdict(s.upward), tz) if s.upward else None,
        review=_local_fields(dataclasses.asdict(s.review), tz) if s.review else None,
    )


def _local_fields(fields: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    return {k: v.astimezone(tz) if isinstance(v, datetime) else v for k, v in fields.items()}


def _from_json(cls: type[T], row: dict[str, Any] | None) -> T | None:
    """A dataclass back from its JSON column, its instants parsed."""
    if row is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {
        k: _instant(v) if k.endswith("_at") or k == "until" else v
        for k, v in row.items()
        if k in names
    }
    return cls(**values)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def case_from_row(r: asyncpg.Record, tz: ZoneInfo) -> CaseOut:
    signoffs: list[dict[str, Any]] = r["signoffs"]
    state = CaseState(
        case_id=r["case_id"],
        service_code=r["service_code"],
        service_name=r["service_name"],
        window=r["window_code"],
        kind=Kind(r["kind"]),
        status=Status(r["status"]),
        outcome=Outcome(r["outcome"]) if r["outcome"] else None,
        urgent=r["urgent"],
        received_at=r["received_at"],
        due_at=r["due_at"],
        warn_at=r["warn_at"],
        paused=r["paused"],
        suspended=r["suspended"],
        overdue=r["overdue"],
        warned=r["warned"],
        assignee=r["assignee"],
        first_receiver=r["first_receiver"],
        applicant=Applicant(r["applicant_name"], r["applicant_id_number"], r["applicant_phone"]),
        materials=list(r["materials"]),
        materials_missing=list(r["materials_missing"]),
        signoffs=[
            Signoff(
                department=x["department"],
                decision=x["decision"],
                at=_instant(x["at"]),
                comment=x["comment"],
                by=x["by"],
                due_at=_instant(x.get("due_at")),
                overdue=x.get("overdue", False),
            )
            for x in signoffs
        ],
        completed_at=r["completed_at"],
        last_seq=r["last_seq"],
        request_hash="",
        provisional=r["provisional"],
        legal_due_at=r["legal_due_at"],
        legal_overdue=r["legal_overdue"],
        upward=_from_json(Upward, r["upward"]),
        review=_from_json(Review, r["review"]),
        return_by=r["return_by"],
    )
    return case_from_state(state, tz)


def event_from_live(e: Event, tz: ZoneInfo) -> EventOut:
    event = parse(e)
    return EventOut(
        seq=e.seq,
        type=e.type,
        at=e.at.astimezone(tz),
        actor=e.actor,
        data=e.data if event is None else event.to_data(),
        schema_version=e.schema_version if event is None else event.VERSION,
    )


def recorded_event_from_row(r: asyncpg.Record, tz: ZoneInfo) -> EventOut:
    """An event as recorded, not read as a case's event type (a complaint's events share
    some names with a case's, not their data)."""
    return EventOut(
        seq=r["seq"],
        type=r["type"],
        at=r["at"].astimezone(tz),
        actor=r["actor"],
        data=r["data"],
        schema_version=r["schema_version"],
    )


def event_from_row(r: asyncpg.Record, tz: ZoneInfo) -> EventOut:
    stored = Event(r["seq"], r["type"], r["at"], r["actor"], r["data"], r["schema_version"])
    return event_from_live(stored, tz)
