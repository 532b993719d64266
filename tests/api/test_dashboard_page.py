"""The supervisors' page in a real headless Chromium (Debian's, installed by ``make test``).

The sandbox API is served over HTTP; the browser signs in with a token, shows
the figures the API gives, hears an alert raised by moving the sandbox clock
without reloading, and acknowledges it. Every wait polls with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

from banjian.embedded import free_port
from documents.timeline import LABELS
from tests.api.test_alerts import past_due
from tests.api.test_cases import new_case
from tests.conftest import eventually

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000


@pytest_asyncio.fixture
async def served(sandbox_app: tuple[FastAPI, httpx.AsyncClient]) -> AsyncIterator[str]:
    """The sandbox app on a local port, for the browser."""
    app, _ = sandbox_app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))  # fmt: skip
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        await b.close()


async def token(sandbox: httpx.AsyncClient, staff: str) -> str:
    r = await sandbox.post("/sandbox/tokens", json={"staff_id": staff})
    value: str = r.json()["token"]
    return value


def watch_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def sign_in(page: Page, base: str, staff_token: str) -> None:
    await page.goto(f"{base}/dashboard")
    await expect(page.locator("#signin")).to_be_visible()
    await page.fill("#token", staff_token)
    await page.click("#signin button[type=submit]")
    await expect(page.locator("#board")).to_be_visible(timeout=WAIT_MS)


async def test_the_page_shows_the_figures_and_live_alerts_and_acknowledges_them(
    served: str, browser: Browser, sandbox: httpx.AsyncClient
) -> None:
    director = await token(sandbox, "director")
    auth = {"Authorization": f"Bearer {director}"}
    page = await browser.new_page()
    errors = watch_errors(page)
    await sign_in(page, served, director)
    await expect(page.locator("h1")).to_have_text("中心看板")

    summary = (await sandbox.get("/dashboard/summary?window=all", headers=auth)).json()
    received = page.locator('[data-figure="received"] .value')
    await expect(received).to_have_text(str(summary["received"]), timeout=WAIT_MS)
    overdue = page.locator('[data-figure="overdue_now"] .value')
    await expect(overdue).to_have_text(str(summary["overdue_now"]))
    await expect(page.locator("#ranking svg")).to_be_visible()
    await expect(page.locator("#live")).to_have_attribute("data-state", "on", timeout=WAIT_MS)

    # A case goes overdue in the sandbox while the page stays open: no reload.
    await page.evaluate("window.__still_here = true")
    clerk = {"Authorization": f"Bearer {await token(sandbox, 'ny-a')}"}
    body = new_case("NY-002", materials=["id_card", "transfer_contract", "contract_cert"])
    r = await sandbox.post("/cases", json=body, headers=clerk)
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    await past_due(sandbox, case)
    alerts = (await sandbox.get("/alerts?status=open", headers=auth)).json()
    breach = next(a for a in alerts if a["case_id"] == case["case_id"] and a["kind"] == "overdue")
    row = page.locator(f'[data-alert="{breach["id"]}"]')
    await expect(row).to_be_visible(timeout=WAIT_MS)
    assert await page.evaluate("window.__still_here === true")
    after = (await sandbox.get("/dashboard/summary?window=all", headers=auth)).json()
    await expect(overdue).to_have_text(str(after["overdue_now"]), timeout=WAIT_MS)
    await expect(page.locator(f'#overdue [data-case="{case["case_id"]}"]')).to_be_visible()

    await row.locator("button").click()
    await expect(row).to_have_count(0, timeout=WAIT_MS)

    async def recorded() -> bool:
        acked = (await sandbox.get("/alerts?status=acked", headers=auth)).json()
        return any(a["id"] == breach["id"] and a["acked_by"] == "director" for a in acked)

    await eventually(recorded)  # the acknowledgement reaches the read model a moment later

    await page.click("#lang")
    await expect(page.locator("h1")).to_have_text("Center dashboard")
    await page.click("#lang")

    # The case's timeline, from the overdue list.
    await page.locator(f'#overdue [data-case="{case["case_id"]}"] a').click()
    await expect(page.locator('#events [data-type="deadline.overdue"]')).to_be_visible(
        timeout=WAIT_MS
    )
    # Each event is named by the server's own label, in the page's language.
    label = page.locator('#events [data-type="deadline.overdue"] strong')
    await expect(label).to_have_text(LABELS["deadline.overdue"][0])
    assert "11010519491231002X" not in await page.content()
    assert errors == []


async def test_the_page_fits_a_phone_screen(
    served: str, browser: Browser, sandbox: httpx.AsyncClient
) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    errors = watch_errors(page)
    await sign_in(page, served, await token(sandbox, "ny-head"))
    await expect(page.locator("#window")).to_have_value("nongye")
    await expect(page.locator('[data-figure="received"] .value')).not_to_have_text("")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert errors == []


async def test_the_pages_carry_every_event_label_as_data(
    sandbox_app: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, _ = sandbox_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://banjian") as http:
        for path in ("/dashboard", "/timeline/BJ-0000000000"):
            page = (await http.get(path)).text
            start = page.index('<script type="application/json" id="event-labels">')
            data = page[page.index(">", start) + 1 : page.index("</script>", start)]
            assert json.loads(data) == {t: list(pair) for t, pair in LABELS.items()}


async def test_the_page_shows_inquiries_complaints_and_follow_ups(
    served: str, browser: Browser, sandbox: httpx.AsyncClient
) -> None:
    director = await token(sandbox, "director")
    auth = {"Authorization": f"Bearer {director}"}
    clerk = {"Authorization": f"Bearer {await token(sandbox, 'mz-a')}"}
    r = await sandbox.post(
        "/inquiries", json={"topic": "医疗救助", "outcome": "answered"}, headers=clerk
    )
    assert r.status_code == 201, r.text
    complaint = {
        "channel": "window",
        "about": {"window": "minzheng"},
        "complainant": {"name": "钱多多", "phone": "13812345678"},
        "text": "排队时间过长。",
    }
    r = await sandbox.post("/complaints", json=complaint, headers=auth)
    assert r.status_code == 201, r.text
    page = await browser.new_page()
    errors = watch_errors(page)
    await sign_in(page, served, director)
    summary = (await sandbox.get("/dashboard/summary?window=all", headers=auth)).json()
    figures = {
        "inquiries": str(summary["inquiries"]),
        "complaints": str(summary["complaints"]["received"]),
        "complaints_upheld": str(summary["complaints"]["upheld"]),
        "followups": f"{summary['followups']['done']}/{summary['followups']['due']}",
    }
    for key, value in figures.items():
        await expect(page.locator(f'[data-figure="{key}"] .value')).to_have_text(
            value, timeout=WAIT_MS
        )
    table = (await sandbox.get("/dashboard/inquiries?window=all", headers=auth)).json()
    today = table["days"][0]
    row = page.locator("#inquiries tbody tr").first
    await expect(row.locator("td").first).to_have_text(today["day"], timeout=WAIT_MS)
    await expect(row.locator("td").last).to_have_text(str(today["total"]))
    await expect(page.locator("#inquiries thead")).to_contain_text("民政")
    assert "钱多多" not in await page.content()
    assert errors == []
