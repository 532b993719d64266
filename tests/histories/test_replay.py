"""Every recorded case history still replays against the current workflow code.

They were recorded before payloads were encrypted, and replay through banjian's
encrypting converter all the same: a payload without the encryption marker
passes through it as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from privacy import KeyRing, encrypted_converter
from workflows.case import CaseWorkflow
from workflows.model import CaseInput, Kind

HISTORIES = sorted(Path(__file__).parent.glob("*.json"))
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in HISTORIES}
CONVERTER = encrypted_converter(KeyRing.generate())


def test_there_are_recorded_histories() -> None:
    assert HISTORIES, "tests/histories holds no recorded history"


@pytest.mark.parametrize("name", sorted(TEXTS))
async def test_recorded_history_replays_deterministically(name: str) -> None:
    history = WorkflowHistory.from_json(name, TEXTS[name])
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


async def test_every_kind_of_case_has_a_recorded_history() -> None:
    kinds = set()
    for name, text in TEXTS.items():
        started = WorkflowHistory.from_json(name, text).events[0]
        payloads = started.workflow_execution_started_event_attributes.input.payloads
        (inp,) = await CONVERTER.decode(payloads, [CaseInput])
        kinds.add(inp.service.kind)
    assert kinds == set(Kind)
