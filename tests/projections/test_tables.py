"""The list of projection tables is whole: every table ``apply_batch`` writes is in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from banjian.embedded import EmbeddedPostgres
from projections.db import connect
from projections.tables import TABLES
from tests.projections.test_dashboard import at, case, done, event, project, raised
from workflows.event_log import recorded
from workflows.events import AlertAcknowledged, AlertRaised, DeadlineOverdue, DeadlineWarning
from workflows.model import AlertLevel, CaseState, Event

_WRITTEN = """
select relname from pg_stat_xact_user_tables
where schemaname = 'public' and n_tup_ins + n_tup_upd + n_tup_del > 0
"""


def _raised(s: CaseState, cls: type[AlertRaised], when: datetime) -> Event:
    return raised(s.last_seq, cls, when, s, AlertLevel.DIRECTOR)


async def test_the_projection_tables_are_every_table_apply_batch_writes(
    postgres: EmbeddedPostgres,
) -> None:
    """A case through every kind of write: received, warned, overdue (an alert and a
    deduction), its alert acknowledged, completed; counted in a transaction rolled back."""
    conn = await connect(postgres.dsn)
    tr = conn.transaction()
    await tr.start()
    try:
        s = await project(conn, case("tables"), event(1, "case.received", at(2, 9)))
        s = replace(s, warned=True, last_seq=2)
        await project(conn, s, _raised(s, DeadlineWarning, at(6, 17)))
        s = replace(s, overdue=True, last_seq=3)
        await project(conn, s, _raised(s, DeadlineOverdue, at(9, 17)))
        s = replace(s, last_seq=4)
        ack = AlertAcknowledged(f"{s.case_id}-A2", "warning", AlertLevel.DIRECTOR)
        await project(conn, s, recorded(4, at(10, 9), "head", ack))
        await project(conn, done(s, at(11, 9), 5), event(5, "case.completed", at(11, 9)))
        written = {r["relname"] for r in await conn.fetch(_WRITTEN)}
    finally:
        await tr.rollback()
        await conn.close()
    assert written == set(TABLES)
