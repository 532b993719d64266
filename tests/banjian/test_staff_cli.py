"""``banjian staff`` and ``banjian token`` as a user runs them: output, exit codes, and the
token refused once revoked."""

from __future__ import annotations

import json
import uuid

from projections.center import staff_for_token
from tests.banjian.test_ops_cli import banjian
from tests.ops.conftest import Center


async def test_staff_join_move_and_leave_and_their_tokens_with_them(center: Center) -> None:
    sid = "cli-" + uuid.uuid4().hex[:6]
    code, out, err = await banjian(
        center, "staff", "add", "--id", sid, "--name", "新同事", "--role", "clerk",
        "--window", "zonghe", "--post", "A",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = await banjian(center, "staff", "add", "--id", sid, "--name", "重名",
                                 "--role", "clerk", "--window", "zonghe")  # fmt: skip
    assert code == 1 and "exists already" in err
    code, out, err = await banjian(center, "staff", "move", sid, "--window", "minzheng",
                                   "--post", "B")  # fmt: skip
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
