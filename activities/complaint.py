"""The complaint workflow's side effects: its read model, and its alerts to supervisors.

A complaint's alert message names the complaint, the window it is about and its
limit; never the complainant, nor what they complained of.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import AlertMessage, deliver
from applicant.complaints import ComplaintAlertNotice, ComplaintBatch
from projections.centers import alert_center, center_timezone
from projections.complaints import apply_complaint_batch
from projections.db import LazyPool
from projections.notifications import channels_for, delivered_channels, record_attempt

log = structlog.get_logger(__name__)

_THRESHOLD = {"warning": "投诉答复预警", "overdue": "投诉答复超期", "escalation": "投诉超期升级"}
_CHANNEL = {"window": "窗口", "phone": "电话", "letter": "书面", "online": "网上"}
_LEVEL = {"window_head": "窗口负责人", "director": "中心主任", "discipline": "纪检监察"}


def complaint_message(n: ComplaintAlertNotice, tz: ZoneInfo) -> AlertMessage:
    due = n.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if n.due_at else "—"
    lines = [
        f"投诉编号：{n.complaint_id}",
        f"投诉方式：{_CHANNEL.get(n.channel.value, n.channel.value)}",
        f"被投诉窗口：{n.window or '—'}",
        f"答复期限：{due}",
        f"通知对象：{_LEVEL.get(n.level.value, n.level.value)}",
    ]
    return AlertMessage(
        alert_id=n.alert_id,
        case_id="",
        kind="complaint",
        level=n.level.value,
        title=f"{_THRESHOLD.get(n.threshold, n.threshold)}：{n.complaint_id}",
        text="\n".join(lines),
        raised_at=n.raised_at,
        complaint_id=n.complaint_id,
    )


class ComplaintActivities:
    def __init__(self, pool: LazyPool, tz: ZoneInfo) -> None:
        self._pool, self._tz = pool, tz

    @activity.defn(name="project_complaint")
    async def project_complaint(self, batch: ComplaintBatch) -> None:
        pool = await self._pool.get()
        async with pool.acquire() as conn:
            await apply_complaint_batch(conn, batch)
        log.debug(
            "complaint.projected",
            complaint_id=batch.complaint_id,
            first_seq=batch.events[0].seq,
            last_seq=batch.events[-1].seq,
        )

    @activity.defn(name="deliver_complaint_alert")
    async def deliver_complaint_alert(self, notice: ComplaintAlertNotice) -> int:
        """Send to every channel of the alert's level not yet reached; the number reached."""
        pool = await self._pool.get()
        center = await alert_center(pool, notice.alert_id, notice.complaint_id)
        channels = await channels_for(pool, center, notice.level.value)
        done = await delivered_channels(pool, notice.alert_id)
        message = complaint_message(notice, await center_timezone(pool, center, self._tz))
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
