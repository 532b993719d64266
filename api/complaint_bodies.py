"""A complaint's bodies in the API, and the complainant shown or masked by who asks.

The complainant's name and phone are shown to the director and discipline inspection
only (``applicant.complaints.CONFIDANTS``), masked like an ID number to everyone else,
the window complained about included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from api.schemas import Code, NotBlank, Phone, Strict
from applicant.complaints import ComplaintState, sees_complainant
from documents.masking import mask
from workflows.model import Role


class AboutIn(Strict):
    window: Code | None = None
    staff: Code | None = None
    case_id: Annotated[str | None, Field(max_length=64)] = None

    @model_validator(mode="after")
    def _something(self) -> AboutIn:
        if self.window is None and self.staff is None and self.case_id is None:
            raise ValueError("name the window, the staff member or the case complained about")
        return self


class ComplainantIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), NotBlank]
    phone: Phone


class ComplaintIn(Strict):
    channel: Literal["window", "phone", "letter", "online"]
    about: AboutIn
    complainant: ComplainantIn
    text: Annotated[str, Field(min_length=1, max_length=5000), NotBlank]
    complicated: bool = False


class AnswerIn(Strict):
    finding: Literal["upheld", "not_upheld"]
    text: Annotated[str, Field(min_length=1, max_length=5000), NotBlank]


class AboutOut(BaseModel):
    window: str | None
    staff: str | None
    case_id: str | None


class ComplainantOut(BaseModel):
    name: str
    phone: str
    masked: bool  # true unless the viewer is the director or discipline inspection


class ComplaintOut(BaseModel):
    id: str
    channel: str
    about: AboutOut
    window: str | None  # the window that answers for it
    units: list[str]  # every window the complaint involves
    complicated: bool
    limit_days: int
    status: str  # open | answered
    text: str
    complainant: ComplainantOut
    received_at: datetime
    received_by: str
    due_at: datetime | None
    warned: bool
    overdue: bool
    finding: str | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    on_time: bool | None
    notice_url: str | None  # the written answer to a letter, once answered


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz) if at is not None else None


def complaint_out(c: dict[str, Any], viewer: Role, tz: ZoneInfo) -> ComplaintOut:
    """A complaint as ``fields_of_state`` or ``fields_of_row`` give it, for this viewer."""
    shown = sees_complainant(viewer)
    name, phone = c["complainant_name"], c["complainant_phone"]
    written = c["channel"] == "letter" and c["status"] == "answered"
    return ComplaintOut(
        id=c["id"],
        channel=c["channel"],
        about=AboutOut(window=c["about_window"], staff=c["about_staff"], case_id=c["about_case"]),
        window=c["window_code"],
        units=list(c["units"]),
        complicated=c["complicated"],
        limit_days=c["limit_days"],
        status=c["status"],
        text=c["text"],
        complainant=ComplainantOut(
            name=name if shown else mask(name),
            phone=phone if shown else mask(phone),
            masked=not shown,
        ),
        received_at=c["received_at"].astimezone(tz),
        received_by=c["received_by"],
        due_at=_local(c["due_at"], tz),
        warned=c["warned"],
        overdue=c["overdue"],
        finding=c["finding"],
        answer=c["answer"],
        answered_at=_local(c["answered_at"], tz),
        answered_by=c["answered_by"],
        on_time=c["on_time"],
        notice_url=f"/api/v1/complaints/{c['id']}/notice" if written else None,
    )


def fields_of_row(r: Any) -> dict[str, Any]:
    return dict(r)


def fields_of_state(s: ComplaintState) -> dict[str, Any]:
    return {
        "id": s.complaint_id,
        "channel": s.channel.value,
        "about_window": s.about.window,
        "about_staff": s.about.staff,
        "about_case": s.about.case_id,
        "window_code": s.window,
        "units": s.units,
        "complicated": s.complicated,
        "limit_days": s.limit_days,
        "status": s.status.value,
        "text": s.text,
        "complainant_name": s.complainant.name,
        "complainant_phone": s.complainant.phone,
        "received_at": s.received_at,
        "received_by": s.received_by,
        "due_at": s.due_at,
        "warned": s.warned,
        "overdue": s.overdue,
        "finding": s.finding.value if s.finding else None,
        "answer": s.answer,
        "answered_at": s.answered_at,
        "answered_by": s.answered_by,
        "on_time": s.on_time,
    }
