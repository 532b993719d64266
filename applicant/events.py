"""The applicant's side's own events: a rating given, an inquiry logged.

A rating is the applicant's statement and an inquiry a clerk's note of a question
answered; neither belongs to a workflow (a case may be closed when it is rated), so each is
appended to the applicant's event log (``projections.applicant_log``) and the ``ratings`` and
``inquiries`` tables are derived from that log. They are typed as the case's events are
(``workflows.events``): a frozen dataclass per type, its fields the event's data, its
``VERSION`` the data's schema version.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.event_data import DomainEvent


@dataclass(frozen=True)
class RatingRecorded(DomainEvent):
    """A rating of a case at a stage (受理, 办结, or the 追评 after a rectification)."""

    TYPE = "rating.recorded"
    case_id: str
    stage: str  # received | completed | followup
    level: int  # 5 非常满意 … 1 非常不满意
    tags: list[str]
    comment: str | None
    window: str
    rectification_id: str | None  # the rectification a bad rating opened


@dataclass(frozen=True)
class InquiryLogged(DomainEvent):
    """An inquiry answered on the spot or referred to another window; its actor the clerk."""

    TYPE = "inquiry.logged"
    day: str  # the center's day it was asked, YYYY-MM-DD
    window: str
    topic: str
    service_code: str | None
    outcome: str  # answered | referred
    referred_to: str | None
    note: str


APPLICANT_EVENTS: dict[str, type[DomainEvent]] = {
    cls.TYPE: cls for cls in (RatingRecorded, InquiryLogged)
}
