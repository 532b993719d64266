"""Delivering alerts to supervisors through the channels configured for their level.

Every attempt is recorded. A channel that took the alert is not sent it
again when the activity is retried; a retryable failure (network, 5xx, a
robot's rate limit) fails the activity so that Temporal retries it with
backoff; a configuration error is recorded and not retried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import AlertMessage, deliver
from projections.cases import FirstReceiver, first_receiver_of
from projections.centers import alert_center, center_timezone
from projections.db import LazyPool
from projections.notifications import channels_for, delivered_channels, record_attempt
from workflows.model import AlertNotice

log = structlog.get_logger(__name__)

_KIND = {
    "warning": "办件预警",
    "overdue": "办件超期",
    "escalation": "超期升级",
    "rectification": "差评整改",
}
_LEVEL = {"window_head": "窗口负责人", "director": "中心主任", "discipline": "纪检监察"}


def case_url(pages_url: str, case_id: str) -> str:
    """The case's page (its timeline), where a supervisor acts on the alert."""
    return f"{pages_url}/timeline/{quote(case_id, safe='')}"


def message_for(
    n: AlertNotice,
    tz: ZoneInfo,
    first_receiver: FirstReceiver | None = None,
    pages_url: str | None = None,
) -> AlertMessage:
    due = n.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if n.due_at else "—"
    lines = [
        f"办件编号：{n.case_id}",
        f"事项：{n.service_name}",
        f"窗口：{n.window}　承办人：{n.assignee}",
        f"办结期限：{due}",
        f"通知对象：{_LEVEL.get(n.level.value, n.level.value)}",
    ]
    if first_receiver is not None:
        lines.insert(3, f"首问责任人：{first_receiver.name}（{first_receiver.staff_id}）")
    return AlertMessage(
        alert_id=n.alert_id,
        case_id=n.case_id,
        kind=n.kind,
        level=n.level.value,
        title=f"{_KIND.get(n.kind, n.kind)}：{n.case_id} {n.service_name}",
        text="\n".join(lines),
        raised_at=n.raised_at,
        url=case_url(pages_url, n.case_id) if pages_url is not None else None,
        first_receiver=first_receiver.staff_id if first_receiver is not None else None,
    )


class Notifier:
    def __init__(self, pool: LazyPool, tz: ZoneInfo, pages_url: str | None = None) -> None:
        self._pool, self._tz, self._pages_url = pool, tz, pages_url

    @activity.defn(name="deliver_alert")
    async def deliver_alert(self, notice: AlertNotice) -> int:
        """Send to every channel of the alert's level not yet reached; the number reached."""
        pool = await self._pool.get()
        center = await alert_center(pool, notice.alert_id, notice.case_id)
        channels = await channels_for(pool, center, notice.level.value)
        done = await delivered_channels(pool, notice.alert_id)
        # The first-asker stays on every notice of the case, whoever holds it now (首问负责制).
        first = await first_receiver_of(pool, center, notice.case_id)
        tz = await center_timezone(pool, center, self._tz)
        message = message_for(notice, tz, first, self._pages_url)
        retry_later = False
        async with httpx.AsyncClient() as client:
            for channel_id, config in channels:
                if channel_id in done:
                    continue
                attempt = await deliver(message, config, client, lambda: datetime.now(UTC))
                await record_attempt(pool, notice.alert_id, channel_id, attempt)
                if attempt.ok:
                    done.add(channel_id)
                retry_later = retry_later or (not attempt.ok and attempt.retryable)
        if retry_later:
            raise ApplicationError("a channel did not take the alert yet", type="delivery_pending")
        log.info("alert.delivered", alert_id=notice.alert_id, channels=len(done))
        return len(done)
