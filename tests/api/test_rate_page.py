"""The applicant's page in a real headless Chromium, on a phone's screen: it shows where the
case stands, rates the service, and says thanks; nothing about any person is on it."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, expect

from tests.api.test_cases import new_case
from tests.api.test_dashboard_page import WAIT_MS, browser, served, token, watch_errors
from tests.conftest import eventually

__all__ = ["browser", "served"]  # the fixtures this module shares with the dashboard's


async def _linked(sandbox: httpx.AsyncClient) -> str:
    auth = {"Authorization": f"Bearer {await token(sandbox, 'mz-a')}"}
    body = new_case(materials=["id_card", "hukou_book", "application_form"])
    r = await sandbox.post("/cases", json=body, headers=auth)
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]
    found: dict[str, Any] = {}

    async def linked() -> bool:
        found["url"] = (await sandbox.get(f"/cases/{cid}", headers=auth)).json().get("rating_url")
        return bool(found["url"])

    await eventually(linked)
    url: str = found["url"]
    return url.rsplit("/", 1)[1]


async def test_the_applicant_follows_the_case_and_rates_it_on_a_phone(
    served: str, browser: Browser, sandbox: httpx.AsyncClient
) -> None:
    link = await _linked(sandbox)
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    errors = watch_errors(page)
    await page.goto(f"{served}/r/{link}")
    await expect(page.locator("#service")).to_have_text("临时救助申请", timeout=WAIT_MS)
    await expect(page.locator("#status")).to_have_text("已受理，等待审核")
    await expect(page.locator("#missing li")).to_have_text(
        ["遭遇困难的证明（医疗票据、事故证明等）"]
    )
    await expect(page.locator("#notices a")).to_have_count(1)
    await expect(page.locator("#rate-title")).to_contain_text("受理环节")
    await page.get_by_label("满意", exact=True).check()
    await page.get_by_label("服务态度").check()
    await page.fill("#comment", "窗口人员很耐心")
    await page.click("#submit")
    await expect(page.locator("#thanks")).to_have_text("感谢您的评价!", timeout=WAIT_MS)
    await expect(page.locator("#rate")).to_be_hidden()
    await expect(page.locator("#rated")).to_contain_text("受理环节:满意")
    content = await page.content()
    for personal in ("王小明", "11010519491231002X", "13912345678", "王秀兰", "mz-a"):
        assert personal not in content
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert errors == []


async def test_an_unknown_link_says_so(served: str, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(f"{served}/r/{'n' * 43}")
    await expect(page.locator("#error")).to_contain_text("未找到该办件", timeout=WAIT_MS)
    await expect(page.locator("#progress")).to_be_hidden()
