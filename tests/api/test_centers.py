"""Two centers on one stack, tried from the outside.

The demo center (SFZ) and a second one (QHZ, ``centers/demo_center_2.yaml``: the same staff
ids and window codes, other people, its own catalog and office hours) share one database,
one Temporal namespace and one API. Every row of the authorization matrix
(``tests/api/test_authz_matrix.py``) is prepared in SFZ, then called by QHZ's director and
by QHZ's clerk of the same window code: a route that names a subject (a case, an alert, a
complaint, a recount, a leave) answers 404, or 403 where the caller's role may not call it
at all, and no answer carries anything of SFZ (its case, complaint, alert or rectification
ids, its staff's names); only the deployment's own alerts (a missing national holiday notice)
are every center's. The province's viewer gets the centers and their dashboards, every
center's or one's, and 403 everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from banjian.embedded import EmbeddedPostgres
from centers.apply import apply_center_file
from centers.demo import demo_center_file, sandbox_center_files
from projections.center import create_token
from tests.api.served import own_center
from tests.api.test_authz_matrix import MATRIX, WINDOW_STAFF, Call, Center, Row, prepared

HOME, OTHER = "SFZ", "QHZ"
# The province may read these; anything else signed-in is 403. A window's figures (the
# ranking, the deductions, the inquiries table) need ``?center=``: 422 without it.
PROVINCE_READS = {
    ("GET", "/api/v1/centers"): 200,
    ("GET", "/api/v1/dashboard/summary"): 200,
    ("GET", "/api/v1/dashboard/cases"): 200,
    ("GET", "/api/v1/dashboard/trend"): 200,
    ("GET", "/api/v1/dashboard/me"): 200,
    ("GET", "/api/v1/dashboard/ranking"): 422,
    ("GET", "/api/v1/dashboard/deductions"): 422,
    ("GET", "/api/v1/dashboard/inquiries"): 200,
}


@dataclass
class TwoCenters:
    home: Center  # SFZ, with the matrix's subjects
    other: dict[str, str]  # QHZ's staff id -> token
    province: str  # the province viewer's token

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def call(self, call: Call, token: str) -> tuple[int, str]:
        http = self.home.served.http
        request = http.build_request(
            call.method, call.path, json=call.json, params=call.params, headers=self.auth(token)
        )
        response = await http.send(request, stream=True)  # the alert stream never ends
        try:
            if call.path.endswith("/stream"):
                return response.status_code, ""
            return response.status_code, (await response.aread()).decode("utf-8", "replace")
        finally:
            await response.aclose()

    async def home_marks(self) -> set[str]:
        """What no answer to QHZ's staff may carry: SFZ's subjects' ids, its staff's names."""
        pool = self.home.served.ctx.pool
        marks: set[str] = set()
        for table, column in (
            ("cases", "case_id"),
            ("complaints", "id"),
            ("alerts", "alert_id"),
            ("rectifications", "id"),
        ):
            rows = await pool.fetch(
                f"select {column}::text as v from {table} where center_code = $1", HOME
            )
            marks |= {r["v"] for r in rows}
        others = {s.name for s in self.home.served.ctx.directories[OTHER].staff.values()}
        marks |= {s.name for s in demo_center_file().staff if s.name not in others}
        return marks


@pytest_asyncio.fixture(scope="module")
async def two(
    postgres: EmbeddedPostgres, time_skipping: tuple[WorkflowEnvironment, str]
) -> AsyncIterator[TwoCenters]:
    env = time_skipping[0]
    async with own_center(postgres, env.client, sandbox=env) as served:
        second = next(f for f in sandbox_center_files() if f.center.code == OTHER)
        async with served.ctx.pool.acquire() as conn:
            await apply_center_file(conn, second)
        await served.ctx.refresh_directory()
        staff = served.ctx.directories[OTHER].staff
        tokens = {s: await create_token(served.ctx.pool, OTHER, s) for s in staff}
        home = await prepared(served, first_year=2094)
        yield TwoCenters(home, tokens, tokens["province"])


def signed_in_rows() -> list[tuple[tuple[str, str], Row]]:
    """The matrix's rows whose route needs a token (its "none" caller gets 401)."""
    return [
        (route, row) for route, rows in MATRIX.items() for row in rows if row.statuses[6] == 401
    ]


def names_a_subject(path: str) -> bool:
    """Whether the route's path names something of a center other than a staff id (which
    every center may have: QHZ's ``mz-a`` is QHZ's own)."""
    return bool(set(re.findall(r"{(\w+)}", path)) - {"staff_id"})


def shared(call: Call) -> bool:
    """The deployment's own alerts (a year without its holiday notice, which is national) are
    every center's to see and acknowledge."""
    return "/alerts/CAL-" in call.path


def leaks(body: str, marks: set[str], call: Call) -> list[str]:
    """SFZ's marks in an answer, but those the caller named itself (an error may echo them)."""
    asked = f"{call.path} {call.json or ''} {call.params}"
    return sorted(m for m in marks if m in body and m not in asked)


@pytest.mark.timeout(900)
async def test_another_centers_staff_see_nothing_of_it(two: TwoCenters) -> None:
    wrong: list[str] = []
    for (method, path), row in signed_in_rows():
        call = await row.prepare(two.home)
        marks = await two.home_marks()
        callers = ["director"]
        if row.window in ("minzheng", "shebao", "zonghe"):  # QHZ has a window of that code
            callers.append(WINDOW_STAFF[row.window][0])
        for who in callers:
            status, body = await two.call(call, two.other[who])
            where = f"{method} {path} as {OTHER}'s {who}"
            if status >= 500:
                wrong.append(f"{where}: {status}")
            if names_a_subject(path) and not shared(call) and status not in (403, 404):
                wrong.append(f"{where}: {status}, not 404 (or 403)")
            if status == 404 and '"case_not_found"' not in body and "_not_found" not in body:
                wrong.append(f"{where}: 404 without a not_found code: {body[:200]}")
            if found := leaks(body, marks, call):
                wrong.append(f"{where}: shows {found[:5]}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.timeout(900)
async def test_the_province_reads_the_figures_and_nothing_else(two: TwoCenters) -> None:
    wrong: list[str] = []
    for route, row in signed_in_rows():
        call = await row.prepare(two.home)
        status, _ = await two.call(call, two.province)
        expected = PROVINCE_READS.get(route, 403)
        if status != expected:
            wrong.append(f"{route[0]} {route[1]} as province: {status}, not {expected}")
    assert wrong == [], "\n".join(wrong)


async def get(two: TwoCenters, path: str, token: str, **params: str) -> Any:
    r = await two.home.served.http.get(path, params=params, headers=two.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_case_of_another_center_is_not_found(two: TwoCenters) -> None:
    case = await two.home.served.receive("MZ-001", "mz-a")
    await two.home.projected(case["case_id"])
    r = await two.home.served.http.get(
        f"/api/v1/cases/{case['case_id']}", headers=two.auth(two.other["director"])
    )
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "case_not_found"
    listed = await get(two, "/api/v1/cases", two.other["director"])
    assert case["case_id"] not in str(listed)


async def test_each_center_counts_in_its_own_catalog_and_office_hours(two: TwoCenters) -> None:
    """The same service code, the same clerk id, the same instant: SFZ promises 5 working
    days, closing at 17:30; QHZ 3, closing at 17:00. The case ids differ."""
    served = two.home.served
    body = {
        "service_code": "MZ-001",
        "applicant": {"name": "王小明", "id_number": "11010519491231002X", "phone": "13912345678"},
        "materials": ["id_card", "application_form", "hardship_proof", "hukou_book"],
    }
    here = await served.http.post("/api/v1/cases", json=body, headers=served.auth("mz-a"))
    body["materials"] = ["id_card", "application_form", "hardship_proof"]
    there = await served.http.post("/api/v1/cases", json=body, headers=two.auth(two.other["mz-a"]))
    assert here.status_code == there.status_code == 201, (here.text, there.text)
    a, b = here.json(), there.json()
    assert a["case_id"] != b["case_id"]
    assert a["due_at"][11:16] == "17:30" and b["due_at"][11:16] == "17:00", (a, b)
    assert a["due_at"][:10] > b["due_at"][:10]  # five working days against three
    theirs = await get(two, f"/api/v1/cases/{b['case_id']}", two.other["mz-a"])
    assert theirs["assignee"] == "mz-a" and theirs["window"] == "minzheng"


async def test_staff_may_not_name_another_center_on_the_dashboard(two: TwoCenters) -> None:
    r = await two.home.served.http.get(
        "/api/v1/dashboard/summary",
        params={"center": HOME},
        headers=two.auth(two.other["director"]),
    )
    assert r.status_code == 403, r.text
    own = await get(two, "/api/v1/dashboard/summary", two.other["director"], center=OTHER)
    assert own["center"] == OTHER and own["centers"] is None


async def test_the_province_sees_every_center_ranked_and_each_alone(two: TwoCenters) -> None:
    await two.home.served.receive("MZ-005", "mz-a")  # at least one case in SFZ
    centers = await get(two, "/api/v1/centers", two.province)
    assert [c["code"] for c in centers] == [OTHER, HOME]
    everyone = await get(two, "/api/v1/dashboard/summary", two.province)
    assert everyone["center"] is None and everyone["by_window"] == []
    lines = {c["code"]: c for c in everyone["centers"]}
    assert set(lines) == {HOME, OTHER}
    assert sorted(c["rank"] for c in lines.values()) == [1, 2]
    assert everyone["received"] == sum(c["received"] for c in lines.values())
    for code in (HOME, OTHER):
        alone = await get(two, "/api/v1/dashboard/summary", two.province, center=code)
        assert alone["center"] == code and alone["received"] == lines[code]["received"]
    home = await get(two, "/api/v1/dashboard/summary", two.home.served.tokens["director"])
    assert home["received"] == lines[HOME]["received"] > 0
    r = await two.home.served.http.get(
        "/api/v1/dashboard/summary", params={"center": "NOPE"}, headers=two.auth(two.province)
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "center_not_found"
    overdue = await get(two, "/api/v1/dashboard/cases", two.province)
    assert all(item["center"] in (HOME, OTHER) for item in overdue["items"])


async def test_sandbox_tokens_name_their_center(two: TwoCenters) -> None:
    http = two.home.served.http
    r = await http.post("/api/v1/sandbox/tokens", json={"role": "province"})
    assert r.status_code == 200, r.text
    assert r.json()["center"] == OTHER and r.json()["staff"]["role"] == "province"
    r = await http.post(
        "/api/v1/sandbox/tokens", json={"role": "clerk", "window": "minzheng", "center": OTHER}
    )
    assert r.status_code == 200 and r.json()["center"] == OTHER
    assert r.json()["staff"]["name"] == two.home.served.ctx.directories[OTHER].staff["mz-a"].name
    r = await http.post("/api/v1/sandbox/tokens", json={"staff_id": "mz-a"})
    assert r.json()["center"] == HOME  # the demo center by default
    r = await http.post("/api/v1/sandbox/tokens", json={"staff_id": "mz-a", "center": "NOPE"})
    assert r.status_code == 404
