"""``banjian staff`` and ``banjian token`` as a user runs them: output, exit codes, and the
token refused once revoked."""

from __future__ import annotations

import json
import uuid
from importlib.resources import files
from pathlib import Path

from centers.demo import DEMO_FILE
from projections.center import staff_for_token
from tests.banjian.test_ops_cli import banjian
from tests.ops.conftest import Center


async def test_staff_join_move_and_leave_and_their_tokens_with_them(center: Center) -> None:
    sid = "cli-" + uuid.uuid4().hex[:6]
    code, out, err = await banjian(
        center,
        "staff",
        "add",
        "--id",
        sid,
        "--name",
        "新同事",
        "--role",
        "clerk",
        "--window",
        "zonghe",
        "--post",
        "A",
    )
    assert code == 0, err
    code, _, err = await banjian(
        center,
        "staff",
        "add",
        "--id",
        sid,
        "--name",
        "重名",
        "--role",
        "clerk",
        "--window",
        "zonghe",
    )
    assert code == 1 and "exists already" in err
    code, out, err = await banjian(
        center, "staff", "move", sid, "--window", "minzheng", "--post", "B"
    )
    assert code == 0 and "minzheng" in out, err

    code, out, err = await banjian(center, "token", "create", "--staff", sid, "--expires-in", "30")
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    token_id = out.split()[1]
    assert (await staff_for_token(center.pool, token)) is not None
    code, out, _ = await banjian(center, "token", "list", "--staff", sid, "--json")
    [listed] = json.loads(out)
    assert (listed["id"], listed["state"]) == (token_id, "active")
    assert listed["expires_at"] is not None and token not in out

    code, out, _ = await banjian(center, "token", "revoke", token_id)
    assert code == 0 and "revoked" in out
    assert (await staff_for_token(center.pool, token)) is None
    code, _, err = await banjian(center, "token", "revoke", "nosuchtoken")
    assert code == 1 and "no token" in err

    second = (await banjian(center, "token", "create", "--staff", sid))[1].strip().splitlines()[-1]
    code, _, _ = await banjian(center, "staff", "deactivate", sid)
    assert code == 0
    assert (await staff_for_token(center.pool, second)) is None
    code, _, err = await banjian(center, "token", "create", "--staff", sid)
    assert code == 1 and "no active staff member" in err


async def test_center_apply_names_the_line_of_an_error_and_changes_nothing(
    center: Center, tmp_path: Path
) -> None:
    demo = (files("centers") / DEMO_FILE).read_text(encoding="utf-8")
    broken = tmp_path / "center.yaml"
    broken.write_text(demo.replace("promised_days: 5\n", "promised_days: five\n", 1), "utf-8")
    line = next(i for i, ln in enumerate(broken.read_text("utf-8").splitlines(), 1) if "five" in ln)
    code, out, err = await banjian(center, "center", "apply", str(broken))
    assert code == 1 and out == ""
    assert f"error: {broken}:{line}: services[0].promised_days: " in err

    fine = tmp_path / "demo.yaml"
    fine.write_text(demo.replace("promised_days: 5\n", "promised_days: 4\n", 1), "utf-8")
    before = await center.pool.fetchval("select promised_days from services where code = 'MZ-001'")
    code, out, err = await banjian(center, "center", "apply", str(fine), "--dry-run")
    assert code == 0, err
    assert "~ service MZ-001" in out and out.rstrip().endswith("dry run: nothing changed")
    after = await center.pool.fetchval("select promised_days from services where code = 'MZ-001'")
    assert before == after == 5
