"""Every recorded rectification history still replays against the current workflow code."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.rectification import RectificationWorkflow

HISTORIES = sorted(Path(__file__).parent.glob("*.json"))
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in HISTORIES}


def test_there_is_a_recorded_rectification() -> None:
    assert TEXTS, "tests/histories/rectifications holds no recorded history"


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_recorded_rectification_replays_deterministically(name: str) -> None:
    history = WorkflowHistory.from_json(name, TEXTS[name])
    replayer = Replayer(workflows=[RectificationWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
