"""Rebuilding the applicant's side: complaints and rectifications from their workflows'
histories, ratings and inquiries from the applicant's event log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from applicant.complaints import (
    About,
    Answer,
    Channel,
    Complainant,
    ComplaintInput,
    ComplaintState,
    Finding,
)
from applicant.rectification import Contact, RectificationInput, RectificationState
from ops.rebuild import rebuild_projections
from projections.inquiries import Inquiry, record_inquiry
from projections.ratings import Rating, insert_rating
from tests.conftest import eventually
from tests.ops.conftest import Center
from workflows.actions import ActionMeta
from workflows.complaint import ComplaintWorkflow
from workflows.model import Actor, OfficeCalendar, Role
from workflows.rectification import RectificationWorkflow

CALENDAR = OfficeCalendar("Asia/Shanghai", "08:30-11:30,14:30-17:30")
CLERK = Actor("mz-a", Role.CLERK, "minzheng")
DIRECTOR = ActionMeta(Actor("director", Role.DIRECTOR, None))

# The applicant's side's rows, each table in an order of its own; a deduction re-recorded by
# the rebuild keeps everything but its id and the instant it was written.
SIDE = {
    "complaints": "select * from complaints",
    "complaint_events": "select * from complaint_events",
    "rectifications": "select * from rectifications",
    "rectification_events": "select * from rectification_events",
    "ratings": "select * from ratings",
    "inquiries": "select * from inquiries",
    "applicant_events": "select * from applicant_events",
    "alerts": "select * from alerts where complaint_id is not null or kind = 'rectification'",
    "score_deductions": "select * from score_deductions where complaint_id is not null",
}
WIPED = [t for t in SIDE if t not in ("alerts", "score_deductions", "applicant_events")]


async def side(center: Center) -> dict[str, list[dict[str, Any]]]:
    tables = {}
    for name, sql in SIDE.items():
        rows = [dict(r) for r in await center.pool.fetch(sql)]
        for row in rows:
            if name == "score_deductions":
                del row["id"], row["recorded_at"]
        tables[name] = sorted(rows, key=repr)
    return tables


async def caught_up(center: Center, table: str, subject: str, last_seq: int) -> None:
    async def done() -> bool:
        seq = await center.pool.fetchval(f"select last_seq from {table} where id = $1", subject)
        return bool(seq == last_seq)

    await eventually(done)


async def upheld_complaint(center: Center) -> str:
    inp = ComplaintInput(
        complaint_id="TS-" + uuid.uuid4().hex[:10],
        channel=Channel.LETTER,
        about=About(window="minzheng"),
        complainant=Complainant("示例", "13900000000"),
        text="窗口服务态度差。",
        complicated=False,
        window="minzheng",
        units=["minzheng"],
        actor=CLERK,
        calendar=CALENDAR,
        request_hash="rebuild",
    )
    h = await center.client.start_workflow(
        ComplaintWorkflow.run, inp, id=inp.complaint_id, task_queue=center.queue
    )
    await h.execute_update("intake", result_type=ComplaintState)
    s: ComplaintState = await h.execute_update(
        "answer", Answer(DIRECTOR, Finding.UPHELD, "属实，已整改。"), result_type=ComplaintState
    )
    await caught_up(center, "complaints", inp.complaint_id, s.last_seq)
    return inp.complaint_id


async def contacted_rectification(center: Center, case_id: str) -> str:
    inp = RectificationInput(
        id=f"RECT-{case_id}-received",
        rating_id=f"{case_id}-received",
        case_id=case_id,
        service_name="临时救助申请",
        window="minzheng",
        assignee="mz-a",
        level=1,
        stage="received",
        tags=["attitude"],
        comment="态度不好",
        calendar=CALENDAR,
    )
    h = await center.client.start_workflow(
        RectificationWorkflow.run, inp, id=inp.id, task_queue=center.queue
    )
    s: RectificationState = await h.execute_update(
        "contact", Contact(ActionMeta(CLERK), "电话联系申请人"), result_type=RectificationState
    )
    await caught_up(center, "rectifications", inp.id, s.last_seq)
    return inp.id


async def test_a_rebuild_restores_the_applicant_side_after_its_tables_are_wiped(
    center: Center,
) -> None:
    case_id = "TS-" + uuid.uuid4().hex[:10]
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    complaint = await upheld_complaint(center)
    rectification = await contacted_rectification(center, case_id)
    async with center.pool.acquire() as conn, conn.transaction():
        bad = Rating(
            f"{case_id}-received",
            case_id,
            "received",
            1,
            ["attitude"],
            "态度不好",
            "minzheng",
            at,
            rectification,
            center="SFZ",
        )
        assert await insert_rating(conn, bad)
        good = Rating(
            f"{case_id}-completed",
            case_id,
            "completed",
            5,
            [],
            None,
            "minzheng",
            at + timedelta(days=3),
            center="SFZ",
        )
        assert await insert_rating(conn, good)
        assert not await insert_rating(conn, good)  # one rating per stage
        for outcome, referred in (("answered", None), ("referred", "shebao")):
            q = Inquiry(
                "SFZ",
                at,
                at.date(),
                "minzheng",
                "mz-a",
                "低保申请条件",
                None,
                outcome,
                referred,
                "",
            )
            await record_inquiry(conn, q)
    live = await side(center)
    assert [r["id"] for r in live["complaints"]] == [complaint]
    assert [r["id"] for r in live["rectifications"]] == [rectification]
    assert len(live["ratings"]) == 2 and len(live["inquiries"]) == 2
    assert len(live["score_deductions"]) == 1 and live["alerts"] == []
    types = [(r["type"], r["subject_id"]) for r in live["applicant_events"]]
    assert ("rating.recorded", f"{case_id}-completed") in types
    assert sum(t == "inquiry.logged" for t, _ in types) == 2

    for table in WIPED:
        await center.pool.execute(f"delete from {table}")
    await center.pool.execute("delete from score_deductions where complaint_id is not null")
    assert (await side(center))["ratings"] == []
    summary = await rebuild_projections(center.client, center.dsn, center.queue)

    assert await side(center) == live
    assert summary.applicant is not None
    assert summary.applicant.complaints == 1 and summary.applicant.rectifications == 1
    assert summary.applicant.log is not None and summary.applicant.log.ratings == 2
    assert "rectification(s)" in summary.as_text()


async def test_a_rebuild_repairs_an_edited_rating_and_keeps_what_was_projected_meanwhile(
    center: Center,
) -> None:
    complaint = await upheld_complaint(center)
    case_id = "TS-" + uuid.uuid4().hex[:10]
    at = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    async with center.pool.acquire() as conn, conn.transaction():
        assert await insert_rating(
            conn,
            Rating(
                f"{case_id}-received",
                case_id,
                "received",
                4,
                [],
                None,
                "minzheng",
                at,
                center="SFZ",
            ),
        )
    live = await side(center)
    await center.pool.execute("update ratings set level = 1 where case_id = $1", case_id)
    await center.pool.execute("update complaints set answer = 'x' where id = $1", complaint)
    await rebuild_projections(center.client, center.dsn, center.queue)
    assert await side(center) == live
