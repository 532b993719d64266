"""The replay audit works on temporary copies: it writes no live table, whatever it checks."""

from __future__ import annotations

from dataclasses import replace

from banjian.embedded import EmbeddedPostgres
from projections.audit import compare_case
from projections.db import connect
from tests.projections.test_dashboard import at, case, done, event, raised
from workflows.events import DeadlineOverdue
from workflows.model import AlertLevel, ProjectionBatch

_WRITTEN = """
select relname from pg_stat_xact_user_tables
where schemaname = 'public' and n_tup_ins + n_tup_upd + n_tup_del > 0
"""


async def test_auditing_a_case_the_read_model_lacks_writes_no_live_table(
    postgres: EmbeddedPostgres,
) -> None:
    """Its batches would add it to the dashboard's rollups, locking rows every case shares."""
    s = replace(case("audit"), overdue=True, warned=True, last_seq=2)
    events = [
        event(1, "case.received", s.received_at),
        raised(2, DeadlineOverdue, at(9, 17, 30), s, AlertLevel.DIRECTOR),
    ]
    batches = [
        ProjectionBatch(s.case_id, events, s),
        ProjectionBatch(s.case_id, [event(3, "case.completed", at(12, 9))], done(s, at(12, 9), 3)),
    ]
    conn = await connect(postgres.dsn)
    tr = conn.transaction()  # only to count what the audit writes, in its own transaction
    await tr.start()
    try:
        diffs = await compare_case(conn, s.case_id, batches, [], events)
        written = await conn.fetch(_WRITTEN)
    finally:
        await tr.rollback()
        await conn.close()
    assert {d.kind for d in diffs} == {"missing_case", "missing_event", "missing_alert"}
    assert written == []
