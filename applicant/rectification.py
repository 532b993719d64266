"""A bad rating's rectification (差评整改): its steps, limits, records and rules.

The responsible window contacts the applicant within 1 working day of the bad rating,
rectifies within 15 working days, and records the answer given to the applicant; then the
applicant may rate once more (追评). The workflow (``workflows.rectification``) keeps the time;
this module is what it decides with, and crosses the Temporal boundary as plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from temporalio.exceptions import ApplicationError

from workflows.actions import AcknowledgeAlert, ActionMeta
from workflows.model import Actor, Alert, AlertLevel, ClockPolicy, Event, OfficeCalendar, Role

CONTACT_DAYS = 1  # the window contacts the applicant (核实联系)
RECTIFY_DAYS = 15  # and rectifies and answers (整改反馈)
CONTACT, RECTIFY = "contact", "rectify"  # the two clocks
OPEN, DONE = "open", "done"
# Alert ids of a rectification name it, as a case's name the case: "<id>-A<seq>".
ID_PREFIX = "RECT-"


def rectification_id(rating_id: str) -> str:
    return f"{ID_PREFIX}{rating_id}"


@dataclass(frozen=True)
class RectificationInput:
    id: str
    rating_id: str
    case_id: str
    service_name: str
    window: str
    assignee: str  # who handled the case, named in the alerts' messages (承办人)
    level: int
    stage: str
    tags: list[str]
    comment: str | None
    calendar: OfficeCalendar
    policy: ClockPolicy = field(default_factory=ClockPolicy)


@dataclass
class RectificationState:
    id: str
    rating_id: str
    case_id: str
    window: str
    level: int
    status: str  # open | done
    opened_at: datetime
    contact_due_at: datetime | None = None
    rectify_due_at: datetime | None = None
    rectify_warn_at: datetime | None = None
    contacted_at: datetime | None = None
    contact_note: str | None = None
    rectified_at: datetime | None = None
    action: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None
    contact_overdue: bool = False
    warned: bool = False
    overdue: bool = False
    alerts: list[Alert] = field(default_factory=list)
    last_seq: int = 0

    @property
    def on_time(self) -> bool | None:
        """Answered within the rectification's limit; None while open."""
        if self.answered_at is None or self.rectify_due_at is None:
            return None
        return self.answered_at <= self.rectify_due_at


@dataclass(frozen=True)
class Contact:
    meta: ActionMeta
    note: str


@dataclass(frozen=True)
class Rectify:
    meta: ActionMeta
    action: str


@dataclass(frozen=True)
class Answer:
    meta: ActionMeta
    text: str


@dataclass(frozen=True)
class RectificationBatch:
    """Events to write to the read model, with the state after the last of them."""

    events: list[Event]
    state: RectificationState


def refusal(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=code, non_retryable=True)


# Each step, and the step that must come before it.
_AFTER = {"contact": None, "rectify": "contact", "answer": "rectify"}


def _done(step: str, s: RectificationState) -> bool:
    return {
        "contact": s.contacted_at,
        "rectify": s.rectified_at,
        "answer": s.answered_at,
    }[step] is not None


def authorize(actor: Actor, s: RectificationState) -> None:
    """The responsible window's clerks and head, or the director; ops only read."""
    if actor.role is Role.DIRECTOR:
        return
    if actor.role is Role.OPS:
        raise refusal("forbidden", "ops may read rectifications, not act on them")
    if actor.window != s.window:
        raise refusal("forbidden", f"rectification {s.id} is window {s.window}'s to act on")


def check_step(step: str, actor: Actor, s: RectificationState) -> None:
    authorize(actor, s)
    before = _AFTER[step]
    if s.status == DONE or _done(step, s) or (before is not None and not _done(before, s)):
        where = "done" if s.status == DONE else _stage(s)
        raise refusal(
            "invalid_transition",
            f"action {step!r} is not allowed while rectification {s.id} is {where}",
        )


def _stage(s: RectificationState) -> str:
    if s.rectified_at is not None:
        return "rectified"
    if s.contacted_at is not None:
        return "contacted"
    return "open"


def written(text: str, what: str) -> None:
    if not text.strip():
        raise refusal("validation_error", f"{what} must be written out")


def check_acknowledgement(a: AcknowledgeAlert, s: RectificationState) -> None:
    """As for a case's alerts: the window head at the first rung, the director at any."""
    alert = next((x for x in s.alerts if x.id == a.alert_id), None)
    if alert is None:
        raise refusal("validation_error", f"rectification {s.id} has no alert {a.alert_id!r}")
    role = a.meta.actor.role
    if role in (Role.CLERK, Role.OPS) or (
        role is Role.WINDOW_HEAD
        and (alert.level is not AlertLevel.WINDOW_HEAD or a.meta.actor.window != s.window)
    ):
        raise refusal(
            "forbidden",
            f"an alert to the {alert.level.value} is acknowledged by that level or above",
        )
    if alert.acked_at is not None:
        raise refusal("invalid_transition", f"alert {a.alert_id} was already acknowledged")
