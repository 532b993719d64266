"""The center's rules for staff actions, as named checks that raise named errors.

Here: who may take which action in which status, the named errors, and the
checks of the contract's core actions. The checks of a mixin's own actions sit
beside it (``materials``, ``joint``, ``center``). The case workflow's update
validators call them; a check that fails rejects the action before anything is
recorded. Each error carries the code of the public contract's error body, so
the API maps it without guessing.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from workflows.actions import (
    AcknowledgeAlert,
    Complete,
    Extend,
    Reassign,
    Suspend,
)
from workflows.model import Actor, AlertLevel, CaseState, Event, Kind, Outcome, Role, Status

# Where each action may be taken. Anything else is an invalid transition.
ALLOWED: dict[str, frozenset[Status]] = {
    "request-materials": frozenset({Status.RECEIVED, Status.UNDER_REVIEW}),
    "supply-materials": frozenset({Status.NEEDS_MATERIALS}),
    "start-review": frozenset({Status.RECEIVED}),
    "request-signoff": frozenset({Status.UNDER_REVIEW}),
    "signoff": frozenset({Status.JOINT_SIGNOFF}),
    "complete": frozenset({Status.RECEIVED, Status.UNDER_REVIEW}),
    "return": frozenset({Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW}),
    "reassign": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "extend": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "suspend": frozenset({Status.RECEIVED, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}),
    "resume": frozenset({Status.RECEIVED, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}),
    "recalculate": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "acknowledge-alert": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "withdraw": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "designate-urgent": frozenset(
        {Status.RECEIVED, Status.NEEDS_MATERIALS, Status.UNDER_REVIEW, Status.JOINT_SIGNOFF}
    ),
    "assign": frozenset({Status.RECEIVED}),
    "forward": frozenset({Status.UNDER_REVIEW}),
    "chase": frozenset({Status.UNDER_REVIEW}),
    "record-decision": frozenset({Status.UNDER_REVIEW}),
    # A returned case: the applicant may ask the director to review it.
    "request-review": frozenset({Status.COMPLETED}),
    "decide-review": frozenset({Status.COMPLETED}),
}

# Actions a suspended case still accepts: the clock stops, the case does not move.
WHILE_SUSPENDED = frozenset(
    {
        "resume",
        "reassign",
        "extend",
        "return",
        "acknowledge-alert",
        "recalculate",
        "withdraw",
        "designate-urgent",
    }
)
# Recounting a limit changes no decision: the director or ops may ask for it.
RECOUNTERS = frozenset({Role.DIRECTOR, Role.OPS})

# What an orphan matter (不管件) accepts before the director gives it a window and a limit.
BEFORE_ASSIGNMENT = frozenset(
    {"assign", "withdraw", "return", "designate-urgent", "acknowledge-alert", "reassign"}
)

DIRECTOR_ONLY = frozenset({"extend", "designate-urgent", "assign", "decide-review"})


def _error(code: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=code, non_retryable=True)


def invalid_transition(action: str, state: CaseState, why: str = "") -> ApplicationError:
    status = f"{state.status.value} (suspended)" if state.suspended else state.status.value
    detail = f": {why}" if why else ""
    return _error(
        "invalid_transition",
        f"action {action!r} is not allowed while case {state.case_id} is {status}{detail}",
    )


def validation_error(message: str) -> ApplicationError:
    return _error("validation_error", message)


def forbidden(message: str) -> ApplicationError:
    return _error("forbidden", message)


def idempotency_conflict(key: str) -> ApplicationError:
    return _error(
        "idempotency_conflict",
        f"idempotency key {key!r} was already used with a different request",
    )


def authorize(action: str, actor: Actor, state: CaseState, department: str | None = None) -> None:
    """Who may act: ops only read; a clerk or window head only on their window's cases.

    A department signing off a joint case acts as its own window.
    """
    if action == "recalculate":
        if actor.role not in RECOUNTERS:
            raise forbidden("only the director or ops may recalculate a case's limits")
        return
    if actor.role is Role.OPS:
        raise forbidden("ops staff have read-only access to cases")
    if action in DIRECTOR_ONLY and actor.role is not Role.DIRECTOR:
        raise forbidden(f"only the center director may {action} a case")
    if actor.role is Role.DIRECTOR:
        return
    acting_for = department if department is not None else state.window
    if actor.window != acting_for:
        raise forbidden(f"staff {actor.staff_id} is not on window {acting_for!r} of this case")


def check_transition(action: str, state: CaseState) -> None:
    if state.status not in ALLOWED[action]:
        raise invalid_transition(action, state)
    if action == "resume" and not state.suspended:
        raise invalid_transition(action, state, "the case is not suspended")
    if action == "suspend" and state.suspended:
        raise invalid_transition(action, state, "the case is already suspended")
    if state.suspended and action not in WHILE_SUSPENDED:
        raise invalid_transition(action, state, "resume it first")
    if (
        action == "complete"
        and state.status is Status.RECEIVED
        and state.kind is not Kind.IMMEDIATE
    ):
        raise invalid_transition(action, state, "only an immediate case completes without review")
    if action == "request-signoff" and state.kind is not Kind.JOINT:
        raise invalid_transition(action, state, "sign-off is for joint cases")
    if state.kind is Kind.ORPHAN and state.due_at is None and action not in BEFORE_ASSIGNMENT:
        raise invalid_transition(action, state, "the director assigns the matter first")


def known_materials(codes: list[str], catalog: set[str], what: str) -> None:
    if not codes:
        raise validation_error(f"{what} must name at least one material")
    unknown = sorted(set(codes) - catalog)
    if unknown:
        raise validation_error(f"{what} names materials not in this service: {', '.join(unknown)}")


def written_reason(text: str, what: str) -> None:
    if not text.strip():
        raise validation_error(f"{what} needs a written reason")


# Each action's own checks, after authorization and the transition check.


def check_completion(a: Complete, state: CaseState) -> None:
    if a.outcome not in (Outcome.APPROVED, Outcome.DENIED):
        raise validation_error("outcome must be 'approved' or 'denied'")
    if state.kind is Kind.UPWARD and (state.upward is None or state.upward.decision is None):
        raise invalid_transition(
            "complete", state, "an upward case completes on the higher authority's decision"
        )
    if state.kind is Kind.UPWARD and state.upward and state.upward.decision != a.outcome.value:
        raise validation_error(
            f"the higher authority decided {state.upward.decision!r}:"
            " the case completes with that outcome"
        )
    approvals = [x.decision == "approve" for x in state.signoffs]
    if (
        a.outcome is Outcome.APPROVED
        and state.kind is Kind.JOINT
        and not (approvals and all(approvals))
    ):
        raise invalid_transition(
            "complete", state, "a joint case is approved only when every department approved"
        )


REASSIGN_KINDS = frozenset({"manual", "takeover", "handback"})


def check_reassignment(a: Reassign, state: CaseState, events: list[Event]) -> None:
    if a.to_staff == state.assignee:
        raise validation_error(f"the case is already assigned to {a.to_staff}")
    if a.kind not in REASSIGN_KINDS:
        raise validation_error("kind must be 'manual', 'takeover' or 'handback'")
    if a.kind == "handback":
        if a.since_seq is None:
            raise validation_error("a hand-back names the seq of the takeover")
        if any(e.seq > a.since_seq and e.actor == state.assignee for e in events):
            raise invalid_transition(
                "reassign", state, f"{state.assignee} has acted on it since the takeover"
            )


# 行政许可法 Art. 42: the legal limit may be extended once, by 10 working days (joint cases 15).
LEGAL_EXTENSION_DAYS = {Kind.JOINT: 15}
LEGAL_EXTENSION_DEFAULT = 10


def check_extension(a: Extend, state: CaseState) -> None:
    written_reason(a.reason, "an extension")
    if not 1 <= a.days <= 60:
        raise validation_error("an extension is 1 to 60 working days")
    if a.clock == "promised":
        return
    if a.clock != "legal":
        raise validation_error("clock must be 'promised' or 'legal'")
    if state.legal_due_at is None:
        raise invalid_transition("extend", state, "the case has no legal limit counted")
    if state.legal_extended:
        raise invalid_transition("extend", state, "the legal limit may be extended only once")
    cap = LEGAL_EXTENSION_DAYS.get(state.kind, LEGAL_EXTENSION_DEFAULT)
    if a.days > cap:
        raise validation_error(
            f"a {state.kind.value} case's legal limit is extended by {cap} working days at most"
        )


def check_suspension(a: Suspend) -> None:
    written_reason(a.reason, "a suspension")
    if a.expected_days < 1:
        raise validation_error("expected_days must be at least 1")


def check_acknowledgement(a: AcknowledgeAlert, state: CaseState) -> None:
    """A supervisor acknowledges: the window head at the first rung, the director at any."""
    alert = next((x for x in state.alerts if x.id == a.alert_id), None)
    if alert is None:
        raise validation_error(f"case {state.case_id} has no alert {a.alert_id!r}")
    role = a.meta.actor.role
    if role is Role.CLERK or (
        role is Role.WINDOW_HEAD and alert.level is not AlertLevel.WINDOW_HEAD
    ):
        raise forbidden(
            f"an alert to the {alert.level.value} is acknowledged by that level or above"
        )
    if alert.acked_at is not None:
        raise invalid_transition(
            "acknowledge-alert", state, f"alert {a.alert_id} was already acknowledged"
        )
