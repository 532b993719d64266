"""Upcasters: small pure functions from an event's older data to the version after it.

Version 1 of every type is what cases recorded before each type had a version of its
own: under one ``schema_version`` its data grew as the rules did (the limits' record,
the legal limit and the center's policy behind the ``clocks`` patch, the one-time
notice, the review of a return), so an upcaster from 1 fills each key an older shape
lacks with what that older code meant, and keeps every key the data has. ``parse``
(``workflows.events``) chains them up to the type's ``VERSION``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]


def received_v1(data: Data) -> Data:
    """Cases received before the legal limit, the one-time notice's limit, provisional
    years and the center's policy were recorded at receipt."""
    return {
        "legal_due_at": None,
        "provisional": False,
        "clock_policy": None,
        "notice_due_at": None,
        **data,
    }


def materials_requested_v1(data: Data) -> Data:
    """Requests made before the one-time notice was timed, or before a later request could
    name defective materials: the only request, in time."""
    return {"late_notice": False, "defective": False, **data}


def resumed_v1(data: Data) -> Data:
    """Resumptions recorded before the pause's end was carried: it ended at the event."""
    return {"paused_to": None, **data}


def extended_v1(data: Data) -> Data:
    """Extensions from before the legal limit could be extended: the promised one."""
    return {"clock": "promised", **data}


def recalculated_v1(data: Data) -> Data:
    """Recounts from before limits counted in a provisional year were marked."""
    return {"provisional": False, **data}


def alert_raised_v1(data: Data) -> Data:
    """Warnings, breaches and escalations from before each clock had its own: the promised."""
    return {"clock": "promised", **data}


def returned_v1(data: Data) -> Data:
    """Returns from before the applicant could ask for a review, or before a late return
    was told apart: no review period, not late."""
    return {"late_return": False, "review_days": None, "review_until": None, **data}


# (event type, version) → the data at the next version.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("case.received", 1): received_v1,
    ("materials.requested", 1): materials_requested_v1,
    ("clock.resumed", 1): resumed_v1,
    ("deadline.extended", 1): extended_v1,
    ("deadline.recalculated", 1): recalculated_v1,
    ("deadline.warning", 1): alert_raised_v1,
    ("deadline.overdue", 1): alert_raised_v1,
    ("case.escalated", 1): alert_raised_v1,
    ("case.returned", 1): returned_v1,
}
