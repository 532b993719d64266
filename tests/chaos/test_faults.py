"""The fault suite's short form (``make chaos`` runs the full one): about thirty cases in flight
on the embedded stack, and the worker killed, PostgreSQL stopped a few seconds, the Temporal
server killed (the supervision starts it again), the API killed mid-request; after each,
nothing lost, nothing twice, every projection equal to its history."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.chaos import SHORT, Chaos, Load, Row, check, report, run_faults
from tests.receiver import Receiver


@pytest.mark.timeout(420)
async def test_no_fault_loses_or_repeats_anything(tmp_path: Path) -> None:
    tampered: list[Row] = []

    async def tamper(chaos: Chaos, load: Load, receiver: Receiver) -> None:
        # The checks themselves: a projected event removed behind the system's back is found.
        victim = next(c for c in load.cases if c.last_seq > 1)
        conn = await chaos.pg_connect()
        try:
            await conn.execute(
                "delete from case_events where case_id = $1 and seq = 1", victim.case_id
            )
        finally:
            await conn.close()
        row = Row("tampered", 0, 0)
        await check(chaos, load, receiver, row, alerts_due=False, settle=1.0)
        tampered.append(row)

    rows, totals = await run_faults(SHORT, tmp_path, after=tamper)
    print("\n".join(report(rows, totals)))

    assert [r.fault.split()[:3] for r in rows] == [
        ["kill", "-9", "worker,"],
        ["PostgreSQL", "stopped", "3s"],
        ["kill", "-9", "Temporal,"],
        ["kill", "-9", "API"],
        ["end", "of", "the"],
    ]
    for row in rows:
        assert row.problems == [], row.fault
        assert (row.lost, row.duplicates) == (0, 0), row.fault
        assert row.checked >= SHORT.cases
    # Each fault struck while requests were in flight, and the stack came back from it.
    assert all(r.requests_in_flight > 0 and r.recovery is not None for r in rows[:4])
    assert totals["temporal restarts"] == 1
    assert totals["alerts delivered"] > 0  # the open cases warned, through the faults
    [row] = tampered
    assert row.lost >= 1 and row.problems
