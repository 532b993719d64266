"""The case's log: each domain event recorded as an ``Event``, and read back as its class.

``recorded`` numbers and times an event (``workflows.events``) with its data and its
type's version; ``parse`` reads a recorded one, from the workflow or the read model, as
its class, upcasting older data first (``workflows.upcasters``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from workflows.event_data import DomainEvent, MalformedEvent
from workflows.events import (
    AlertAcknowledged,
    CaseAssigned,
    CaseChased,
    CaseCompleted,
    CaseEscalated,
    CaseForwarded,
    CaseReassigned,
    CaseReceived,
    CaseReopened,
    CaseReturned,
    CaseUrgent,
    CaseWithdrawn,
    ClockPaused,
    ClockRestarted,
    ClockResumed,
    DeadlineExtended,
    DeadlineOverdue,
    DeadlineRecalculated,
    DeadlineWarning,
    MaterialsRequested,
    MaterialsSupplied,
    NoticeOverdue,
    ReturnConfirmed,
    ReturnFinal,
    ReturnReviewRequested,
    ReviewStarted,
    SignoffRecorded,
    SignoffRequested,
    UpwardDecided,
)
from workflows.model import Event
from workflows.upcasters import UPCASTERS

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.TYPE: cls
    for cls in (
        CaseReceived,
        MaterialsRequested,
        MaterialsSupplied,
        ClockPaused,
        ClockResumed,
        ClockRestarted,
        ReviewStarted,
        SignoffRequested,
        SignoffRecorded,
        CaseCompleted,
        CaseReturned,
        CaseWithdrawn,
        CaseReassigned,
        DeadlineExtended,
        DeadlineRecalculated,
        DeadlineWarning,
        DeadlineOverdue,
        CaseEscalated,
        NoticeOverdue,
        AlertAcknowledged,
        CaseUrgent,
        CaseAssigned,
        CaseForwarded,
        CaseChased,
        UpwardDecided,
        ReturnReviewRequested,
        ReturnConfirmed,
        CaseReopened,
        ReturnFinal,
    )
}


class Stored(Protocol):
    """What ``parse`` reads of a recorded event: a workflow ``Event`` or a read-model row's."""

    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...
    @property
    def schema_version(self) -> int: ...


def recorded(seq: int, at: datetime, actor: str, event: DomainEvent) -> Event:
    """The event as the case's log keeps it: numbered, timed, by whom, its data versioned."""
    return Event(seq, event.TYPE, at, actor, event.to_data(), event.VERSION)


def parse(event: Stored, *only: type[DomainEvent]) -> DomainEvent | None:
    """The recorded event as its class, upcast from an older version; None for a type or a
    version this code does not know (another release's). A reader that names the classes
    it reads gets None for any other, its data left unread. Raises ``MalformedEvent`` when
    the data does not read as its type."""
    cls = EVENT_TYPES.get(event.type)
    version = event.schema_version
    if cls is None or version > cls.VERSION or (only and not issubclass(cls, only)):
        return None
    data = dict(event.data)
    while version < cls.VERSION:
        upcast = UPCASTERS.get((cls.TYPE, version))
        if upcast is None:
            raise MalformedEvent(f"{cls.TYPE} has no upcaster from version {version}")
        data, version = upcast(data), version + 1
    return cls.from_data(data)
