"""Alert delivery channels: send a supervisor alert to a webhook, a WeCom or a DingTalk robot.

Each center configures, per supervision level, where its alerts (deadline
warnings, breaches, escalations) go. ``deliver`` builds the HTTP request for
one channel, sends it once and reports the attempt as a ``DeliveryAttempt``;
whether and when to try again is the caller's decision, guided by
``retryable``. Nothing here raises for a failed delivery.

- ``webhook``: our own JSON, signed with HMAC-SHA256 over ``"{timestamp}." + body``
  when a secret is configured; receivers check it with ``verify_webhook_signature``.
- ``wecom`` (企业微信群机器人): a markdown message; the key is part of the URL.
- ``dingtalk`` (钉钉群机器人): a markdown message; with a 加签 secret the URL gets
  ``timestamp`` (ms) and ``sign`` appended to its existing ``access_token``.

The secret, the URL (it carries the robot's key or a signature) and the message
text never go into ``error`` or the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

import httpx
import structlog

from projections.notifications import ChannelConfig, DeliveryAttempt

log = structlog.get_logger(__name__)

TIMEOUT = httpx.Timeout(10.0)
WECOM_MAX_CONTENT_BYTES = 4096  # 企业微信 markdown.content limit (UTF-8 bytes)
LINK_LABEL = "查看办件"
# -1 is "系统繁忙" on both platforms; 45009 / 130101 are the robots' rate limits.
_RETRYABLE_ERRCODES: dict[str, frozenset[int]] = {
    "wecom": frozenset({-1, 45009}),
    "dingtalk": frozenset({-1, 130101}),
}


@dataclass(frozen=True)
class AlertMessage:
    alert_id: str  # stable id, e.g. "BJ-XXXX:overdue:1"
    case_id: str  # empty for a complaint's alert, which names no case
    kind: str  # "warning" | "overdue" | "escalation"
    level: str  # "window_head" | "director" | "discipline"
    title: str
    text: str  # several lines; never applicant personal data
    raised_at: datetime
    url: str | None = None  # link to the case page
    # The first-asker (首问责任人), who stays accountable through every transfer.
    first_receiver: str | None = None
    complaint_id: str | None = None  # a complaint's alert names no case

    def __post_init__(self) -> None:
        if self.raised_at.tzinfo is None:
            raise ValueError("raised_at must be timezone-aware")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Banjian-Signature`` value: ``sha256=<hex HMAC-SHA256(secret, "{ts}." + body)>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_webhook_signature(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` at ``timestamp`` (constant-time compare).

    Receivers should also reject timestamps too far from their clock (replays).
    """
    expected = webhook_signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, header.encode())


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")), not yet URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: str) -> str:
    """``url`` with ``timestamp`` and ``sign`` appended, its other parameters kept as they are."""
    parts = urlsplit(url)
    kept = [
        p for p in parts.query.split("&") if p and p.split("=", 1)[0] not in ("timestamp", "sign")
    ]
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    query = "&".join([*kept, f"timestamp={timestamp_ms}", f"sign={sign}"])
    return urlunsplit(parts._replace(query=query))


def _dump(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(max_bytes - 3, 0)].decode("utf-8", "ignore") + "…"


def wecom_markdown(message: AlertMessage) -> str:
    """Title as a heading, the text, a link to the case; cut to fit WeCom's 4096 bytes."""
    head = f"## {message.title}\n"
    tail = f"\n[{LINK_LABEL}]({message.url})" if message.url else ""
    room = WECOM_MAX_CONTENT_BYTES - len(head.encode()) - len(tail.encode())
    return head + _truncate_utf8(message.text, room) + tail


def dingtalk_markdown(message: AlertMessage) -> str:
    """DingTalk renders a lone newline as a space, so lines become paragraphs."""
    lines = [f"#### {message.title}", *(ln for ln in message.text.splitlines() if ln.strip())]
    if message.url:
        lines.append(f"[{LINK_LABEL}]({message.url})")
    return "\n\n".join(lines)


def _build(
    message: AlertMessage, channel: ChannelConfig, at: datetime
) -> tuple[str, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if channel.kind == "webhook":
        fields: dict[str, Any] = {
            "alert_id": message.alert_id,
            "case_id": message.case_id or None,
            "kind": message.kind,
            "level": message.level,
            "title": message.title,
            "text": message.text,
            "raised_at": message.raised_at.isoformat(),
            "url": message.url,
        }
        if message.first_receiver is not None:
            fields["first_receiver"] = message.first_receiver
        if message.complaint_id is not None:
            fields["complaint_id"] = message.complaint_id
        body = _dump(fields)
        timestamp = str(int(at.timestamp()))
        headers["X-Banjian-Timestamp"] = timestamp
        headers["X-Banjian-Alert-Id"] = message.alert_id
        if channel.secret:
            headers["X-Banjian-Signature"] = webhook_signature(channel.secret, timestamp, body)
        return channel.url, headers, body
    if channel.kind == "wecom":
        content = wecom_markdown(message)
        return (
            channel.url,
            headers,
            _dump({"msgtype": "markdown", "markdown": {"content": content}}),
        )
    if channel.kind == "dingtalk":
        url = channel.url
        if channel.secret:
            url = dingtalk_signed_url(url, channel.secret, str(int(at.timestamp() * 1000)))
        markdown = {"title": message.title, "text": dingtalk_markdown(message)}
        return url, headers, _dump({"msgtype": "markdown", "markdown": markdown})
    raise ValueError(f"unknown channel kind {channel.kind!r}")


def _judge(kind: str, response: httpx.Response) -> tuple[bool, str | None, bool]:
    """(ok, error, retryable) for a response that arrived."""
    status = response.status_code
    if status == 429 or status == 408 or status >= 500:
        return False, f"HTTP {status}", True
    if kind == "webhook":
        return (True, None, False) if 200 <= status < 300 else (False, f"HTTP {status}", False)
    if status != 200:
        return False, f"HTTP {status}", False
    try:
        errcode = json.loads(response.content)["errcode"]
    except (ValueError, TypeError, KeyError):
        return False, "unexpected response body", False
    if errcode == 0:
        return True, None, False
    return False, f"errcode {errcode}", errcode in _RETRYABLE_ERRCODES[kind]


async def deliver(
    message: AlertMessage,
    channel: ChannelConfig,
    client: httpx.AsyncClient,
    now: Callable[[], datetime],
) -> DeliveryAttempt:
    """Send ``message`` once through ``channel``; never raises for a failed delivery."""
    moment = now()
    if moment.tzinfo is None:
        raise ValueError("now() must return a timezone-aware datetime")
    at = moment.astimezone(UTC)
    url, headers, body = _build(message, channel, at)
    status: int | None = None
    error: str | None
    try:
        response = await client.post(url, content=body, headers=headers, timeout=TIMEOUT)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        ok, error, retryable = False, type(exc).__name__, False
    except httpx.TransportError as exc:  # connect, timeout, protocol, proxy errors
        ok, error, retryable = False, type(exc).__name__, True
    else:
        status = response.status_code
        ok, error, retryable = _judge(channel.kind, response)
    log.info(
        "alert_delivery",
        channel=channel.kind,
        alert_id=message.alert_id,
        ok=ok,
        status=status,
        error=error,
        retryable=retryable,
    )
    return DeliveryAttempt(
        channel=channel.kind, ok=ok, status=status, error=error, at=at, retryable=retryable
    )
