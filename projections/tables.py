"""The tables ``apply_batch`` writes: every read model fed by the case events, in one list.

A rebuild (``projections.shadow``) recreates each of them beside the live one
and swaps it in; the replay audit (``projections.audit``) applies a case's
batches to temporary copies of them. A read model fed by ``apply_batch`` but
missing here would be written in place by both, over the live rows, so
``tests/projections/test_tables.py`` fails when one is.
"""

from __future__ import annotations

# Each row belongs to one case (``case_id``): a rebuild takes a case's rows from the live
# tables when the live projection wrote to the case while the rebuild ran.
PER_CASE = ("case_events", "cases", "alerts", "score_deductions", "dash_cases")
# The dashboard's day and month sums over ``dash_cases``: they follow its rows
# (``projections.dashboard.move_contributions``).
ROLLUPS = ("dash_received", "dash_completed", "dash_handling")
# In the order ``apply_batch`` first writes them, which is the order a swap locks them in, so
# that a batch being projected and a swap never deadlock.
TABLES = PER_CASE + ROLLUPS

# Rows no case's events write, which a rebuild therefore carries over as they are.
NOT_FROM_EVENTS = {
    # A missing holiday notice, raised by the calendar check; a complaint's (its own workflow's);
    # a rectification's, by its own workflow's events (``projections.rectifications``).
    "alerts": "case_id is null or kind = 'rectification'",
    # Entered by the director, or an upheld complaint's, recorded as the director's answer.
    "score_deductions": "recorded_by <> 'system'",
}
