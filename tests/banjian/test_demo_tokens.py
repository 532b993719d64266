"""The demo tokens ``banjian run`` prints: one per demo role, discipline inspection's too."""

from __future__ import annotations

import json
from pathlib import Path

from banjian.stack import DEMO_TOKEN_STAFF, demo_tokens
from projections.center import staff_for_token
from tests.ops.conftest import Center


async def test_each_demo_role_gets_a_token_and_a_folder_missing_one_gets_it(
    center: Center, tmp_path: Path
) -> None:
    # A data folder from before discipline inspection was in the demo: its saved tokens lack it.
    first = await demo_tokens(center.dsn, None)
    older = {k: v for k, v in first.items() if k != "discipline"}
    (tmp_path / "demo-tokens.json").write_text(json.dumps(older))

    tokens = await demo_tokens(center.dsn, tmp_path)

    assert set(tokens) == set(DEMO_TOKEN_STAFF) and "discipline" in tokens
    assert {k: tokens[k] for k in older} == older  # the saved ones are kept
    roles = {k: await staff_for_token(center.pool, t) for k, t in tokens.items()}
    assert {k: m.role.value for k, m in roles.items() if m is not None} == {
        "mz-a": "clerk",
        "mz-head": "window_head",
        "director": "director",
        "ops": "ops",
        "discipline": "discipline",
    }
    assert json.loads((tmp_path / "demo-tokens.json").read_text()) == tokens
    assert await demo_tokens(center.dsn, tmp_path) == tokens  # a restart prints the same
