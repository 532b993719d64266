"""Turning live workflow state and read-model rows into API bodies, with personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from api.schemas import ApplicantOut, CaseOut, EventOut, SignoffOut
from workflows.model import CaseState, Event


def mask_id_number(value: str) -> str:
    return (
        value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]
        if len(value) > 7
        else "*" * len(value)
    )


def mask_phone(value: str) -> str:
    return (
        value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]
        if len(value) > 7
        else "*" * len(value)
    )


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
            id_number_masked=mask_id_number(s.applicant.id_number),
            phone_masked=mask_phone(s.applicant.phone),
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
            )
            for x in s.signoffs
        ],
        completed_at=_local(s.completed_at, tz),
        last_seq=s.last_seq,
    )


def case_from_row(r: asyncpg.Record, tz: ZoneInfo) -> CaseOut:
    signoffs: list[dict[str, Any]] = r["signoffs"]
    return CaseOut(
        case_id=r["case_id"],
        service_code=r["service_code"],
        service_name=r["service_name"],
        window=r["window_code"],
        kind=r["kind"],
        status=r["status"],
        outcome=r["outcome"],
        urgent=r["urgent"],
        received_at=r["received_at"].astimezone(tz),
        due_at=_local(r["due_at"], tz),
        paused=r["paused"],
        suspended=r["suspended"],
        overdue=r["overdue"],
        warned=r["warned"],
        assignee=r["assignee"],
        first_receiver=r["first_receiver"],
        applicant=ApplicantOut(
            name=r["applicant_name"],
            id_number_masked=mask_id_number(r["applicant_id_number"]),
            phone_masked=mask_phone(r["applicant_phone"]),
        ),
        materials=list(r["materials"]),
        materials_missing=list(r["materials_missing"]),
        signoffs=[
            SignoffOut(
                department=x["department"],
                decision=x["decision"],
                at=_local(datetime.fromisoformat(x["at"]), tz) if x["at"] else None,
                comment=x["comment"],
                by=x["by"],
            )
            for x in signoffs
        ],
        completed_at=_local(r["completed_at"], tz),
        last_seq=r["last_seq"],
    )


def event_from_live(e: Event, tz: ZoneInfo) -> EventOut:
    return EventOut(
        seq=e.seq,
        type=e.type,
        at=e.at.astimezone(tz),
        actor=e.actor,
        data=e.data,
        schema_version=e.schema_version,
    )


def event_from_row(r: asyncpg.Record, tz: ZoneInfo) -> EventOut:
    return EventOut(
        seq=r["seq"],
        type=r["type"],
        at=r["at"].astimezone(tz),
        actor=r["actor"],
        data=r["data"],
        schema_version=r["schema_version"],
    )
