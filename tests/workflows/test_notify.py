"""Supervisors' notifications: held until office hours, signed, retried, every attempt recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.channels import verify_webhook_signature
from banjian.embedded import EmbeddedPostgres, free_port
from projections.db import connect
from projections.notifications import add_channel, attempts
from tests.conftest import PAGES_URL, eventually
from tests.receiver import Receiver
from tests.workflows.harness import WORKING, act, meta, service, skip_past, start, state_of
from workdays.calendar import WorkingCalendar
from workflows.actions import StartReview

SECRET = "whsec-test-only"


@pytest_asyncio.fixture
async def webhook(postgres: EmbeddedPostgres, receiver: Receiver) -> AsyncIterator[Receiver]:
    """A signed webhook for window-head alerts, removed again after the test."""
    conn = await connect(postgres.dsn)
    channel = await add_channel(
        conn, "SFZ", "window_head", "webhook", f"{receiver.base}/hook", SECRET
    )
    try:
        yield receiver
    finally:
        await conn.execute("update alert_channels set active = false where id = $1", channel)
        await conn.close()


def delivered(receiver: Receiver, alert_id: str) -> list[Any]:
    return [r for r in receiver.requests if r.headers.get("x-banjian-alert-id") == alert_id]


async def test_a_breach_at_closing_time_is_delivered_when_the_office_opens(
    time_skipping: tuple[WorkflowEnvironment, str], webhook: Receiver, postgres: EmbeddedPostgres
) -> None:
    env, _ = time_skipping
    h = await start(time_skipping, service(days=2))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.due_at is not None
    # The breach falls at 17:30, as the office closes: the window head hears of it next morning.
    await skip_past(env, s.due_at, timedelta(hours=2))
    overdue = next(a for a in (await state_of(h)).alerts if a.kind == "overdue")
    assert delivered(webhook, overdue.id) == []
    opens = _next_opening(WORKING, s.due_at)
    await skip_past(env, opens, timedelta(minutes=5))

    async def arrived() -> bool:
        return len(delivered(webhook, overdue.id)) == 1

    await eventually(arrived, within=60)
    request = delivered(webhook, overdue.id)[0]
    assert verify_webhook_signature(
        SECRET,
        request.headers["x-banjian-timestamp"],
        request.body,
        request.headers["x-banjian-signature"],
    )
    body = request.json()
    assert (body["case_id"], body["kind"], body["level"]) == (h.id, "overdue", "window_head")
    # The message takes the supervisor to the case's page.
    assert body["url"] == f"{PAGES_URL}/timeline/{h.id}"
    assert "张三" not in request.body.decode() and "350521" not in request.body.decode()
    conn = await connect(postgres.dsn)
    try:
        rows = await attempts(conn, overdue.id)
    finally:
        await conn.close()
    assert [(r["ok"], r["status"]) for r in rows] == [(True, 200)]


async def test_a_failing_channel_is_retried_and_each_attempt_recorded(
    time_skipping: tuple[WorkflowEnvironment, str], webhook: Receiver, postgres: EmbeddedPostgres
) -> None:
    env, _ = time_skipping
    webhook.answer(503)
    h = await start(time_skipping, service(days=2))
    s = await act(h, "start-review", StartReview(meta()))
    assert s.due_at is not None and s.warn_at is not None
    await env.sleep(_next_opening(WORKING, s.warn_at) - await env.get_current_time())
    warning = (await state_of(h)).alerts[0]
    conn = await connect(postgres.dsn)
    try:

        async def failed_twice() -> bool:
            return len(await attempts(conn, warning.id)) >= 2

        await eventually(failed_twice, within=120)
        webhook.answer(200, {"ok": True})

        async def then_delivered() -> bool:
            rows = await attempts(conn, warning.id)
            return bool(rows) and rows[-1]["ok"]

        await eventually(then_delivered, within=150)
        rows = await attempts(conn, warning.id)
    finally:
        await conn.close()
    assert [r["status"] for r in rows[:-1]] == [503] * (len(rows) - 1)
    assert all(r["retryable"] for r in rows[:-1]) and rows[-1]["status"] == 200
    assert len(delivered(webhook, warning.id)) == len(rows)


async def test_a_channel_that_keeps_failing_does_not_hold_back_the_directors_escalation(
    time_skipping: tuple[WorkflowEnvironment, str], receiver: Receiver, postgres: EmbeddedPostgres
) -> None:
    env, _ = time_skipping
    conn = await connect(postgres.dsn)
    # The window head's channel refuses every connection; the director's takes every message.
    dead = f"http://127.0.0.1:{free_port()}/hook"
    channels = [
        await add_channel(conn, "SFZ", "window_head", "webhook", dead, SECRET),
        await add_channel(conn, "SFZ", "director", "webhook", f"{receiver.base}/hook", SECRET),
    ]
    try:
        h = await start(time_skipping, service(days=2))
        await act(h, "start-review", StartReview(meta()))
        # Through the warning, the breach and the day nobody acknowledged it, the window
        # head's alerts still being retried all along.
        while not any(a.kind == "escalation" for a in (await state_of(h)).alerts):
            await env.sleep(timedelta(hours=4))
        escalation = next(a for a in (await state_of(h)).alerts if a.kind == "escalation")
        await env.sleep(_next_opening(WORKING, escalation.raised_at) - await env.get_current_time())
        await env.sleep(timedelta(minutes=5))

        async def reached_the_director() -> bool:
            return len(delivered(receiver, escalation.id)) == 1

        # The clock stands still here: the escalation is sent while the others still fail.
        await eventually(reached_the_director, within=30)
        warning = next(a for a in (await state_of(h)).alerts if a.kind == "warning")
        assert all(not r["ok"] for r in await attempts(conn, warning.id))
    finally:
        await conn.execute("update alert_channels set active = false where id = any($1)", channels)
        await conn.close()


def _next_opening(cal: WorkingCalendar, after: Any) -> Any:
    """The start of the first office period after ``after``."""
    tick = timedelta(seconds=1)
    return cal.add_office_time(after + tick, tick) - tick
