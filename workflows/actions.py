"""The staff actions a case workflow accepts: one dataclass each, the argument of its update.

Every action names who acts and, when the caller sent one, its idempotency key
and the hash of the request body (``ActionMeta``).
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.model import Actor, Outcome


@dataclass(frozen=True)
class ActionMeta:
    actor: Actor
    idempotency_key: str | None = None
    request_hash: str | None = None


@dataclass(frozen=True)
class RequestMaterials:
    meta: ActionMeta
    missing: list[str]
    note: str = ""
    # A second request is only for materials supplied but found defective (一次性告知).
    defective: bool = False


@dataclass(frozen=True)
class SupplyMaterials:
    meta: ActionMeta
    materials: list[str]


@dataclass(frozen=True)
class StartReview:
    meta: ActionMeta


@dataclass(frozen=True)
class RequestSignoff:
    meta: ActionMeta
    departments: list[str]


@dataclass(frozen=True)
class RecordSignoff:
    meta: ActionMeta
    department: str
    decision: str
    comment: str = ""


@dataclass(frozen=True)
class Complete:
    meta: ActionMeta
    outcome: Outcome
    note: str = ""


@dataclass(frozen=True)
class Return:
    meta: ActionMeta
    reason: str


@dataclass(frozen=True)
class Reassign:
    meta: ActionMeta
    to_staff: str
    to_window: str | None
    reason: str = ""
    # manual | takeover (the B post covers an absent A post) | handback (A is back)
    kind: str = "manual"
    # For a hand-back: the seq of the takeover. The case stays with the B post if its
    # assignee has acted on it since.
    since_seq: int | None = None


@dataclass(frozen=True)
class Extend:
    meta: ActionMeta
    days: int
    reason: str
    clock: str = "promised"  # or "legal": once, director only, within the statutory cap


@dataclass(frozen=True)
class Suspend:
    meta: ActionMeta
    reason: str
    expected_days: int


@dataclass(frozen=True)
class Resume:
    meta: ActionMeta


@dataclass(frozen=True)
class Withdraw:
    """The applicant withdraws the application (through staff), with a reason."""

    meta: ActionMeta
    reason: str


@dataclass(frozen=True)
class DesignateUrgent:
    """The director designates an urgent case (急办件): shorter thresholds, first in lists."""

    meta: ActionMeta
    reason: str


@dataclass(frozen=True)
class Assign:
    """The director gives an orphan matter (不管件) a window, a clerk and a limit."""

    meta: ActionMeta
    to_staff: str
    to_window: str
    days: int
    reason: str


@dataclass(frozen=True)
class Forward:
    """An upward case is carried to the higher authority, which decides within ``days``."""

    meta: ActionMeta
    authority: str
    reference: str
    days: int


@dataclass(frozen=True)
class Chase:
    meta: ActionMeta
    note: str


@dataclass(frozen=True)
class RecordDecision:
    """The higher authority's decision on an upward case."""

    meta: ActionMeta
    decision: str  # approved | denied
    reference: str = ""
    note: str = ""


@dataclass(frozen=True)
class RequestReview:
    """The applicant asks the director to review a return."""

    meta: ActionMeta
    reason: str


@dataclass(frozen=True)
class DecideReview:
    meta: ActionMeta
    decision: str  # confirm | reopen
    note: str


@dataclass(frozen=True)
class Recalculate:
    """Count the limits again from their record, after the calendar changed."""

    meta: ActionMeta
    reason: str


@dataclass(frozen=True)
class AcknowledgeAlert:
    meta: ActionMeta
    alert_id: str
