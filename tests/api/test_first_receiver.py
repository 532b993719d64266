"""The first-asker (首问责任人) stays on the case: on every alert message and in the case list,
whoever holds the case now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest_asyncio

from activities.notify import Notifier
from projections.db import LazyPool
from projections.notifications import add_channel, deactivate_channel
from tests.api.conftest import Api
from tests.api.test_cases import projected, receive
from tests.receiver import Receiver
from workflows.model import AlertLevel, AlertNotice


@pytest_asyncio.fixture
async def channels(db: LazyPool, receiver: Receiver) -> AsyncIterator[Receiver]:
    """A webhook and a WeCom robot for discipline alerts, removed again after the test."""
    pool = await db.get()
    ids = [
        await add_channel(pool, "SFZ", "discipline", "webhook", f"{receiver.base}/hook"),
        await add_channel(pool, "SFZ", "discipline", "wecom", f"{receiver.base}/wecom?key=k"),
    ]
    try:
        yield receiver
    finally:
        for channel in ids:
            await deactivate_channel(pool, "SFZ", channel)


async def test_an_alert_names_the_first_receiver_after_the_case_was_reassigned(
    api: Api, db: LazyPool, channels: Receiver
) -> None:
    case = await receive(api, "mz-a")
    r = await api.http.post(
        f"/cases/{case['case_id']}/reassign", json={"to_staff": "mz-b"}, headers=api.auth("mz-head")
    )
    assert r.status_code == 200, r.text
    await projected(api, case["case_id"], r.json()["last_seq"])
    notice = AlertNotice(
        alert_id=f"{case['case_id']}:overdue:test",
        case_id=case["case_id"],
        kind="overdue",
        level=AlertLevel.DISCIPLINE,
        raised_at=datetime.now(UTC),
        service_name=case["service_name"],
        window="minzheng",
        assignee="mz-b",
        due_at=None,
    )

    await Notifier(db, ZoneInfo("Asia/Shanghai")).deliver_alert(notice)

    mine = [x for x in channels.requests if case["case_id"] in x.body.decode()]
    hook = next(x.json() for x in mine if x.path == "/hook")
    assert hook["first_receiver"] == "mz-a"
    assert "首问责任人：王秀兰（mz-a）" in hook["text"] and "承办人：mz-b" in hook["text"]
    wecom = next(x.json() for x in mine if x.path == "/wecom")
    assert "首问责任人：王秀兰（mz-a）" in wecom["markdown"]["content"]


async def test_the_case_list_shows_and_filters_by_the_first_receiver(api: Api) -> None:
    case = await receive(api, "mz-a")
    await projected(api, case["case_id"], case["last_seq"])
    r = await api.http.get(
        "/cases", params={"first_receiver": "mz-a", "limit": 200}, headers=api.auth("mz-head")
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert case["case_id"] in [x["case_id"] for x in items]
    assert {x["first_receiver"] for x in items} == {"mz-a"}
