"""Request and response bodies of the public API, kept apart from workflow and storage types."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _resident_id(value: str) -> str:
    """An 18-character resident identity number with a valid check digit (GB 11643)."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValueError("must be an 18-character resident identity number")
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValueError("the check digit of the identity number does not match")
    return value


def _phone(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"1\d{10}|0\d{2,3}-?\d{7,8}", value):
        raise ValueError("must be a mobile number (11 digits) or a landline with area code")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# Text a person has to write (a reason, a note, a name): spaces alone are not text. The domain
# refuses it anyway; refusing it here makes it the same 422 whoever would have refused it.
NotBlank = AfterValidator(_not_blank)

Phone = Annotated[str, AfterValidator(_phone)]
Text = Annotated[str, Field(max_length=2000)]
Written = Annotated[str, Field(min_length=1, max_length=2000), NotBlank]
Code = Annotated[str, Field(min_length=1, max_length=64)]


def holds_nul(value: object) -> bool:
    """Whether a NUL character is anywhere in ``value``: PostgreSQL text cannot store one."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Refused here, a NUL is a 422 like any bad field; let through, the workflow would record
    # it and the projection could never write the event.
    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if holds_nul(value):
            raise ValueError("must not contain a NUL character")
        return value


class ApplicantIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100), NotBlank]
    id_number: Annotated[str, AfterValidator(_resident_id)]
    phone: Phone


class CaseCreate(Strict):
    service_code: Code
    applicant: ApplicantIn
    materials: list[Code] = Field(default_factory=list, max_length=100)
    urgent: bool = False


class RequestMaterialsIn(Strict):
    missing: list[Code] = Field(min_length=1, max_length=100)
    note: Text = ""
    # A second request is only for materials supplied but found defective (一次性告知).
    defective: bool = False


class SupplyMaterialsIn(Strict):
    materials: list[Code] = Field(min_length=1, max_length=100)


class Empty(Strict):
    pass


class RequestSignoffIn(Strict):
    departments: list[Code] = Field(min_length=1, max_length=20)


class SignoffIn(Strict):
    department: Code
    decision: Literal["approve", "reject"]
    comment: Text = ""


class CompleteIn(Strict):
    outcome: Literal["approved", "denied"]
    note: Text = ""


class ReturnIn(Strict):
    reason: Written


class ReasonIn(Strict):
    reason: Written


class AssignIn(Strict):
    """An orphan matter (不管件): who handles it and its limit, set by the director."""

    to_staff: Code
    days: Annotated[int, Field(ge=1, le=60)]
    reason: Written


class ForwardIn(Strict):
    """An upward case carried to the higher authority, which decides within ``days``."""

    authority: Annotated[str, Field(min_length=1, max_length=200), NotBlank]
    reference: Annotated[str, Field(min_length=1, max_length=200), NotBlank]
    days: Annotated[int, Field(ge=1, le=120)]


class ChaseIn(Strict):
    note: Written


class DecisionIn(Strict):
    decision: Literal["approved", "denied"]
    reference: Annotated[str, Field(max_length=200)] = ""
    note: Text = ""


class ReviewDecisionIn(Strict):
    decision: Literal["confirm", "reopen"]
    note: Written


class ReassignIn(Strict):
    to_staff: Code
    reason: Annotated[str, Field(max_length=2000)] = ""


class ExtendIn(Strict):
    days: Annotated[int, Field(ge=1, le=60)]
    reason: Written
    # The legal limit is extended once, by at most 10 working days (15 for a joint case).
    clock: Literal["promised", "legal"] = "promised"


class SuspendIn(Strict):
    reason: Written
    expected_days: Annotated[int, Field(ge=1, le=365)]


class ApplicantOut(BaseModel):
    name: str
    id_number_masked: str
    phone_masked: str


class SignoffOut(BaseModel):
    department: str
    decision: str | None
    at: datetime | None
    comment: str | None
    by: str | None
    due_at: datetime | None = None  # the department's own limit
    overdue: bool = False


class CaseOut(BaseModel):
    case_id: str
    service_code: str
    service_name: str
    window: str
    kind: str
    status: str
    outcome: str | None
    urgent: bool
    received_at: datetime
    due_at: datetime | None
    paused: bool
    suspended: bool
    overdue: bool
    warned: bool
    assignee: str
    first_receiver: str
    applicant: ApplicantOut
    materials: list[str]
    materials_missing: list[str]
    signoffs: list[SignoffOut]
    completed_at: datetime | None
    last_seq: int
    provisional: bool
    legal_due_at: datetime | None = None  # 行政许可法 Art. 42, moved by pauses and its extension
    legal_overdue: bool = False
    upward: dict[str, Any] | None = None  # the higher authority, its reference, limit, decision
    review: dict[str, Any] | None = None  # a returned case's review: until, requested, decided
    # The applicant's public link (rating, progress); its last segment is the case's token.
    rating_url: str | None = None


class CaseList(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class EventOut(BaseModel):
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
    schema_version: int


class MaterialOut(BaseModel):
    code: str
    name: str
    required: bool


class ServiceOut(BaseModel):
    code: str
    name: str
    window: str
    kind: str
    promised_days: int
    legal_days: int
    legal_basis: str
    materials: list[MaterialOut]
    departments: list[str]


class StaffOut(BaseModel):
    id: str
    name: str
    role: str
    window: str | None
    post: str | None


class AlertOut(BaseModel):
    id: str
    case_id: str | None  # null for the center's own alerts (a missing holiday notice)
    kind: str
    level: str
    window: str | None
    # Which limit raised it: promised, legal, signoff:<department> or upward for a case's;
    # calendar for the center's own (a year without its holiday notice).
    clock: str = "promised"
    complaint_id: str | None = None  # a complaint's alert (kind complaint) names no case
    threshold: str | None = None  # a complaint's: warning, overdue or escalation
    raised_at: datetime
    acked_at: datetime | None
    acked_by: str | None
