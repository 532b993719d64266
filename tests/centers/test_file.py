"""A center is a file: checked whole with every error's file, line and field; applied in one
transaction; applied twice, the second time changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
import yaml

from banjian.embedded import EmbeddedPostgres
from centers.apply import apply_center_file
from centers.demo import DEMO_FILE, demo_center_file
from centers.file import CenterFileError, parse_center, read_center_file
from projections.center import load_directory
from projections.db import connect as db_connect
from tests.databases import new_database

SMALL = """\
center:
  code: SFZ
  name: 示范镇便民服务中心
  office_hours: 08:30-12:00,13:30-17:30
windows:
- {code: minzheng, name: 民政}
- {code: zonghe, name: 综合}
staff:
- {id: mz-a, name: 王秀兰, role: clerk, window: minzheng, post: A}
- {id: director, name: 主任, role: director}
channels:
- {level: director, kind: webhook, url: "https://hooks.example.gov.cn/alerts", secret: s3}
services:
- code: MZ-001
  name: 临时救助申请
  window: minzheng
  kind: promised
  promised_days: 3
  legal_days: 20
  legal_basis: 《社会救助暂行办法》
  materials:
  - {code: id_card, name: 申请人身份证}
  fees:
  - {name: 工本费, amount_yuan: 0}
"""


@pytest_asyncio.fixture
async def conn(postgres: EmbeddedPostgres) -> AsyncIterator[asyncpg.Connection]:
    """A database of its own with the demo center applied."""
    c = await db_connect(await new_database(postgres))
    try:
        yield c
    finally:
        await c.close()


def problems(text: str) -> list[str]:
    with pytest.raises(CenterFileError) as err:
        parse_center(text, "center.yaml")
    return err.value.problems


def test_every_error_names_the_file_the_line_and_the_field() -> None:
    text = (
        SMALL.replace("promised_days: 3", "promised_days: -3")
        .replace("window: minzheng, post: A", "window: nowhere, post: A")
        .replace("{code: zonghe, name: 综合}", "{code: zonghe, name: 综合, floor: 2}")
    )
    found = problems(text)
    lines = text.splitlines()
    promised = next(i for i, ln in enumerate(lines, 1) if "promised_days: -3" in ln)
    floor = next(i for i, ln in enumerate(lines, 1) if "floor: 2" in ln)
    assert f"center.yaml:{promised}: services[0].promised_days: " in "\n".join(found)
    assert any(p.startswith(f"center.yaml:{floor}: windows[1].floor: ") for p in found), found
    # References are checked once the shapes are right.
    found = problems(SMALL.replace("window: minzheng, post: A", "window: nowhere, post: A"))
    staff_line = next(i for i, ln in enumerate(SMALL.splitlines(), 1) if "mz-a" in ln)
    assert found == [f"center.yaml:{staff_line}: staff[0].window: no window 'nowhere' in this file"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (("code: MZ-001", "code: MZ 001"), "services[0].code"),
        (("office_hours: 08:30-12:00,13:30-17:30", "office_hours: 8-12"), "center.office_hours"),
        (("kind: promised", "kind: joint"), "a joint item names its departments"),
        (("legal_days: 20", "legal_days: 2"), "the promised limit exceeds the legal one"),
        (("role: director}", "role: director, window: nowhere}"), "no window 'nowhere'"),
        (("services:", "services: [oops"), "not valid YAML"),
    ],
)
def test_a_file_that_does_not_describe_a_usable_center_is_refused(
    change: tuple[str, str], says: str
) -> None:
    assert says in "\n".join(problems(SMALL.replace(*change)))


def test_the_demo_center_is_a_center_file(tmp_path: Path) -> None:
    demo = demo_center_file()
    assert demo.center.code == "SFZ" and len(demo.services) >= 20
    copy = tmp_path / DEMO_FILE
    copy.write_text(yaml.safe_dump(demo.as_center(), allow_unicode=True), encoding="utf-8")
    assert read_center_file(copy) == demo


async def test_a_file_is_applied_in_one_step_and_a_second_time_changes_nothing(
    conn: asyncpg.Connection,
) -> None:
    small = parse_center(SMALL)
    before = await load_directory(conn, "SFZ")
    plan = await apply_center_file(conn, small, dry_run=True)
    assert "zonghe" not in plan.windows.retired and "guotu" in plan.windows.retired
    assert "mz-b" in plan.staff.retired and plan.staff.changed == ["director"]  # renamed
    assert plan.services.changed == ["MZ-001"] and "SB-001" in plan.services.retired
    assert plan.channels.added == ["director webhook hooks.example.gov.cn"]
    assert "office_hours" in plan.center
    assert (await load_directory(conn, "SFZ")) == before  # a dry run changes nothing

    applied = await apply_center_file(conn, small)
    assert applied == plan
    after = await load_directory(conn, "SFZ")
    assert sorted(after.staff) == ["director", "mz-a"]
    assert sorted(after.services) == ["MZ-001"]
    assert after.services["MZ-001"].promised_days == 3
    assert after.services["MZ-001"].version == before.services["MZ-001"].version + 1
    assert (await apply_center_file(conn, small)).empty

    # The demo file brings the center back; the retired items return, and MZ-001 changes again.
    again = await apply_center_file(conn, demo_center_file())
    assert "mz-b" in again.staff.added and again.services.changed == ["MZ-001"]
    restored = await load_directory(conn, "SFZ")
    assert sorted(restored.staff) == sorted(before.staff)
    assert restored.services["MZ-001"].promised_days == before.services["MZ-001"].promised_days
    assert restored.services["MZ-001"].version == before.services["MZ-001"].version + 2


async def test_a_file_of_another_center_adds_it_beside_the_first(
    conn: asyncpg.Connection,
) -> None:
    other = parse_center(SMALL.replace("code: SFZ", "code: QTZ"))
    before = await load_directory(conn, "SFZ")
    plan = await apply_center_file(conn, other)
    assert sorted(plan.staff.added) == ["director", "mz-a"]  # ids a center's own: no clash
    added = await load_directory(conn, "QTZ")
    assert sorted(added.staff) == ["director", "mz-a"] and sorted(added.services) == ["MZ-001"]
    assert added.staff["mz-a"].center == "QTZ"
    assert (await load_directory(conn, "SFZ")) == before  # the first center is as it was
    assert (await apply_center_file(conn, other)).empty
