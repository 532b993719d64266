"""The published catalog and the staff list, as the contract has them."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_the_published_catalog_lists_the_contract_s_kinds_and_the_orphan_entry_apart(
    api: Api,
) -> None:
    r = await api.http.get("/services", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    services = r.json()
    assert {s["kind"] for s in services} == {"immediate", "promised", "joint", "upward"}
    assert all(s["departments"] for s in services if s["kind"] == "joint")
    assert all(
        set(s) >= {"code", "name", "window", "kind", "promised_days", "legal_days", "materials"}
        for s in services
    )
    r = await api.http.get("/services?orphan=true", headers=api.auth("mz-a"))
    assert [(s["code"], s["kind"]) for s in r.json()] == [("ZH-900", "orphan")]


async def test_the_staff_list_names_each_post(api: Api) -> None:
    r = await api.http.get("/staff", headers=api.auth("mz-a"))
    assert r.status_code == 200, r.text
    posts = {s["id"]: s["post"] for s in r.json()}
    assert (posts["mz-a"], posts["mz-b"], posts["director"]) == ("A", "B", None)
