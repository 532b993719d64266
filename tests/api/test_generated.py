"""Generated input for every route of the API's own OpenAPI document.

Schemathesis draws requests from the document, both ones that fit it and ones
that do not (wrong types, missing fields, extra fields, odd bytes in the body and
the path); each is sent with a real token of some role, no token, a bad token, or
whatever was generated, to a case that exists or to one that does not. Whatever
comes in, the answer is never a 5xx, and every error has the contract's shape
``{"error": {"code", "message"}}``.

The app runs on a center of its own (``tests.api.served``), since some generated
requests are valid and change it: a closure, a channel, a leave.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from banjian.embedded import EmbeddedPostgres, TemporalDevServer
from tests.api.served import Served, own_center

DOCUMENT: dict[str, Any] = create_app(cast(AppContext, None)).openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS = [(method.upper(), path) for path, ops in DOCUMENT["paths"].items() for method in ops]

EXAMPLES = 12  # per route: enough to reach each kind of bad input, few enough for about a minute
ROLES = ("mz-a", "mz-head", "sb-a", "director", "ops")  # clerk, head, other window, director, ops
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


@pytest_asyncio.fixture(scope="module")
async def center(
    postgres: EmbeddedPostgres, dev_server: tuple[TemporalDevServer, Client, str]
) -> AsyncIterator[tuple[Served, dict[str, list[str]]]]:
    """The served API and the real ids its path parameters may take besides generated ones."""
    async with own_center(postgres, dev_server[1]) as served:
        received = await served.receive("MZ-001", "mz-a")
        waiting = await served.receive("MZ-003", "mz-a")
        await served.act(
            waiting["case_id"],
            "request-materials",
            "mz-a",
            {"missing": ["photo"], "note": "缺照片"},
        )
        joint = await served.receive("MZ-002", "mz-a")
        await served.act(joint["case_id"], "start-review", "mz-a")
        await served.act(
            joint["case_id"], "request-signoff", "mz-a", {"departments": ["canlian", "laodong"]}
        )
        upward = await served.receive("SB-004", "sb-a")
        immediate = await served.receive("MZ-005", "mz-a")
        ids = {
            "case_id": [c["case_id"] for c in (received, waiting, joint, upward, immediate)],
            "staff_id": ["mz-a", "mz-b", "sb-a", "director"],
            # A notice's id is its case's and its event's: the receipt, the materials request.
            "notice_id": [f"{received['case_id']}-N1", f"{waiting['case_id']}-N2"],
        }
        yield served, ids


def requests_for(method: str, path: str, ids: dict[str, list[str]]) -> st.SearchStrategy[Case[Any]]:
    """Cases of the operation, fitting the document or not, with a real id now and then."""
    operation = SCHEMA[path][method]
    generated = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    names = [n for n in ids if "{" + n + "}" in path]

    @st.composite
    def cases(draw: st.DrawFn) -> Case[Any]:
        case: Case[Any] = draw(generated)
        for name in names:
            real = draw(st.none() | st.sampled_from(ids[name]))
            if real is not None:
                case.path_parameters = {**(case.path_parameters or {}), name: real}
        return case

    return cases()


AUTH = st.sampled_from([*ROLES, "none", "bad", "generated"])


def request_of(case: Case[Any], who: str, served: Served) -> httpx.Request:
    """The generated request, sent as ``who``: a staff member, no token, a bad token, or with
    whatever Authorization header was generated."""
    http = served.http
    kwargs = case.as_transport_kwargs(base_url=str(http.base_url).rstrip("/"))
    headers = dict(kwargs["headers"])
    if who != "generated":
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    if who == "bad":
        headers["Authorization"] = "Bearer not-a-token"
    elif who in ROLES:
        headers["Authorization"] = f"Bearer {served.tokens[who]}"
    body = kwargs.get("data")
    return http.build_request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params") or None,
        headers=headers,
        json=kwargs.get("json"),
        content=body if isinstance(body, (bytes, str)) else None,
        data=body if isinstance(body, dict) else None,
    )


async def exchange(http: httpx.AsyncClient, request: httpx.Request) -> tuple[int, str, bytes]:
    response = await http.send(request, stream=True)
    try:
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/event-stream"):
            return response.status_code, kind, b""  # a live stream: its opening is the answer
        return response.status_code, kind, await response.aread()
    finally:
        await response.aclose()


def assert_answer(status: int, kind: str, content: bytes) -> None:
    assert status < 500, f"a server error, {status}: {content[:500]!r}"
    if status < 400:
        return
    assert kind.startswith("application/json"), f"{status} answered as {kind}"
    body = json.loads(content)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and {"code", "message"} <= set(error) <= {
        "code",
        "message",
        "details",
    }, error
    assert isinstance(error["code"], str) and SNAKE.fullmatch(error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    expected = {401: "unauthorized", 403: "forbidden", 422: "validation_error"}.get(status)
    if expected is not None:
        assert error["code"] == expected, error
    if status == 404:
        assert error["code"].endswith("not_found"), error
    if status == 422:
        assert isinstance(error.get("details"), list), error


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_no_input_gets_a_server_error_or_an_error_off_the_contract(
    method: str, path: str, center: tuple[Served, dict[str, list[str]]]
) -> None:
    await explore(method, path, *center)


SANDBOX = [(m, p) for m, p in OPERATIONS if p.startswith("/api/v1/sandbox/")]


@pytest_asyncio.fixture(scope="module")
async def sandbox_center(
    postgres: EmbeddedPostgres, time_skipping: tuple[WorkflowEnvironment, str]
) -> AsyncIterator[Served]:
    env = time_skipping[0]
    async with own_center(postgres, env.client, sandbox=env) as served:
        await served.receive("MZ-005", "mz-a")  # a case whose timers the clock moves past
        yield served


@pytest.mark.parametrize(("method", "path"), SANDBOX, ids=[f"{m} {p}" for m, p in SANDBOX])
async def test_the_sandbox_routes_too_where_they_answer(
    method: str, path: str, sandbox_center: Served
) -> None:
    """Outside the sandbox its routes are 404 whatever comes; in it, they do their work."""
    await explore(method, path, sandbox_center, {})


async def explore(method: str, path: str, served: Served, ids: dict[str, list[str]]) -> None:
    loop = asyncio.get_running_loop()

    def send(request: httpx.Request) -> tuple[int, str, bytes]:
        # Hypothesis runs in a thread of its own; the app and its pools live on this loop.
        return asyncio.run_coroutine_threadsafe(exchange(served.http, request), loop).result()

    await asyncio.to_thread(_explore, method, path, ids, served, send)


def _explore(
    method: str,
    path: str,
    ids: dict[str, list[str]],
    served: Served,
    send: Callable[[httpx.Request], tuple[int, str, bytes]],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=requests_for(method, path, ids), who=AUTH)
    def answers_within_the_contract(case: Case[Any], who: str) -> None:
        try:
            request = request_of(case, who, served)
        except (UnicodeEncodeError, httpx.InvalidURL, ValueError):
            reject()  # not a request HTTP can carry
        note(f"{request.method} {request.url} as {who}: {request.content[:300]!r}")
        try:
            status, kind, content = send(request)
        except httpx.LocalProtocolError:
            reject()
        assert_answer(status, kind, content)

    answers_within_the_contract()


# What the generated requests found, pinned by hand.


async def test_a_nul_character_anywhere_is_a_validation_error_and_records_nothing(
    center: tuple[Served, dict[str, list[str]]],
) -> None:
    """PostgreSQL text cannot hold NUL: in the query it was a 500; in a body the workflow took
    it and its projection could never write the event."""
    served = center[0]
    h = served.auth("mz-a")
    case_id = (await served.receive("MZ-003", "mz-a"))["case_id"]
    before = (await served.http.get(f"/api/v1/cases/{case_id}?consistent=true", headers=h)).json()
    for r in (
        await served.http.get("/api/v1/leave", params={"window": "a\x00"}, headers=h),
        await served.http.get("/api/v1/cases", params={"assignee": "\x00"}, headers=h),
        await served.http.get("/api/v1/cases/BJ-1%00", headers=h),
        await served.http.get("/api/v1/alerts/stream", params={"token": "x\x00"}),
        await served.http.post(
            f"/api/v1/cases/{case_id}/request-materials",
            json={"missing": ["photo"], "note": "缺\x00照片"},
            headers=h,
        ),
        await served.http.post(
            f"/api/v1/cases/{case_id}/supply-materials", json={"materials": ["id\x00"]}, headers=h
        ),
    ):
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "validation_error" and isinstance(error["details"], list)
    after = (await served.http.get(f"/api/v1/cases/{case_id}?consistent=true", headers=h)).json()
    assert after["last_seq"] == before["last_seq"]


async def test_a_validation_error_from_the_workflow_carries_details_like_any_other(
    center: tuple[Served, dict[str, list[str]]],
) -> None:
    served = center[0]
    case_id = (await served.receive("MZ-003", "mz-a"))["case_id"]
    r = await served.http.post(
        f"/api/v1/cases/{case_id}/request-materials",
        json={"missing": ["no-such-material"]},
        headers=served.auth("mz-a"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["details"] == []


async def test_an_id_past_what_postgresql_keeps_is_a_validation_error(
    center: tuple[Served, dict[str, list[str]]],
) -> None:
    served = center[0]
    for method, path in (
        ("POST", f"/api/v1/staff/mz-a/leave/{2**63}/end"),
        ("DELETE", f"/api/v1/alert-channels/{2**31}"),
    ):
        r = await served.http.request(method, path, headers=served.auth("director"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["loc"][0] == "path"
