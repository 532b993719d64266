"""A case's events as people read them: local time, who, what (中文 / English), and its clocks.

The labels are a table: a new event type needs one row here, and an event
type without a row is shown by its raw name. Clocks are followed through the
events read as their classes (``workflows.event_log.parse``): an event's ``due_at``
is the limit of the clock it names (its ``clock``: ``promised``, ``legal``,
``signoff:<department>``…, by default the type's own clock or the promised one),
``notice_due_at`` and ``legal_due_at`` the one-time notice's and the legal limit's.
Each step keeps the event's data as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflows.event_data import DomainEvent
from workflows.event_log import parse
from workflows.model import Event

# type: (中文, English)
LABELS: dict[str, tuple[str, str]] = {
    "case.received": ("受理", "case received"),
    "materials.requested": ("一次性告知补正材料", "materials requested"),
    "materials.supplied": ("补正材料", "materials supplied"),
    "review.started": ("开始审核", "review started"),
    "signoff.requested": ("发起联办会签", "sign-off requested"),
    "signoff.recorded": ("部门会签", "sign-off recorded"),
    "case.completed": ("办结", "case completed"),
    "case.returned": ("退件", "case returned"),
    "case.reassigned": ("转办", "case reassigned"),
    "clock.paused": ("暂停计时", "clock paused"),
    "clock.resumed": ("恢复计时", "clock resumed"),
    "clock.restarted": ("重新计时", "clock restarted"),
    "deadline.extended": ("延长时限", "deadline extended"),
    "deadline.recalculated": ("重新计算时限", "deadline recalculated"),
    "deadline.warning": ("临期预警", "deadline warning"),
    "deadline.overdue": ("超期", "deadline overdue"),
    "case.escalated": ("逐级督办", "case escalated"),
    "notice.overdue": ("一次性告知超时", "one-time notice overdue"),
    "alert.acknowledged": ("督办已确认", "alert acknowledged"),
    "case.withdrawn": ("申请人撤回", "case withdrawn"),
    "case.urgent": ("列为急办件", "designated urgent"),
    "case.assigned": ("不管件指定承办", "orphan matter assigned"),
    "case.forwarded": ("上报上级机关", "forwarded to the higher authority"),
    "case.chased": ("催办上级机关", "higher authority chased"),
    "upward.decided": ("上级机关作出决定", "higher authority decided"),
    "return.review_requested": ("申请复核退件", "review of the return requested"),
    "return.confirmed": ("维持退件", "return confirmed"),
    "case.reopened": ("撤销退件、重新办理", "case reopened"),
    "return.final": ("复核期满、退件生效", "return final"),
}

# clock: (中文, English); ``signoff:<department>`` is built from its prefix.
CLOCKS: dict[str, tuple[str, str]] = {
    "promised": ("承诺时限", "promised limit"),
    "legal": ("法定时限", "legal limit"),
    "notice": ("一次性告知时限", "one-time notice limit"),
    "signoff": ("会签时限", "sign-off limit"),
    "upward": ("上级办理时限", "higher authority's limit"),
}
# The clock of an event's ``due_at`` when its data names none.
CLOCK_OF_TYPE: dict[str, str] = {"notice.overdue": "notice", "case.forwarded": "upward"}
# Other fields that carry a clock's new limit.
CLOCK_FIELDS: dict[str, str] = {"notice_due_at": "notice", "legal_due_at": "legal"}
PROMISED = "promised"


def label(event_type: str) -> tuple[str, str]:
    return LABELS.get(event_type, (event_type, event_type))


def clock_label(clock: str) -> tuple[str, str]:
    name, _, department = clock.partition(":")
    zh, en = CLOCKS.get(name, (clock, clock))
    return (f"{department}{zh}", f"{en} of {department}") if department else (zh, en)


@dataclass(frozen=True)
class Step:
    """One event of the timeline, with the clock it concerns before and after it."""

    seq: int
    at: datetime  # in the center's time zone
    actor: str
    type: str
    label_zh: str
    label_en: str
    clock: str
    due_before: datetime | None
    due_after: datetime | None
    data: dict[str, Any]
    projected: bool
    schema_version: int = 1  # of the data as recorded

    def as_json(self) -> dict[str, Any]:
        zh, en = clock_label(self.clock)
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "type": self.type,
            "label": {"zh": self.label_zh, "en": self.label_en},
            "clock": {
                "name": self.clock,
                "label": {"zh": zh, "en": en},
                "due_before": _iso(self.due_before),
                "due_after": _iso(self.due_after),
            },
            "data": self.data,
            "projected": self.projected,
        }


def build_timeline(events: list[Event], projected_seq: int, tz: ZoneInfo) -> list[Step]:
    clocks: dict[str, datetime | None] = {}
    steps = []
    for e in events:
        event = parse(e)
        clock = _clock(event)
        before = clocks.get(clock)
        clocks.update(_limits(event, clock))
        zh, en = label(e.type)
        steps.append(
            Step(
                seq=e.seq,
                at=e.at.astimezone(tz),
                actor=e.actor,
                type=e.type,
                label_zh=zh,
                label_en=en,
                clock=clock,
                due_before=_local(before, tz),
                due_after=_local(clocks.get(clock), tz),
                data=e.data,
                schema_version=e.schema_version,
                projected=e.seq <= projected_seq,
            )
        )
    return steps


def _clock(event: DomainEvent | None) -> str:
    named = getattr(event, "clock", None)
    if isinstance(named, str):
        return named
    return CLOCK_OF_TYPE.get(event.TYPE, PROMISED) if event is not None else PROMISED


def _limits(event: DomainEvent | None, clock: str) -> dict[str, datetime]:
    """The limits the event sets, by clock: its ``due_at`` is its clock's."""
    fields = {"due_at": clock, **CLOCK_FIELDS}
    limits = {}
    for name, named in fields.items():
        value = getattr(event, name, None)
        if isinstance(value, datetime):
            limits[named] = value
    return limits


def format_step(step: Step) -> str:
    zh, en = clock_label(step.clock)
    before, after = _short(step.due_before), _short(step.due_after)
    clock = f"{zh}/{en} {before}" + (f" → {after}" if after != before else "")
    pending = "" if step.projected else "  (not yet projected)"
    return (
        f"{step.seq:>3}  {step.at:%Y-%m-%d %H:%M:%S}  {step.actor:<10} "
        f"{step.label_zh} / {step.label_en} [{step.type}]  {clock}{pending}"
    )


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz) if at is not None else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _short(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at is not None else "—"
