"""Complaints (投诉制度, 篇11): what a complaint is, its time limit, who may see the complainant.

The seeds' rule: a simple complaint is answered on the spot, that day or the next
(当日或次日); a complicated one, or one that needs two units or more to settle
(涉及两个以上单位), within a week (一周之内), which is 5 working days here. A
written complaint gets a written answer (书面投诉必须书面答复), and the complainant
and what they complain of are kept confidential (对投诉人及投诉事项予以保密): their
name and phone are for the director and discipline inspection (纪检监察) only.

Every type here crosses the Temporal boundary (the workflow's input, state,
updates and activity arguments), so each is a plain dataclass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from temporalio.exceptions import ApplicationError

from workflows.actions import ActionMeta
from workflows.model import Actor, AlertLevel, ClockPolicy, Event, OfficeCalendar, Role

# Complaint numbers: 投诉 (tóusù) and the same ten characters a case number has.
PREFIX = "TS-"
CLOCK = "complaint"
SIMPLE_DAYS = 1  # by the close of the next working day (当日或次日)
COMPLICATED_DAYS = 5  # complicated, or two units or more (一周之内)
# Who may read the complainant's name and phone.
CONFIDANTS = frozenset({Role.DIRECTOR, Role.DISCIPLINE})


class Channel(StrEnum):
    WINDOW = "window"  # 窗口 (口头投诉)
    PHONE = "phone"  # 电话
    LETTER = "letter"  # 书面 (信件): answered in writing
    ONLINE = "online"  # 网上


class Finding(StrEnum):
    UPHELD = "upheld"  # 查证属实
    NOT_UPHELD = "not_upheld"


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


def is_complaint_id(value: str) -> bool:
    return value.startswith(PREFIX)


def answer_days(complicated: bool, units: Iterable[str]) -> int:
    """The limit in working days: 5 for a complicated complaint or one of two units or more."""
    return COMPLICATED_DAYS if complicated or len(set(units)) >= 2 else SIMPLE_DAYS


def sees_complainant(role: Role) -> bool:
    return role in CONFIDANTS


@dataclass(frozen=True)
class Complainant:
    name: str
    phone: str


@dataclass(frozen=True)
class About:
    """What the complaint is about: a window, a staff member, a case (at least one)."""

    window: str | None = None
    staff: str | None = None
    case_id: str | None = None


@dataclass(frozen=True)
class ComplaintInput:
    complaint_id: str
    channel: Channel
    about: About
    complainant: Complainant
    text: str
    complicated: bool
    # The window that answers for it (its score bears an upheld finding), and every unit
    # (window, department) the complaint involves.
    window: str | None
    units: list[str]
    actor: Actor  # who received it
    calendar: OfficeCalendar
    request_hash: str
    policy: ClockPolicy = field(default_factory=ClockPolicy)


@dataclass
class ComplaintAlert:
    id: str
    threshold: str  # warning | overdue | escalation
    level: AlertLevel
    raised_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None


@dataclass
class ComplaintState:
    complaint_id: str
    channel: Channel
    about: About
    complainant: Complainant
    text: str
    complicated: bool
    window: str | None
    units: list[str]
    limit_days: int
    status: Status
    received_at: datetime
    received_by: str
    request_hash: str
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned: bool = False
    overdue: bool = False
    finding: Finding | None = None
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    answer_hash: str | None = None  # the answer's request, so that its retry finds it
    on_time: bool | None = None
    alerts: list[ComplaintAlert] = field(default_factory=list)
    last_seq: int = 0


@dataclass(frozen=True)
class Answer:
    """The director's answer: the finding and what the complainant is told."""

    meta: ActionMeta
    finding: Finding
    text: str


@dataclass(frozen=True)
class ComplaintBatch:
    """Events to write to the read model, with the complaint's state after the last of them."""

    complaint_id: str
    events: list[Event]
    state: ComplaintState
    timezone: str
    # The complaint's center ("" in batches handed out before centers shared a deployment).
    center: str = ""


@dataclass(frozen=True)
class ComplaintAlertNotice:
    """What a supervisor is told of a complaint's alert: never who complained, nor what."""

    alert_id: str
    complaint_id: str
    threshold: str
    level: AlertLevel
    raised_at: datetime
    channel: Channel
    window: str | None
    due_at: datetime | None


def refusal(code: str, message: str) -> ApplicationError:
    """A refused update, named by the contract's error code (``api.cases`` maps it)."""
    return ApplicationError(message, type=code, non_retryable=True)


def check_answer(a: Answer, state: ComplaintState) -> None:
    """The director answers, once, in writing."""
    if a.meta.actor.role is not Role.DIRECTOR:
        raise refusal("forbidden", "only the center director answers a complaint")
    if state.status is not Status.OPEN:
        raise refusal(
            "invalid_transition",
            f"action 'answer' is not allowed while complaint {state.complaint_id} is answered",
        )
    if not a.text.strip():
        raise refusal("validation_error", "the answer needs a written text")


def check_acknowledgement(actor: Actor, alert_id: str, state: ComplaintState) -> None:
    """The director acknowledges any of a complaint's alerts; discipline inspection those that
    reached it."""
    alert = next((x for x in state.alerts if x.id == alert_id), None)
    if alert is None:
        raise refusal("validation_error", f"complaint {state.complaint_id} has no {alert_id!r}")
    if actor.role is not Role.DIRECTOR and not (
        actor.role is Role.DISCIPLINE and alert.level is AlertLevel.DISCIPLINE
    ):
        raise refusal(
            "forbidden", f"an alert to the {alert.level.value} is acknowledged by that level"
        )
    if alert.acked_at is not None:
        raise refusal(
            "invalid_transition",
            f"action 'acknowledge-alert' is not allowed: alert {alert_id} was already acknowledged",
        )
