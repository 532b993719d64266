"""Every ``workflow.patched()`` change of the case workflow, and the marker that settles them.

Each patch names a change to what the workflow records, so that a case
received before it replays as it ran. The SDK records a marker for each patch a
case passes, and with it an upsert of the ``TemporalChangeVersion`` search
attribute: two history events and a visibility write per patch, at every case.

A case received under ``SETTLED_PATCH`` records that one marker and takes every
patch of ``SETTLED`` as applied, without a marker of its own (``patched``,
``deprecate``). A case received before it calls each patch as it did. A patch
added after it is called as a plain ``workflow.patched()`` (or a later settled
marker takes it in, with its own list): this list never grows. A case received
now records ``SETTLED_WRITE_THROUGH_PATCH``, which takes that list and
``WRITE_THROUGH_PATCH`` (``received_settled``).
"""

from __future__ import annotations

from temporalio import workflow

# Limits counted from their record (receipt, days, extensions, pauses) instead of shifted.
# Kept: the recorded promised-pause-extend resumed and was extended before it.
LEDGER_PATCH = "deadline-ledger"
# The legal limit and each department's sign-off limit beside the promised one, the center's
# thresholds and ladder, and the restart-on-supply policy. Kept: the recorded
# promised-pause-extend was received before it.
CLOCKS_PATCH = "clocks"
# Kept: cases counted before it (recorded: immediate, joint, restart-on-supply) have one
# clock fewer in each count's answer.
RETURN_PATCH = "return-limit"
# Intake's counts are local activities, so the case is received in the workflow's first task
# (with the intake update that rides with the start) rather than in three. Later counts stay
# scheduled activities: an update handler awaiting a local activity fails its workflow task on
# the time-skipping server, and they are rare beside intake.
LOCAL_INTAKE_PATCH = "local-intake-count"
# Kept: the recorded promised-pause-extend was received with materials missing before it.
NOTICE_PATCH = "notice-clock"
# A request no longer drops the materials still missing that it does not name.
MISSING_KEPT_PATCH = "missing-kept"
# Closing a case settles its open alerts (``_settle_alerts``). Kept: the recorded joint and
# upward cases closed with open alerts before it.
CLOSE_SETTLES_PATCH = "close-settles-alerts"
# Alerts are delivered each on its own (before this patch, one after another).
PARALLEL_NOTIFY_PATCH = "parallel-notify"
# A reopened case's limits do not count the time it stood returned (after this patch).
REOPEN_PATCH = "reopen-not-counted"
# A returned case stays open for the applicant's review request. Deprecated: a case returned
# before it closed at the return, so every open history has passed it.
REVIEW_PATCH = "return-review"
# A department's rejection returns a joint case to the lead window at once. Deprecated: no
# recorded history has a rejection before it.
REJECT_PATCH = "rejection-returns-to-lead"
# A calendar change that landed while the case was received recounts it. Deprecated: a case
# projected first before it got no calendar version back, so the check does nothing there.
INTAKE_CALENDAR_PATCH = "intake-calendar-check"
# Acknowledging only the warning leaves the climb of a later breach to go on. Deprecated: no
# recorded history acknowledged a warning before it.
WARNING_ACK_PATCH = "warning-ack-keeps-climb"

# An action's events go out in its answer for the caller to write; the projector writes what
# is left a little later, or as the case closes, instead of after each action at once.
WRITE_THROUGH_PATCH = "write-through"

# The first thing a case records: every patch above applies to it (a case received under the
# first of these, every patch but ``WRITE_THROUGH_PATCH``).
SETTLED_PATCH = "settled-2026-12"
SETTLED = frozenset(
    {
        LEDGER_PATCH,
        CLOCKS_PATCH,
        RETURN_PATCH,
        LOCAL_INTAKE_PATCH,
        NOTICE_PATCH,
        MISSING_KEPT_PATCH,
        CLOSE_SETTLES_PATCH,
        PARALLEL_NOTIFY_PATCH,
        REOPEN_PATCH,
        REVIEW_PATCH,
        REJECT_PATCH,
        INTAKE_CALENDAR_PATCH,
        WARNING_ACK_PATCH,
    }
)
SETTLED_WRITE_THROUGH_PATCH = "settled-2026-12-06"
SETTLED_WRITE_THROUGH = SETTLED | {WRITE_THROUGH_PATCH}


def received_settled() -> frozenset[str]:
    """The patches the case takes as applied, by the settled marker it recorded first (the
    newest for a case received now); none for a case received before the first."""
    if workflow.patched(SETTLED_WRITE_THROUGH_PATCH):
        return SETTLED_WRITE_THROUGH
    if workflow.patched(SETTLED_PATCH):
        return SETTLED
    return frozenset()


def patched(settled: frozenset[str], patch: str) -> bool:
    """``workflow.patched(patch)``, true without a marker for a settled case's patch."""
    return patch in settled or workflow.patched(patch)


def deprecate(settled: frozenset[str], patch: str) -> None:
    """``workflow.deprecate_patch(patch)``; nothing to record for a settled case's patch."""
    if patch not in settled:
        workflow.deprecate_patch(patch)
