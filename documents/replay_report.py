"""A case's replay report as it is shown: text for the CLI, JSON for the API, and what
the dossier (``documents.dossier``) prints. ``ops.replay`` draws it up.

Every value in it is safe to show: applicants' ID numbers and phones are masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from documents.timeline import Step, format_step


@dataclass(frozen=True)
class Finding:
    """One difference, safe to print: personal values masked."""

    kind: str
    key: str
    field: str | None
    expected: Any
    actual: Any

    def describe(self) -> str:
        what, _, subject = self.kind.partition("_")
        name = {"event": f"event #{self.key}", "case": "current state", "alert": self.key}.get(
            subject, self.key
        )
        if what == "missing":
            return f"{name}: in the history, missing from the read model"
        if what == "extra":
            return f"{name}: in the read model, not in the history"
        if what == "altered":
            return f"{name}: {self.field} is {self.actual!r}, the history says {self.expected!r}"
        return f"{self.kind}: {self.expected}"


@dataclass
class ReplayReport:
    case_id: str
    source: str  # temporal | archive
    closed: bool
    replay_ok: bool
    status: str | None
    case: dict[str, Any]  # the latest decided state, applicant masked
    archive: dict[str, Any] | None
    timeline: list[Step]
    findings: list[Finding] = field(default_factory=list)
    pending: int = 0  # decided, not yet projected

    @property
    def consistent(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = _plain(
            {
                "case_id": self.case_id,
                "consistent": self.consistent,
                "source": self.source,
                "closed": self.closed,
                "replayed": self.replay_ok,
                "status": self.status,
                "case": self.case,
                "archive": self.archive,
                "events_pending_projection": self.pending,
                "timeline": [s.as_json() for s in self.timeline],
                "differences": [{**f.__dict__, "message": f.describe()} for f in self.findings],
            }
        )
        return body

    def as_text(self) -> str:
        head = f"case {self.case_id} — history from {self.source}"
        if self.archive is not None:
            head += f", archive position {self.archive['position']}"
        c = self.case
        lines = [head]
        if c:
            lines.append(
                f"{c['service_code']} {c['service_name']} · {c['kind']} · window {c['window']}"
                f" · status {c['status']} · applicant {c['applicant']['name']}"
                f" {c['applicant']['id_number_masked']}"
            )
        lines += [format_step(s) for s in self.timeline]
        if self.consistent:
            lines.append("consistent: the read model matches the history")
        else:
            lines.append(f"NOT consistent: {len(self.findings)} difference(s)")
            lines += [f"  - {f.describe()}" for f in self.findings]
        return "\n".join(lines)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
