"""Who may call what: every route of the app × every role × own window or another → a status.

The table below has one row per route (a route whose answer depends on what it is called
on, such as acknowledging a case's alert or the center's own, has one row for each). Its
columns are the callers:

    clerk       a clerk of the subject's window (the case's; a signing department's; the
                window of the staff member on leave)
    clerk²      a clerk of another window
    head        the window head of the subject's window
    head²       the window head of another window
    director    the center's director (no window)
    ops         operations (no window, read-only)
    none        no Authorization header
    bad         a bearer token the center never issued

A route of the app without a row fails ``test_every_route_has_a_row``; each cell is then
called against the real app (the sandbox's, on a center of its own, so that its clock can
raise alerts), on a subject prepared for it: a cell that should succeed gets a fresh
subject in the state the action needs, so that its status says who may act, not what state
the subject was left in.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount, Route
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from applicant.ratings import Stage, rating_id
from applicant.rectification import rectification_id
from banjian.embedded import EmbeddedPostgres
from projections.alerts import notice_alert_id, raise_notice_missing
from tests.api.served import Served, own_center
from tests.conftest import eventually

COLUMNS = ("clerk", "clerk²", "head", "head²", "director", "ops", "none", "bad")
WINDOW_STAFF = {  # window -> (clerk, head)
    "minzheng": ("mz-a", "mz-head"),
    "shebao": ("sb-a", "sb-head"),
    "canlian": ("cl-a", "cl-head"),
    "zonghe": ("zh-a", "zh-head"),
}
NOTICE = Path(__file__).resolve().parent.parent / "workdays" / "notice_2027.json"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)


class Center:
    """The served app, and the subjects the rows are called on."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self._numbers = itertools.count(1)
        self.alerts: dict[str, list[str]] = {"case": [], "center": []}

    def number(self) -> int:
        return next(self._numbers)

    async def as_director(self, call: Call) -> dict[str, Any]:
        r = await self.served.http.request(
            call.method, call.path, json=call.json, headers=self.served.auth("director")
        )
        assert r.status_code < 300, f"{call}: {r.text}"
        body: dict[str, Any] = r.json() if r.content else {}
        return body

    async def case(self, service: str, steps: list[tuple[str, dict[str, Any]]]) -> str:
        """A case of ``service`` received at its window, taken through ``steps`` by the
        director."""
        window = self.served.ctx.directories["SFZ"].services[service].window
        case = await self.served.receive(service, WINDOW_STAFF[window][0])
        for action, body in steps:
            await self.served.act(case["case_id"], action, "director", body)
        case_id: str = case["case_id"]
        return case_id

    async def projected(self, case_id: str) -> None:
        """Wait for the case in the read model, which the plain reads answer from."""

        async def there() -> bool:
            r = await self.served.http.get(
                f"/api/v1/cases/{case_id}", headers=self.served.auth("director")
            )
            return r.status_code == 200

        await eventually(there)


Prepare = Callable[[Center], Awaitable[Call]]


@dataclass(frozen=True)
class Row:
    statuses: tuple[int, ...]
    prepare: Prepare
    window: str = "minzheng"  # the subject's window: whose clerk and head are "own"


def fixed(method: str, path: str, **kw: Any) -> Prepare:
    async def prepare(_: Center) -> Call:
        return Call(method, path, **kw)

    return prepare


def on_case(
    action: str,
    body: dict[str, Any],
    service: str = "MZ-001",
    steps: list[tuple[str, dict[str, Any]]] | None = None,
) -> Prepare:
    async def prepare(c: Center) -> Call:
        case_id = await c.case(service, steps or [])
        return Call("POST", f"/api/v1/cases/{case_id}/{action}", body)

    return prepare


def reading(suffix: str, **params: str) -> Prepare:
    async def prepare(c: Center) -> Call:
        case_id = await c.case("MZ-001", [])
        await c.projected(case_id)
        return Call("GET", f"/api/v1/cases/{case_id}{suffix}", params=params)

    return prepare


async def _notice(c: Center) -> Call:
    case_id = await c.case("MZ-001", [])
    notices: list[dict[str, Any]] = []

    async def listed() -> bool:  # from the read model, a moment after the receipt
        r = await c.served.http.get(
            f"/api/v1/cases/{case_id}/notices", headers=c.served.auth("director")
        )
        notices[:] = r.json() if r.status_code == 200 else []
        return bool(notices)

    await eventually(listed)
    return Call("GET", f"/api/v1/cases/{case_id}/notices/{notices[0]['id']}")


def _leave_days(c: Center) -> tuple[str, str]:
    first = date(2027, 3, 1) + timedelta(days=10 * c.number())
    return first.isoformat(), (first + timedelta(days=2)).isoformat()


async def _register_leave(c: Center) -> Call:
    first, last = _leave_days(c)
    body = {"from": first, "to": last, "reason": "年假"}
    return Call("POST", "/api/v1/staff/mz-a/leave", body)


async def _end_leave(c: Center) -> Call:
    leave = await c.as_director(await _register_leave(c))
    return Call("POST", f"/api/v1/staff/mz-a/leave/{leave['id']}/end")


CHANNEL = {"level": "discipline", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}


async def _remove_channel(c: Center) -> Call:
    channel = await c.as_director(Call("POST", "/api/v1/alert-channels", CHANNEL))
    return Call("DELETE", f"/api/v1/alert-channels/{channel['id']}")


async def _closure(c: Center) -> Call:
    day = date(2035, 1, 1) + timedelta(days=c.number())
    return Call("POST", "/api/v1/calendar/closures", {"date": day.isoformat(), "reason": "停电"})


async def _deduction(c: Center) -> Call:
    body = {"window": "minzheng", "kind": "late_arrival", "on": "2026-11-02", "note": "迟到"}
    return Call("POST", "/api/v1/dashboard/deductions", body)


def _ack(kind: str) -> Prepare:
    async def prepare(c: Center) -> Call:
        return Call("POST", f"/api/v1/alerts/{c.alerts[kind].pop()}/ack")

    return prepare


# The applicant's side ----------------------------------------------------------------------

COMPLAINT = {
    "channel": "letter",
    "about": {"window": "minzheng"},
    "complainant": {"name": "投诉人", "phone": "13900000000"},
    "text": "窗口答复不清",
}
ANSWER = {"finding": "not_upheld", "text": "经核查，答复符合规定"}


async def _complaint(c: Center) -> str:
    complaint_id: str = (await c.as_director(Call("POST", "/api/v1/complaints", COMPLAINT)))["id"]
    return complaint_id


def on_complaint(
    suffix: str = "",
    method: str = "GET",
    body: dict[str, Any] | None = None,
    answered: bool = False,
) -> Prepare:
    async def prepare(c: Center) -> Call:
        complaint_id = await _complaint(c)
        if answered:
            await c.as_director(Call("POST", f"/api/v1/complaints/{complaint_id}/answer", ANSWER))
        return Call(method, f"/api/v1/complaints/{complaint_id}{suffix}", body)

    return prepare


async def _recount(c: Center) -> Call:
    change = await c.as_director(await _closure(c))
    return Call("GET", f"/api/v1/calendar/recounts/{change['recount']['id']}")


async def _sample(c: Center) -> Call:
    return Call(
        "POST",
        "/api/v1/followups/sample",
        {"month": f"2025-{c.number() % 12 + 1:02d}", "rate": 0.5, "seed": c.number()},
    )


async def _linked_case(c: Center) -> tuple[str, str]:
    """A new case and the token of its public link."""
    case_id = await c.case("MZ-001", [])
    await c.projected(case_id)
    r = await c.served.http.get(f"/api/v1/cases/{case_id}", headers=c.served.auth("director"))
    token: str = r.json()["rating_url"].rsplit("/", 1)[-1]
    return case_id, token


async def _link_token(c: Center) -> str:
    return (await _linked_case(c))[1]


def on_link(template: str, method: str = "GET", body: dict[str, Any] | None = None) -> Prepare:
    async def prepare(c: Center) -> Call:
        return Call(method, template.format(token=await _link_token(c)), body)

    return prepare


def on_rectification(
    step: str | None = None,
    body: dict[str, Any] | None = None,
    before: tuple[tuple[str, dict[str, Any]], ...] = (),
) -> Prepare:
    """A rectification opened by a bad rating of a minzheng case, taken through ``before``."""

    async def prepare(c: Center) -> Call:
        case_id, token = await _linked_case(c)
        rated = Call("POST", f"/api/v1/public/ratings/{token}", {"stage": "received", "level": 1})
        await c.as_director(rated)
        rid = rectification_id(rating_id(case_id, Stage.RECEIVED))

        async def opened() -> bool:
            r = await c.served.http.get(
                f"/api/v1/rectifications/{rid}", headers=c.served.auth("director")
            )
            return r.status_code == 200

        await eventually(opened)
        for done, done_body in before:
            await c.as_director(Call("POST", f"/api/v1/rectifications/{rid}/{done}", done_body))
        if step is None:
            return Call("GET", f"/api/v1/rectifications/{rid}")
        return Call("POST", f"/api/v1/rectifications/{rid}/{step}", body)

    return prepare


CONTACT = ("contact", {"note": "电话联系申请人"})
RECTIFY = ("rectify", {"action": "重新解释政策"})


MATERIALS = ("request-materials", {"missing": ["id_card"], "note": "复印件不清晰"})
REVIEW: tuple[str, dict[str, Any]] = ("start-review", {})
SIGNOFF = ("request-signoff", {"departments": ["canlian", "laodong"]})
FORWARD = ("forward", {"authority": "县人社局", "reference": "人社〔2026〕1号", "days": 10})
RETURN = ("return", {"reason": "不符合受理条件"})
APPEAL = ("request-review", {"reason": "申请人对退件有异议"})

# fmt: off
#                                 clerk clerk² head head² director ops none bad
MATRIX: dict[tuple[str, str], list[Row]] = {
    ("POST", "/api/v1/cases"): [Row(
        (201, 403, 201, 403, 201, 403, 401, 401),
        fixed("POST", "/api/v1/cases", json={
            "service_code": "MZ-005",
            "applicant": {"name": "王小明", "id_number": "11010519491231002X",
                          "phone": "13912345678"},
            "materials": ["id_card", "photo"],
        }))],
    ("GET", "/api/v1/cases"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/cases"))],
    ("GET", "/api/v1/cases/{case_id}"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), reading("", consistent="true"))],
    ("GET", "/api/v1/cases/{case_id}/events"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), reading("/events", consistent="true"))],
    ("GET", "/api/v1/cases/{case_id}/notices"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), reading("/notices"))],
    ("GET", "/api/v1/cases/{case_id}/notices/{notice_id}"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), _notice)],
    ("GET", "/api/v1/cases/{case_id}/replay"): [Row(
        (403, 403, 403, 403, 403, 200, 401, 401), reading("/replay"))],
    ("GET", "/api/v1/cases/{case_id}/dossier"): [Row(
        (403, 403, 403, 403, 200, 200, 401, 401), reading("/dossier"))],
    ("POST", "/api/v1/cases/{case_id}/request-materials"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*MATERIALS))],
    ("POST", "/api/v1/cases/{case_id}/supply-materials"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("supply-materials", {"materials": ["id_card"]}, steps=[MATERIALS]))],
    ("POST", "/api/v1/cases/{case_id}/start-review"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*REVIEW))],
    ("POST", "/api/v1/cases/{case_id}/request-signoff"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*SIGNOFF, "MZ-002", [REVIEW]))],
    ("POST", "/api/v1/cases/{case_id}/signoff"): [Row(  # the department's window signs
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("signoff", {"department": "canlian", "decision": "approve"}, "MZ-002",
                [REVIEW, SIGNOFF]),
        window="canlian")],
    ("POST", "/api/v1/cases/{case_id}/complete"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("complete", {"outcome": "approved"}, steps=[REVIEW]))],
    ("POST", "/api/v1/cases/{case_id}/return"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*RETURN))],
    ("POST", "/api/v1/cases/{case_id}/reassign"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case("reassign", {"to_staff": "mz-b"}))],
    ("POST", "/api/v1/cases/{case_id}/extend"): [Row(
        (403, 403, 403, 403, 200, 403, 401, 401),
        on_case("extend", {"days": 2, "reason": "需实地核查"}))],
    ("POST", "/api/v1/cases/{case_id}/suspend"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("suspend", {"reason": "公示期", "expected_days": 5}))],
    ("POST", "/api/v1/cases/{case_id}/resume"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("resume", {}, steps=[("suspend", {"reason": "公示期", "expected_days": 5})]))],
    ("POST", "/api/v1/cases/{case_id}/withdraw"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("withdraw", {"reason": "申请人撤回"}))],
    ("POST", "/api/v1/cases/{case_id}/designate-urgent"): [Row(
        (403, 403, 403, 403, 200, 403, 401, 401),
        on_case("designate-urgent", {"reason": "群众急需"}))],
    ("POST", "/api/v1/cases/{case_id}/assign"): [Row(  # an orphan matter, taken in at zonghe
        (403, 403, 403, 403, 200, 403, 401, 401),
        on_case("assign", {"to_staff": "zh-a", "days": 5, "reason": "牵头办理"}, "ZH-900"),
        window="zonghe")],
    ("POST", "/api/v1/cases/{case_id}/forward"): [Row(  # upward, at shebao
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*FORWARD, "SB-004", [REVIEW]),
        window="shebao")],
    ("POST", "/api/v1/cases/{case_id}/chase"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("chase", {"note": "电话催办"}, "SB-004", [REVIEW, FORWARD]),
        window="shebao")],
    ("POST", "/api/v1/cases/{case_id}/record-decision"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_case("record-decision", {"decision": "approved"}, "SB-004", [REVIEW, FORWARD]),
        window="shebao")],
    ("POST", "/api/v1/cases/{case_id}/request-review"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_case(*APPEAL, steps=[RETURN]))],
    ("POST", "/api/v1/cases/{case_id}/decide-review"): [Row(
        (403, 403, 403, 403, 200, 403, 401, 401),
        on_case("decide-review", {"decision": "confirm", "note": "退件理由成立"},
                steps=[RETURN, APPEAL]))],
    ("GET", "/api/v1/services"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/services"))],
    ("GET", "/api/v1/staff"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/staff"))],
    ("GET", "/api/v1/alerts"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/alerts"))],
    ("POST", "/api/v1/alerts/{alert_id}/ack"): [
        Row((403, 403, 200, 403, 200, 403, 401, 401), _ack("case")),  # at the window head
        Row((403, 403, 403, 403, 200, 200, 401, 401), _ack("center")),  # the center's own
    ],
    ("GET", "/api/v1/alerts/stream"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/alerts/stream"))],
    ("GET", "/api/v1/alert-channels"): [Row(
        (403, 403, 403, 403, 200, 200, 401, 401), fixed("GET", "/api/v1/alert-channels"))],
    ("POST", "/api/v1/alert-channels"): [Row(
        (403, 403, 403, 403, 201, 403, 401, 401),
        fixed("POST", "/api/v1/alert-channels", json=CHANNEL))],
    ("DELETE", "/api/v1/alert-channels/{channel_id}"): [Row(
        (403, 403, 403, 403, 204, 403, 401, 401), _remove_channel)],
    ("POST", "/api/v1/calendar/notices"): [Row(
        (403, 403, 403, 403, 200, 200, 401, 401),
        fixed("POST", "/api/v1/calendar/notices", json={
            "filename": NOTICE.name, "content": NOTICE.read_text(encoding="utf-8")}))],
    ("POST", "/api/v1/calendar/closures"): [Row(
        (403, 403, 403, 403, 200, 403, 401, 401), _closure)],
    # The sandbox is a training center: its tokens and its clock need no sign-in.
    ("POST", "/api/v1/sandbox/tokens"): [Row(
        (200, 200, 200, 200, 200, 200, 200, 200),
        fixed("POST", "/api/v1/sandbox/tokens", json={"staff_id": "mz-a"}))],
    ("GET", "/api/v1/sandbox/clock"): [Row(
        (200, 200, 200, 200, 200, 200, 200, 200), fixed("GET", "/api/v1/sandbox/clock"))],
    ("POST", "/api/v1/sandbox/clock/advance"): [Row(
        (200, 200, 200, 200, 200, 200, 200, 200),
        fixed("POST", "/api/v1/sandbox/clock/advance", json={"hours": 1}))],
    ("GET", "/api/v1/dashboard/summary"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/summary"))],
    ("GET", "/api/v1/dashboard/cases"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/cases"))],
    ("GET", "/api/v1/dashboard/trend"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/trend"))],
    ("GET", "/api/v1/dashboard/ranking"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/ranking"))],
    ("GET", "/api/v1/dashboard/deductions"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401),
        fixed("GET", "/api/v1/dashboard/deductions"))],
    ("POST", "/api/v1/dashboard/deductions"): [Row(
        (403, 403, 403, 403, 201, 403, 401, 401), _deduction)],
    # The deployment's centers are the province's to list (tests/api/test_centers.py).
    ("GET", "/api/v1/centers"): [Row(
        (403, 403, 403, 403, 403, 403, 401, 401), fixed("GET", "/api/v1/centers"))],
    ("GET", "/api/v1/dashboard/me"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/me"))],
    ("POST", "/api/v1/staff/{staff_id}/leave"): [Row(  # mz-a's leave
        (403, 403, 201, 403, 201, 403, 401, 401), _register_leave)],
    ("GET", "/api/v1/staff/{staff_id}/leave"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/staff/mz-a/leave"))],
    ("POST", "/api/v1/staff/{staff_id}/leave/{leave_id}/end"): [Row(
        (403, 403, 200, 403, 200, 403, 401, 401), _end_leave)],
    ("GET", "/api/v1/leave"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/leave"))],
    ("GET", "/api/v1/calendar/recounts/{recount_id}"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), _recount)],
    ("POST", "/api/v1/complaints"): [Row(
        (201, 201, 201, 201, 201, 403, 401, 401),
        fixed("POST", "/api/v1/complaints", json=COMPLAINT))],
    ("GET", "/api/v1/complaints"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/complaints"))],
    ("GET", "/api/v1/complaints/{complaint_id}"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), on_complaint())],
    ("GET", "/api/v1/complaints/{complaint_id}/events"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), on_complaint("/events"))],
    ("GET", "/api/v1/complaints/{complaint_id}/notice"): [Row(  # it names the complainant
        (403, 403, 403, 403, 200, 403, 401, 401), on_complaint("/notice", answered=True))],
    ("POST", "/api/v1/complaints/{complaint_id}/answer"): [Row(
        (403, 403, 403, 403, 200, 403, 401, 401), on_complaint("/answer", "POST", ANSWER))],
    ("POST", "/api/v1/inquiries"): [Row(  # at the caller's own window
        (201, 201, 201, 201, 403, 403, 401, 401),
        fixed("POST", "/api/v1/inquiries", json={"topic": "如何办理", "outcome": "answered"}))],
    ("GET", "/api/v1/inquiries"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/inquiries"))],
    ("GET", "/api/v1/dashboard/inquiries"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/dashboard/inquiries"))],
    ("POST", "/api/v1/followups/sample"): [Row(
        (403, 403, 403, 403, 201, 403, 401, 401), _sample)],
    ("GET", "/api/v1/followups"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/followups"))],
    ("POST", "/api/v1/followups/{followup_id}/record"): [Row(  # a visit never drawn
        (404, 404, 404, 404, 404, 404, 401, 401),
        fixed("POST", "/api/v1/followups/999999/record", json={"reached": False}))],
    # The applicant's link: its token is the key, whoever else calls.
    ("GET", "/api/v1/public/cases/{token}"): [Row(
        (200,) * 8, on_link("/api/v1/public/cases/{token}"))],
    ("GET", "/api/v1/public/cases/{token}/notices/{seq}"): [Row(
        (200,) * 8, on_link("/api/v1/public/cases/{token}/notices/1"))],
    ("POST", "/api/v1/public/ratings/{token}"): [Row(
        (201,) * 8, on_link("/api/v1/public/ratings/{token}", "POST",
                            {"stage": "received", "level": 5}))],
    ("GET", "/r/{token}"): [Row((200,) * 8, on_link("/r/{token}"))],
    ("GET", "/api/v1/ratings"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/ratings"))],
    ("GET", "/api/v1/rectifications"): [Row(
        (200, 200, 200, 200, 200, 200, 401, 401), fixed("GET", "/api/v1/rectifications"))],
    ("GET", "/api/v1/rectifications/{rectification_id}"): [Row(  # another window's: unseen
        (200, 404, 200, 404, 200, 200, 401, 401), on_rectification())],
    ("POST", "/api/v1/rectifications/{rectification_id}/contact"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_rectification(*CONTACT))],
    ("POST", "/api/v1/rectifications/{rectification_id}/rectify"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401), on_rectification(*RECTIFY, before=(CONTACT,)))],
    ("POST", "/api/v1/rectifications/{rectification_id}/answer"): [Row(
        (200, 403, 200, 403, 200, 403, 401, 401),
        on_rectification("answer", {"text": "已向申请人说明"}, before=(CONTACT, RECTIFY)))],
    # Operations, the pages, the static files and the API's own documents: no sign-in.
    ("GET", "/healthz"): [Row((200,) * 8, fixed("GET", "/healthz"))],
    ("GET", "/readyz"): [Row((200,) * 8, fixed("GET", "/readyz"))],
    ("GET", "/metrics"): [Row((200,) * 8, fixed("GET", "/metrics"))],
    ("GET", "/"): [Row((200,) * 8, fixed("GET", "/"))],
    ("GET", "/dashboard"): [Row((200,) * 8, fixed("GET", "/dashboard"))],
    ("GET", "/timeline/{case_id}"): [Row((200,) * 8, fixed("GET", "/timeline/BJ-0"))],
    ("GET", "/static"): [Row((200,) * 8, fixed("GET", "/static/dashboard.js"))],
    ("GET", "/openapi.json"): [Row((200,) * 8, fixed("GET", "/openapi.json"))],
    ("GET", "/docs"): [Row((200,) * 8, fixed("GET", "/docs"))],
    ("GET", "/docs/oauth2-redirect"): [Row((200,) * 8, fixed("GET", "/docs/oauth2-redirect"))],
    ("GET", "/redoc"): [Row((200,) * 8, fixed("GET", "/redoc"))],
}
# fmt: on


def app_routes() -> set[tuple[str, str]]:
    """Every (method, path) the app answers, read from ``app.routes`` (the routers included
    in it flattened, their prefixes applied); a mount is one GET."""
    routes: set[tuple[str, str]] = set()
    for route in iter_route_contexts(create_app(cast(AppContext, None)).routes):
        if isinstance(route.original_route, Mount):
            routes.add(("GET", str(route.path)))
        elif isinstance(route.original_route, Route):
            routes |= {(m, str(route.path)) for m in (route.methods or set()) - {"HEAD"}}
        else:  # a kind of route with no row yet
            routes.add((type(route.original_route).__name__, str(route.path)))
    return routes


def test_every_route_has_a_row() -> None:
    routes = app_routes()
    assert sorted(routes - set(MATRIX)) == [], "routes of the app without a row"
    assert sorted(set(MATRIX) - routes) == [], "rows for routes the app lacks"
    for route, rows in MATRIX.items():
        assert rows and all(len(r.statuses) == len(COLUMNS) for r in rows), route


async def prepared(served: Served, first_year: int = 2091) -> Center:
    """The center, with alerts to acknowledge: immediate cases past their 30 minutes, and the
    center's own (years from ``first_year`` without their holiday notice)."""
    c = Center(served)
    # Twelve days hold office hours whatever the day: the longest holiday is nine.
    for _ in range(3):
        await c.case("MZ-005", [])
    r = await served.http.post("/api/v1/sandbox/clock/advance", json={"days": 12})
    assert r.status_code == 200, r.text
    alerts = await served.http.get(
        "/api/v1/alerts", params={"level": "window_head"}, headers=served.auth("director")
    )
    c.alerts["case"] = [a["id"] for a in alerts.json() if a["kind"] == "warning"]
    assert len(c.alerts["case"]) == 3, alerts.text
    for year in range(first_year, first_year + 3):
        await raise_notice_missing(served.ctx.pool, year, datetime.now(UTC))
        c.alerts["center"].append(notice_alert_id(year))
    return c


@pytest_asyncio.fixture(scope="module")
async def center(
    postgres: EmbeddedPostgres, time_skipping: tuple[WorkflowEnvironment, str]
) -> AsyncIterator[Center]:
    env = time_skipping[0]
    async with own_center(postgres, env.client, sandbox=env) as served:
        yield await prepared(served)


def headers_of(c: Center, column: str, window: str) -> dict[str, str]:
    other = "shebao" if window != "shebao" else "minzheng"
    staff = {
        "clerk": WINDOW_STAFF[window][0],
        "clerk²": WINDOW_STAFF[other][0],
        "head": WINDOW_STAFF[window][1],
        "head²": WINDOW_STAFF[other][1],
        "director": "director",
        "ops": "ops",
    }
    if column == "none":
        return {}
    if column == "bad":
        return {"Authorization": "Bearer not-a-token"}
    return c.served.auth(staff[column])


async def status_of(c: Center, call: Call, headers: dict[str, str]) -> int:
    http = c.served.http
    request = http.build_request(
        call.method, call.path, json=call.json, params=call.params, headers=headers
    )
    response = await http.send(request, stream=True)  # the alert stream never ends
    await response.aclose()
    return response.status_code


async def check_row(c: Center, route: tuple[str, str], row: Row) -> list[str]:
    """Each cell's status against the row's; a subject of its own for each cell that should
    succeed, one shared by the cells that should not."""
    shared: Call | None = None
    wrong = []
    for column, expected in zip(COLUMNS, row.statuses, strict=True):
        if expected < 400:
            call = await row.prepare(c)
        else:
            shared = shared or await row.prepare(c)
            call = shared
        got = await status_of(c, call, headers_of(c, column, row.window))
        if got != expected:
            wrong.append(f"{route[0]} {route[1]} as {column}: {got}, not {expected}")
    return wrong


# Every cell is a real call on a subject of its own: a few hundred calls, longer than the
# suite's default timeout.
@pytest.mark.timeout(900)
async def test_each_caller_gets_the_status_its_cell_names(center: Center) -> None:
    gate = asyncio.Semaphore(6)

    async def one(route: tuple[str, str], row: Row) -> list[str]:
        async with gate:
            return await check_row(center, route, row)

    results = await asyncio.gather(
        *(one(route, row) for route, rows in MATRIX.items() for row in rows)
    )
    wrong = [line for lines in results for line in lines]
    assert wrong == [], "\n".join(wrong)
