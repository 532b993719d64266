"""Alert delivery channels against a real HTTP receiver on 127.0.0.1.

The receiver is a ``ThreadingHTTPServer`` in a thread: it records every request
(method, path, raw and parsed query, headers, body) and answers with the status
and body the test sets. Signatures are recomputed here from the published rules
(our webhook header, DingTalk 加签), not with the module's helpers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote_plus

import httpx
import pytest
import pytest_asyncio

from activities import channels
from activities.channels import AlertMessage, deliver, verify_webhook_signature
from projections.notifications import ChannelConfig, DeliveryAttempt
from tests.receiver import Receiver

CST = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 4, 9, 15, 30, tzinfo=CST)
WEBHOOK_SECRET = "whsec-9f3c2a7e-only-for-tests"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "c0ffee0123456789"
DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
MESSAGE = AlertMessage(
    alert_id="BJ-7Q2K:overdue:1",
    case_id="BJ-7Q2K",
    kind="overdue",
    level="director",
    title="办件超期：BJ-7Q2K 临时救助申请",
    text="事项：临时救助申请\n受理窗口：社会救助窗口\n法定时限：5 个工作日\n已超期：1 个工作日",
    raised_at=datetime(2025, 3, 4, 9, 0, tzinfo=CST),
    url="https://banjian.example.gov.cn/cases/BJ-7Q2K",
)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


def fixed_now() -> datetime:
    return NOW


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def webhook(receiver: Receiver, secret: str | None = WEBHOOK_SECRET) -> ChannelConfig:
    return ChannelConfig(kind="webhook", url=f"{receiver.base}/hooks/alerts", secret=secret)


def wecom(base: str) -> ChannelConfig:
    return ChannelConfig(kind="wecom", url=f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}")


def dingtalk(base: str, secret: str | None = DINGTALK_SECRET) -> ChannelConfig:
    url = f"{base}/robot/send?access_token={DINGTALK_TOKEN}"
    return ChannelConfig(kind="dingtalk", url=url, secret=secret)


def config_for(kind: str, base: str) -> ChannelConfig:
    if kind == "webhook":
        return ChannelConfig(kind="webhook", url=f"{base}/hooks/alerts", secret=WEBHOOK_SECRET)
    return wecom(base) if kind == "wecom" else dingtalk(base)


async def send(channel: ChannelConfig, client: httpx.AsyncClient) -> DeliveryAttempt:
    return await deliver(MESSAGE, channel, client, fixed_now)


# --- webhook ---------------------------------------------------------------------------------


async def test_webhook_signature_verifies_with_the_secret_and_not_with_another(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    attempt = await send(webhook(receiver), client)

    assert attempt.ok and attempt.status == 200
    req = receiver.only
    timestamp = req.headers["x-banjian-timestamp"]
    assert timestamp == str(int(NOW.timestamp())) == "1741050930"
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + req.body, hashlib.sha256
    ).hexdigest()
    signature = req.headers["x-banjian-signature"]
    assert signature == f"sha256={expected}"
    assert verify_webhook_signature(WEBHOOK_SECRET, timestamp, req.body, signature)
    assert not verify_webhook_signature("another-secret", timestamp, req.body, signature)
    assert not verify_webhook_signature(WEBHOOK_SECRET, "1741050931", req.body, signature)
    assert not verify_webhook_signature(WEBHOOK_SECRET, timestamp, req.body + b" ", signature)


async def test_webhook_body_is_the_alert_fields_as_compact_utf8_json_and_nothing_more(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await send(webhook(receiver), client)

    req = receiver.only
    fields = {
        "alert_id": "BJ-7Q2K:overdue:1",
        "case_id": "BJ-7Q2K",
        "kind": "overdue",
        "level": "director",
        "title": MESSAGE.title,
        "text": MESSAGE.text,
        "raised_at": "2025-03-04T09:00:00+08:00",
        "url": MESSAGE.url,
    }
    assert req.method == "POST" and req.path == "/hooks/alerts"
    assert req.json() == fields  # exactly these keys: no applicant data can ride along
    assert req.body == json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    assert "办件超期".encode() in req.body
    assert req.headers["content-type"] == "application/json"
    assert req.headers["x-banjian-alert-id"] == "BJ-7Q2K:overdue:1"


async def test_webhook_without_a_secret_is_sent_unsigned(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    attempt = await send(webhook(receiver, secret=None), client)

    assert attempt.ok
    assert "x-banjian-signature" not in receiver.only.headers
    assert receiver.only.headers["x-banjian-timestamp"] == "1741050930"


@pytest.mark.parametrize("status", [200, 202, 204])
async def test_webhook_any_2xx_is_delivered(
    receiver: Receiver, client: httpx.AsyncClient, status: int
) -> None:
    receiver.answer(status)
    attempt = await send(webhook(receiver), client)
    assert attempt == DeliveryAttempt(
        channel="webhook", ok=True, status=status, error=None, at=NOW, retryable=False
    )
    assert attempt.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (401, False), (404, False), (429, True), (503, True)]
)
async def test_webhook_4xx_is_a_config_error_but_429_and_5xx_are_retryable(
    receiver: Receiver, client: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    receiver.answer(status, b'{"error":"nope"}')
    attempt = await send(webhook(receiver), client)
    assert (attempt.ok, attempt.status, attempt.retryable) == (False, status, retryable)
    assert attempt.error == f"HTTP {status}"


# --- wecom -----------------------------------------------------------------------------------


async def test_wecom_posts_a_markdown_message_with_title_text_and_link_to_the_keyed_url(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    attempt = await send(wecom(receiver.base), client)

    assert attempt.ok and attempt.status == 200 and attempt.channel == "wecom"
    req = receiver.only
    assert req.path == "/cgi-bin/webhook/send" and req.query == {"key": [WECOM_KEY]}
    payload = req.json()
    assert set(payload) == {"msgtype", "markdown"} and payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"content"}
    lines = payload["markdown"]["content"].split("\n")
    assert lines[0] in (f"## {MESSAGE.title}", f"**{MESSAGE.title}**")
    assert lines[1:-1] == MESSAGE.text.split("\n")
    assert lines[-1] == f"[查看办件]({MESSAGE.url})"
    assert req.headers["content-type"] == "application/json"


async def test_wecom_without_a_case_link_ends_with_the_text(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    message = replace(MESSAGE, url=None)
    await deliver(message, wecom(receiver.base), client, fixed_now)
    content = receiver.only.json()["markdown"]["content"]
    assert content.endswith("已超期：1 个工作日") and "](" not in content


async def test_wecom_long_text_is_cut_to_the_4096_byte_limit_keeping_title_and_link(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    message = replace(MESSAGE, text="超期办件明细\n" * 800)
    await deliver(message, wecom(receiver.base), client, fixed_now)
    content: str = receiver.only.json()["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.startswith(f"## {MESSAGE.title}\n")
    assert content.endswith(f"[查看办件]({MESSAGE.url})")


@pytest.mark.parametrize(
    ("errcode", "ok", "error", "retryable"),
    [
        (0, True, None, False),
        (45009, False, "errcode 45009", True),  # api freq out of limit
        (93000, False, "errcode 93000", False),  # invalid webhook url
    ],
)
async def test_wecom_success_is_errcode_0_and_only_rate_limiting_is_retryable(
    receiver: Receiver,
    client: httpx.AsyncClient,
    errcode: int,
    ok: bool,
    error: str | None,
    retryable: bool,
) -> None:
    receiver.answer(200, {"errcode": errcode, "errmsg": f"invalid webhook url, key {WECOM_KEY}"})
    attempt = await send(wecom(receiver.base), client)
    assert (attempt.ok, attempt.status, attempt.error, attempt.retryable) == (
        ok,
        200,
        error,
        retryable,
    )


async def test_wecom_200_without_an_errcode_is_not_delivered(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.answer(200, b"<html>portal login</html>")
    attempt = await send(wecom(receiver.base), client)
    assert not attempt.ok and attempt.status == 200 and not attempt.retryable


# --- dingtalk --------------------------------------------------------------------------------


async def test_dingtalk_sign_matches_the_published_algorithm_and_keeps_the_access_token(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    attempt = await send(dingtalk(receiver.base), client)

    assert attempt.ok and attempt.channel == "dingtalk"
    req = receiver.only
    timestamp = str(int(NOW.timestamp() * 1000))
    assert timestamp == "1741050930000"
    digest = hmac.new(
        DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    ).digest()
    sign = base64.b64encode(digest).decode()
    assert "+" in sign or "/" in sign  # so the URL encoding is really exercised
    assert req.path == "/robot/send"
    assert req.query == {"access_token": [DINGTALK_TOKEN], "timestamp": [timestamp], "sign": [sign]}
    assert req.raw_query == (
        f"access_token={DINGTALK_TOKEN}&timestamp={timestamp}&sign={quote_plus(sign)}"
    )


async def test_dingtalk_without_a_secret_sends_to_the_url_as_configured(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await send(dingtalk(receiver.base, secret=None), client)
    assert receiver.only.raw_query == f"access_token={DINGTALK_TOKEN}"


async def test_dingtalk_posts_a_markdown_message_with_title_text_and_link(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await send(dingtalk(receiver.base), client)

    payload = receiver.only.json()
    assert set(payload) == {"msgtype", "markdown"} and payload["msgtype"] == "markdown"
    assert set(payload["markdown"]) == {"title", "text"}
    assert payload["markdown"]["title"] == MESSAGE.title
    text: str = payload["markdown"]["text"]
    assert text.startswith(f"#### {MESSAGE.title}")
    assert all(line in text for line in MESSAGE.text.split("\n"))
    assert text.endswith(f"[查看办件]({MESSAGE.url})")


@pytest.mark.parametrize(
    ("errcode", "ok", "retryable"),
    [(0, True, False), (130101, False, True), (310000, False, False)],  # too fast; sign mismatch
)
async def test_dingtalk_success_is_errcode_0_and_sending_too_fast_is_retryable(
    receiver: Receiver, client: httpx.AsyncClient, errcode: int, ok: bool, retryable: bool
) -> None:
    receiver.answer(200, {"errcode": errcode, "errmsg": "send too fast"})
    attempt = await send(dingtalk(receiver.base), client)
    assert (attempt.ok, attempt.status, attempt.retryable) == (ok, 200, retryable)
    assert attempt.error == (None if ok else f"errcode {errcode}")


# --- all channels ----------------------------------------------------------------------------

KINDS = ["webhook", "wecom", "dingtalk"]


@pytest.mark.parametrize("kind", KINDS)
async def test_server_error_is_retryable(
    receiver: Receiver, client: httpx.AsyncClient, kind: str
) -> None:
    receiver.answer(500, b"internal error")
    attempt = await send(config_for(kind, receiver.base), client)
    assert (attempt.ok, attempt.status, attempt.error, attempt.retryable) == (
        False,
        500,
        "HTTP 500",
        True,
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_connection_refused_is_a_retryable_transport_failure_without_status(
    client: httpx.AsyncClient, kind: str
) -> None:
    attempt = await send(config_for(kind, f"http://127.0.0.1:{closed_port()}"), client)
    assert not attempt.ok and attempt.status is None and attempt.retryable
    assert attempt.error and attempt.at == NOW and attempt.channel == kind


async def test_a_receiver_that_does_not_answer_in_time_is_a_retryable_timeout(
    receiver: Receiver, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert httpx.Timeout(10.0) == channels.TIMEOUT
    monkeypatch.setattr(channels, "TIMEOUT", httpx.Timeout(0.2))
    receiver.delay = 1.0
    attempt = await send(webhook(receiver), client)
    assert not attempt.ok and attempt.status is None and attempt.retryable
    assert attempt.error is not None and "Timeout" in attempt.error


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("answer", [(500, b"boom"), (429, b""), (404, b""), None])
async def test_errors_name_no_secret_url_or_message_content(
    receiver: Receiver,
    client: httpx.AsyncClient,
    kind: str,
    answer: tuple[int, bytes] | None,
) -> None:
    if answer is None:
        base = f"http://127.0.0.1:{closed_port()}"
    else:
        base = receiver.base
        receiver.answer(*answer)
    channel = config_for(kind, base)
    attempt = await send(channel, client)

    assert not attempt.ok and attempt.error
    for leak in (WEBHOOK_SECRET, WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, "127.0.0.1"):
        assert leak not in attempt.error
    assert all(line not in attempt.error for line in MESSAGE.text.split("\n"))
    assert MESSAGE.title not in attempt.error and MESSAGE.case_id not in attempt.error
    assert WECOM_KEY not in repr(channel) and DINGTALK_SECRET not in repr(channel)
