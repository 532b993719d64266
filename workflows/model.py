"""The case's data: what a workflow is started with, what it records, what its activities
are asked and answer. The staff actions it accepts are in ``workflows.actions``.

Every type here crosses the Temporal boundary (workflow input, activity
arguments, query results), so each is a plain dataclass
that the pydantic data converter serialises. An ``Event`` is a domain event
(``workflows.events``) as the case's log keeps it: its data, and the version of its
type's data, so that older ones are upcast when read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    RECEIVED = "received"  # 受理
    NEEDS_MATERIALS = "needs_materials"  # 补正
    UNDER_REVIEW = "under_review"  # 审核
    JOINT_SIGNOFF = "joint_signoff"  # 联办会签
    COMPLETED = "completed"  # 办结


class Kind(StrEnum):
    IMMEDIATE = "immediate"  # 即办件
    PROMISED = "promised"  # 承诺件
    JOINT = "joint"  # 联办件
    UPWARD = "upward"  # 上报件 / 全程代理: carried to a higher authority
    ORPHAN = "orphan"  # 不管件: the director assigns a window and sets the limit


class Outcome(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"
    RETURNED = "returned"  # 退回件
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    CLERK = "clerk"
    WINDOW_HEAD = "window_head"
    DIRECTOR = "director"
    OPS = "ops"
    DISCIPLINE = "discipline"  # 纪检监察: reads everything, acts on complaints' alerts
    PROVINCE = "province"  # reads every center's figures; acts on none


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    required: bool


@dataclass(frozen=True)
class ServiceSnapshot:
    """The catalog entry as it stood when the case was received."""

    code: str
    name: str
    window: str
    kind: Kind
    promised_days: int
    legal_days: int
    materials: list[Material]
    departments: list[str] = field(default_factory=list)
    # The catalog entry's version when the case was received (0: before versions were kept).
    version: int = 0


@dataclass(frozen=True)
class Actor:
    staff_id: str
    role: Role
    window: str | None


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class OfficeCalendar:
    """Which calendar the center's limits are counted in."""

    timezone: str
    office_hours: str
    # Notifications to people wait for office hours unless the center says otherwise.
    notify_outside_office_hours: bool = False
    # The center whose calendar (closures) and data these are; "" in histories recorded before
    # centers shared a deployment: the center that held them (``centers.bare_workflow_ids``).
    center: str = ""


# The seeds' office hours in China's time zone: what a center uses unless it says otherwise.
DEFAULT_CALENDAR = OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30")


class AlertLevel(StrEnum):
    """The escalation ladder: who is alerted (window head → director → 纪检监察)."""

    WINDOW_HEAD = "window_head"
    DIRECTOR = "director"
    DISCIPLINE = "discipline"


class Supply(StrEnum):
    """What supplying the missing materials does to the clock (a center's policy)."""

    PAUSE = "pause"  # the time spent waiting is not counted
    RESTART = "restart"  # the limit counts anew from the day of supply


@dataclass(frozen=True)
class Rung:
    """A rung of the escalation ladder: who is alerted, after how many unacknowledged days."""

    level: AlertLevel
    after_days: int


def default_ladder() -> list[Rung]:
    # Overdue → window head; unacknowledged one working day → director; three → 纪检监察.
    return [Rung(AlertLevel.DIRECTOR, 1), Rung(AlertLevel.DISCIPLINE, 3)]


@dataclass(frozen=True)
class ClockPolicy:
    """The center's thresholds with the service's overrides, as they stood at receipt."""

    warn_days: int = 1  # a warning when this many working days remain
    ladder: list[Rung] = field(default_factory=default_ladder)
    on_supply: Supply = Supply.PAUSE
    signoff_days: int = 3  # each department's sign-off limit in a joint case


@dataclass(frozen=True)
class CaseInput:
    case_id: str
    service: ServiceSnapshot
    applicant: Applicant
    materials: list[str]
    urgent: bool
    actor: Actor
    calendar: OfficeCalendar
    request_hash: str
    policy: ClockPolicy = field(default_factory=ClockPolicy)


@dataclass(frozen=True)
class Event:
    """Made by ``workflows.events.recorded``, read by ``workflows.events.parse``."""

    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any]
    # The version of the type's data; 1 for everything recorded before types had their own.
    schema_version: int = 1


@dataclass
class Signoff:
    department: str
    decision: str | None = None
    at: datetime | None = None
    comment: str | None = None
    by: str | None = None
    # The department's own limit, counted from the request.
    asked_at: datetime | None = None
    due_at: datetime | None = None
    overdue: bool = False


@dataclass
class Alert:
    id: str
    kind: str  # warning | overdue | escalation
    level: AlertLevel
    raised_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None
    clock: str = "promised"  # promised | legal | signoff:<department>
    window: str | None = None  # whose window is alerted, when not the case's


@dataclass
class Upward:
    """A case carried to a higher authority (上报件): where, its reference, its own limit."""

    authority: str
    reference: str
    forwarded_at: datetime
    due_at: datetime | None = None
    overdue: bool = False
    chased: int = 0
    decision: str | None = None  # approved | denied, as the higher authority decided
    decided_at: datetime | None = None


@dataclass
class Review:
    """The applicant's right to ask the director to review a return (退回件复核)."""

    until: datetime
    requested_at: datetime | None = None
    reason: str | None = None
    decision: str | None = None  # confirm | reopen
    decided_at: datetime | None = None


@dataclass
class CaseState:
    """The live state of a case, as the workflow query and every action return it."""

    case_id: str
    service_code: str
    service_name: str
    window: str
    kind: Kind
    status: Status
    outcome: Outcome | None
    urgent: bool
    received_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    paused: bool
    suspended: bool
    overdue: bool
    warned: bool
    assignee: str
    first_receiver: str
    applicant: Applicant
    materials: list[str]
    materials_missing: list[str]
    signoffs: list[Signoff]
    completed_at: datetime | None
    last_seq: int
    request_hash: str
    alerts: list[Alert] = field(default_factory=list)
    provisional: bool = False
    # The one-time notice limit, when required materials were missing at intake.
    notice_due_at: datetime | None = None
    # The legal limit (行政许可法 Art. 42), counted from the same record as the promised one.
    legal_due_at: datetime | None = None
    legal_overdue: bool = False
    legal_extended: bool = False
    upward: Upward | None = None
    review: Review | None = None
    # A return later than 3 working days after receipt (or a later notice) counts against
    # the window.
    return_by: datetime | None = None


@dataclass
class Answer(CaseState):
    """What an action answers: the state, and the events the workflow has not yet seen
    written to the read model (from the first unwritten one on, so never a gap), with the
    calendar they are counted in. The caller writes them before it answers its own caller;
    the workflow's projection makes sure of them later. Empty when the projector has written
    every event already."""

    fresh: list[Event] = field(default_factory=list)
    calendar: OfficeCalendar | None = None

    def batch(self) -> ProjectionBatch | None:
        """The events to write, with the state after them; None when there are none."""
        if not self.fresh or self.calendar is None:
            return None
        return ProjectionBatch(self.case_id, self.fresh, self, self.calendar)


def handed_batch(state: CaseState) -> ProjectionBatch | None:
    """The batch an action's answer hands its caller to write; None for a plain state (a
    live query's) or an answer whose events the projector wrote already."""
    return state.batch() if isinstance(state, Answer) else None


@dataclass(frozen=True)
class Pending:
    """What a case still has to do: events to project, the next threshold to raise."""

    projection_lag: int
    next_threshold_at: datetime | None
    closed: bool


@dataclass(frozen=True)
class ProjectionBatch:
    """Events to write to the read model, with the case state after the last of them."""

    case_id: str
    events: list[Event]
    state: CaseState
    # The center's days and office hours, which its figures are counted in (batches handed out
    # before it was carried were the default center's).
    calendar: OfficeCalendar = DEFAULT_CALENDAR


@dataclass(frozen=True)
class AlertNotice:
    """What a supervisor is told about an alert: no applicant's personal data."""

    alert_id: str
    case_id: str
    kind: str
    level: AlertLevel
    raised_at: datetime
    service_name: str
    window: str
    assignee: str
    due_at: datetime | None


def iso(at: datetime | None) -> str | None:
    """An instant as event data written as a dict holds it (ISO 8601, or None)."""
    return at.isoformat() if at is not None else None
