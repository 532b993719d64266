"""The case's domain events: one frozen dataclass per type, each with its own version.

The workflow records each as an ``Event`` (``workflows.event_log.recorded``): the
event's fields as its ``data`` (``workflows.event_data``), its type's ``VERSION`` as its
``schema_version``. Readers never look into ``data``: ``workflows.event_log.parse`` gives
the event back as its class, an older version upcast first (``workflows.upcasters``).

A field with ``LEFT_OUT`` metadata is one the workflow records only in some cases (a
late department's window, a rejection's return to the lead); changing what a type
carries means a new ``VERSION`` and an upcaster from the one before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from workflows.event_data import LEFT_OUT, DomainEvent
from workflows.model import AlertLevel, ClockPolicy, Kind, Outcome


@dataclass(frozen=True)
class CaseReceived(DomainEvent):
    TYPE = "case.received"
    VERSION = 2
    service_code: str
    kind: Kind
    window: str
    urgent: bool
    materials: list[str]
    materials_missing: list[str]
    promised_days: int
    legal_days: int
    due_at: datetime | None  # None for an orphan matter, until the director assigns it
    legal_due_at: datetime | None
    provisional: bool  # counted partly in a year whose holiday notice is not out yet
    clock_policy: ClockPolicy | None  # None: received before centers set their own
    notice_due_at: datetime | None  # the one-time notice's limit, when materials are missing
    first_receiver: str  # 首问责任人
    # The catalog entry's version the case was received under (left out: before versions).
    catalog_version: int = field(default=0, metadata=LEFT_OUT)


@dataclass(frozen=True)
class MaterialsRequested(DomainEvent):
    TYPE = "materials.requested"
    VERSION = 2
    missing: list[str]
    note: str
    late_notice: bool  # the first request came after the one-time notice's limit
    defective: bool  # a later request, for materials supplied but found defective


@dataclass(frozen=True)
class MaterialsSupplied(DomainEvent):
    TYPE = "materials.supplied"
    materials: list[str]
    still_missing: list[str]


@dataclass(frozen=True)
class ClockPaused(DomainEvent):
    TYPE = "clock.paused"
    reason: str  # materials | suspended
    note: str | None = field(default=None, metadata=LEFT_OUT)  # a suspension's reason
    expected_days: int | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class ClockResumed(DomainEvent):
    TYPE = "clock.resumed"
    VERSION = 2
    paused_from: datetime
    paused_to: datetime | None  # None: recorded before it was carried (the event's own time)
    paused_office_seconds: int  # office time within this pause
    due_at: datetime | None
    legal_due_at: datetime | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class ClockRestarted(DomainEvent):
    TYPE = "clock.restarted"
    paused_from: datetime | None
    restarted_at: datetime
    due_at: datetime | None
    legal_due_at: datetime | None


@dataclass(frozen=True)
class ReviewStarted(DomainEvent):
    TYPE = "review.started"


@dataclass(frozen=True)
class SignoffRequested(DomainEvent):
    TYPE = "signoff.requested"
    departments: list[str]
    # Each department's own limit; left out by cases received before those were counted.
    due_at: dict[str, datetime | None] | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class SignoffRecorded(DomainEvent):
    TYPE = "signoff.recorded"
    department: str
    decision: str  # approve | reject
    comment: str
    all_signed: bool
    # A rejection sends the case back to the lead window at once.
    returned_to_lead: bool = field(default=False, metadata=LEFT_OUT)


@dataclass(frozen=True)
class CaseCompleted(DomainEvent):
    TYPE = "case.completed"
    on_time: bool
    outcome: Outcome
    note: str
    # None: no legal limit counted.
    legal_on_time: bool | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class CaseReturned(DomainEvent):
    TYPE = "case.returned"
    VERSION = 2
    on_time: bool
    reason: str
    late_return: bool  # later than 3 working days after receipt (counts against the window)
    review_days: int | None  # None: returned before a return could be reviewed
    review_until: datetime | None
    legal_on_time: bool | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class CaseWithdrawn(DomainEvent):
    TYPE = "case.withdrawn"
    on_time: bool
    reason: str
    legal_on_time: bool | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class CaseReassigned(DomainEvent):
    TYPE = "case.reassigned"
    from_staff: str
    to_staff: str
    window: str
    kind: str = "manual"  # manual | takeover | handback
    reason: str = ""

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        if self.kind == "manual" and not self.reason:  # a plain reassignment names neither
            del data["kind"], data["reason"]
        return data


@dataclass(frozen=True)
class DeadlineExtended(DomainEvent):
    TYPE = "deadline.extended"
    VERSION = 2
    clock: str  # promised | legal
    days: int
    reason: str
    due_at_before: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class DeadlineRecalculated(DomainEvent):
    TYPE = "deadline.recalculated"
    VERSION = 2
    reason: str
    due_at_before: datetime | None
    due_at: datetime | None
    paused_office_seconds: int
    provisional: bool
    # The legal limit before and after, when one is counted.
    legal_due_at_before: datetime | None = None
    legal_due_at: datetime | None = None
    # The departments' limits that moved.
    signoff_due_at: dict[str, datetime | None] | None = field(default=None, metadata=LEFT_OUT)

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        if self.legal_due_at is None:
            del data["legal_due_at_before"], data["legal_due_at"]
        return data


@dataclass(frozen=True)
class AlertRaised(DomainEvent):
    """A threshold reached: one alert, named by ``alert_id``, for whoever ``level`` names."""

    ALERT_KIND: ClassVar[str]  # warning | overdue | escalation
    alert_id: str
    level: AlertLevel
    due_at: datetime | None  # the limit of the clock it concerns
    clock: str  # promised | legal | upward | signoff:<department>
    window: str | None = field(default=None, metadata=LEFT_OUT)  # a late department's own window


@dataclass(frozen=True)
class DeadlineWarning(AlertRaised):
    TYPE = "deadline.warning"
    VERSION = 2
    ALERT_KIND = "warning"


@dataclass(frozen=True)
class DeadlineOverdue(AlertRaised):
    TYPE = "deadline.overdue"
    VERSION = 2
    ALERT_KIND = "overdue"


@dataclass(frozen=True)
class CaseEscalated(AlertRaised):
    TYPE = "case.escalated"
    VERSION = 2
    ALERT_KIND = "escalation"


@dataclass(frozen=True)
class NoticeOverdue(DomainEvent):
    """No one-time notice within its limit (一次性告知)."""

    TYPE = "notice.overdue"
    missing: list[str]
    due_at: datetime | None


@dataclass(frozen=True)
class AlertAcknowledged(DomainEvent):
    TYPE = "alert.acknowledged"
    alert_id: str
    kind: str  # warning | overdue | escalation
    level: AlertLevel
    # case_closed: settled by the case's closing.
    reason: str | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class CaseUrgent(DomainEvent):
    TYPE = "case.urgent"
    reason: str
    warn_days: int
    due_at: datetime | None
    warn_at: datetime | None


@dataclass(frozen=True)
class CaseAssigned(DomainEvent):
    """An orphan matter (不管件) given a window, a clerk and a limit by the director."""

    TYPE = "case.assigned"
    from_staff: str
    to_staff: str
    window: str
    days: int
    reason: str
    due_at: datetime | None


@dataclass(frozen=True)
class CaseForwarded(DomainEvent):
    TYPE = "case.forwarded"
    authority: str
    reference: str
    days: int
    due_at: datetime | None  # the higher authority's own limit


@dataclass(frozen=True)
class CaseChased(DomainEvent):
    TYPE = "case.chased"
    note: str
    times: int


@dataclass(frozen=True)
class UpwardDecided(DomainEvent):
    TYPE = "upward.decided"
    decision: str  # approved | denied
    reference: str
    note: str
    on_time: bool


@dataclass(frozen=True)
class ReturnReviewRequested(DomainEvent):
    TYPE = "return.review_requested"
    reason: str


@dataclass(frozen=True)
class ReturnConfirmed(DomainEvent):
    TYPE = "return.confirmed"
    note: str


@dataclass(frozen=True)
class CaseReopened(DomainEvent):
    TYPE = "case.reopened"
    note: str
    due_at: datetime | None
    # Since the patch reopen-not-counted: the time the case stood returned, not counted.
    # (Added keys only: data without them reads as before, so the version stays.)
    paused_from: datetime | None = field(default=None, metadata=LEFT_OUT)
    paused_office_seconds: int = field(default=0, metadata=LEFT_OUT)
    legal_due_at: datetime | None = field(default=None, metadata=LEFT_OUT)


@dataclass(frozen=True)
class ReturnFinal(DomainEvent):
    """No review was asked for within its period: the return stands."""

    TYPE = "return.final"
    review_until: datetime
