"""The demo center shipped with the package: a township center whose data keeps the rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from centers.demo import demo_center
from workdays.calendar import OfficeHours

KINDS = {"immediate", "promised", "joint", "upward", "orphan"}


CENTER = demo_center()
WINDOWS: list[dict[str, Any]] = CENTER["windows"]
STAFF: list[dict[str, Any]] = CENTER["staff"]
SERVICES: list[dict[str, Any]] = CENTER["services"]
WINDOW_CODES = {w["code"] for w in WINDOWS}


def duplicates(values: list[str]) -> list[str]:
    return [v for v, n in Counter(values).items() if n > 1]


def test_center_office_hours_and_time_zone_parse() -> None:
    center = CENTER["center"]
    OfficeHours.parse(center["office_hours"], center["timezone"])
    assert center["code"] and center["name"]


def test_windows_have_unique_codes_and_there_are_at_least_six() -> None:
    assert len(WINDOWS) >= 6
    assert duplicates([w["code"] for w in WINDOWS]) == []


def test_staff_ids_are_unique_ascii_lowercase() -> None:
    ids = [s["id"] for s in STAFF]
    assert duplicates(ids) == []
    assert all(i.isascii() and i == i.lower() for i in ids)


@pytest.mark.parametrize("window", sorted(WINDOW_CODES))
def test_every_window_has_a_and_b_clerks_and_a_head(window: str) -> None:
    here = [s for s in STAFF if s["window"] == window]
    posts = sorted(s["post"] for s in here if s["role"] == "clerk")
    heads = [s for s in here if s["role"] == "window_head"]
    assert posts == ["A", "B"]
    assert len(heads) == 1
    assert heads[0]["post"] is None


def test_one_director_and_at_least_one_ops_user_outside_windows() -> None:
    directors = [s for s in STAFF if s["role"] == "director"]
    ops = [s for s in STAFF if s["role"] == "ops"]
    assert len(directors) == 1
    assert len(ops) >= 1
    assert all(s["window"] is None and s["post"] is None for s in directors + ops)


def test_discipline_inspection_has_a_member_outside_windows() -> None:
    """So that a complaint's complainant can be read in the demo by someone but the director."""
    members = [s for s in STAFF if s["role"] == "discipline"]
    assert len(members) == 1
    assert members[0]["window"] is None and members[0]["post"] is None


def test_staff_windows_exist_and_roles_are_known() -> None:
    for s in STAFF:
        assert s["role"] in {"clerk", "window_head", "director", "ops", "discipline"}, s["id"]
        assert s["window"] is None or s["window"] in WINDOW_CODES, s["id"]


def test_catalog_has_enough_services_with_unique_codes_in_existing_windows() -> None:
    assert len(SERVICES) >= 20
    assert duplicates([s["code"] for s in SERVICES]) == []
    for s in SERVICES:
        assert s["window"] in WINDOW_CODES, s["code"]


def test_every_kind_of_case_is_offered() -> None:
    assert {s["kind"] for s in SERVICES} == KINDS


@pytest.mark.parametrize("service", SERVICES, ids=[s["code"] for s in SERVICES])
def test_service_limits_and_materials_are_consistent(service: dict[str, Any]) -> None:
    assert service["kind"] in KINDS
    assert 0 <= service["promised_days"] <= service["legal_days"]
    codes = [m["code"] for m in service["materials"]]
    assert duplicates(codes) == []
    if service["kind"] == "orphan":
        # 不管件: no catalog limit or basis; the director sets the limit when assigning it.
        assert service["promised_days"] == service["legal_days"] == 0
        return
    assert (service["promised_days"] == 0) == (service["kind"] == "immediate")
    assert service["legal_basis"].startswith("《")
    assert any(m["required"] for m in service["materials"])


@pytest.mark.parametrize(
    "service",
    [s for s in SERVICES if s["kind"] == "joint"],
    ids=[s["code"] for s in SERVICES if s["kind"] == "joint"],
)
def test_joint_services_name_other_existing_windows_to_sign_off(service: dict[str, Any]) -> None:
    departments: list[str] = service["departments"]
    assert departments
    assert duplicates(departments) == []
    assert set(departments) <= WINDOW_CODES
    assert service["window"] not in departments


def test_only_joint_services_have_departments() -> None:
    for s in SERVICES:
        if s["kind"] != "joint":
            assert s["departments"] == [], s["code"]
