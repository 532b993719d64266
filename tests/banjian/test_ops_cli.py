"""The operations commands as a user runs them: output and exit codes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from ops.archive import archive_pending
from tests.conftest import PAYLOAD_KEYS
from tests.ops.conftest import Center

BANJIAN = str(Path(sys.executable).parent / "banjian")


async def banjian(center: Center, *args: str) -> tuple[int, str, str]:
    """Run the command without blocking this loop: the test's worker answers its queries."""
    env = {
        **os.environ,
        "BANJIAN_DATABASE_URL": center.dsn,
        "BANJIAN_TEMPORAL_ADDRESS": center.address,
        "BANJIAN_TASK_QUEUE": center.queue,
        "BANJIAN_PAYLOAD_KEYS": PAYLOAD_KEYS.text(),
        "BANJIAN_LOG_LEVEL": "warning",
    }
    proc = await asyncio.create_subprocess_exec(
        BANJIAN, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_replay_exits_0_when_consistent_and_1_with_the_differences(center: Center) -> None:
    h = await center.start()
    await center.projected(h)
    code, out, _ = await banjian(center, "replay", h.id)
    assert code == 0, out
    assert "受理 / case received" in out and out.rstrip().endswith(
        "consistent: the read model matches the history"
    )

    await center.pool.execute("update cases set status = 'completed' where case_id = $1", h.id)
    code, out, _ = await banjian(center, "replay", h.id)
    assert code == 1
    assert "current state: status is 'completed', the history says 'received'" in out

    code, out, _ = await banjian(center, "replay", h.id, "--json")
    assert code == 1
    body = json.loads(out)
    assert body["consistent"] is False and body["differences"][0]["field"] == "status"


async def test_replay_of_an_unknown_case_says_so(center: Center) -> None:
    code, _, err = await banjian(center, "replay", "T-NOSUCHCASE")
    assert code == 1 and "not found in Temporal or the archive" in err


async def test_archive_verify_names_the_position_where_the_chain_breaks(center: Center) -> None:
    for _ in range(2):
        h = await center.start()
        await center.close(h)
    await archive_pending(center.client, center.pool)
    code, out, _ = await banjian(center, "archive", "verify")
    assert code == 0 and out.startswith("chain intact"), out

    closed = await center.pool.fetchval("select closed_at from case_archive where position = 1")
    await center.pool.execute("update case_archive set closed_at = now() where position = 1")
    code, out, _ = await banjian(center, "archive", "verify")
    assert code == 1
    assert "position 1 " in out and "chain BROKEN" in out
    await center.pool.execute(  # leave this module's chain as it was
        "update case_archive set closed_at = $1 where position = 1", closed
    )
    assert (await banjian(center, "archive", "verify"))[0] == 0


async def test_projections_rebuild_prints_a_summary(center: Center) -> None:
    h = await center.start()
    await center.projected(h)
    code, out, _ = await banjian(center, "projections", "rebuild")
    assert code == 0, out
    assert "rebuilt" in out and "projection lag: 0" in out


async def test_the_dossier_is_written_to_a_file(center: Center, tmp_path: Path) -> None:
    h = await center.start()
    await center.projected(h)
    code, _, _ = await banjian(center, "dossier", h.id, "--output", str(tmp_path / "d.html"))
    assert code == 0
    assert h.id in (tmp_path / "d.html").read_text(encoding="utf-8")


async def test_the_dossier_is_written_as_a_pdf(center: Center, tmp_path: Path) -> None:
    h = await center.start()
    await center.projected(h)
    pdf = tmp_path / "d.pdf"
    code, out, err = await banjian(center, "dossier", h.id, "--format", "pdf", "--output", str(pdf))
    assert code == 0, err
    assert "(PDF)" in out and pdf.read_bytes().startswith(b"%PDF-")
    assert h.id in PdfReader(pdf).pages[0].extract_text()
    code, _, err = await banjian(center, "dossier", h.id, "--format", "pdf")
    assert code == 2 and "--output" in err


NOTICE = str(Path(__file__).parent.parent / "workdays" / "notice_2027.json")


async def test_calendar_changes_need_a_staff_member_the_api_would_allow(center: Center) -> None:
    day = "2035-05-09"

    async def closures() -> int:
        n: int = await center.pool.fetchval(
            "select count(*) from calendar_days where day = $1", date.fromisoformat(day)
        )
        return n

    refused = [
        (["close", day, "--reason", "停电检修", "--staff", "nobody"], "no active staff member"),
        (["close", day, "--reason", "停电检修", "--staff", "ops"], "only the director may"),
        (["close", day, "--reason", "停电检修", "--staff", "mz-head"], "only the director may"),
        (["close", day, "--reason", " ", "--staff", "director"], "needs a written reason"),
        (["import", NOTICE, "--staff", "mz-a"], "only the director or ops may"),
        (["import", NOTICE, "--staff", "nobody"], "no active staff member"),
    ]
    for args, why in refused:
        code, out, err = await banjian(center, "calendar", *args)
        assert code == 1 and why in err and "Traceback" not in err, (args, out, err)
    assert await closures() == 0
    assert await center.pool.fetchval("select count(*) from calendar_notices") == 0

    code, out, err = await banjian(center, "calendar", "close", day, "--reason", "停电检修")
    assert code == 0, err
    assert "open cases recounted" in out
    recorded = await center.pool.fetchrow(
        "select name, recorded_by from calendar_days where day = $1", date.fromisoformat(day)
    )
    assert recorded is not None and dict(recorded) == {
        "name": "停电检修",
        "recorded_by": "director",
    }
