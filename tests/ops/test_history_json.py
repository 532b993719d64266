"""The same history gives the same archived text, whatever order protobuf's maps come in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory

from ops.history import history_json, same_history

RECORDED = Path(__file__).parent.parent / "histories" / "immediate-on-the-spot.json"


def _reverse_maps(node: Any) -> Any:
    """The same JSON with every object's keys in reverse order."""
    if isinstance(node, dict):
        return {k: _reverse_maps(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reverse_maps(x) for x in node]
    return node


def test_a_map_in_another_order_is_the_same_history() -> None:
    original = RECORDED.read_text(encoding="utf-8")
    reordered = json.dumps(_reverse_maps(json.loads(original)))
    assert reordered != original
    history = WorkflowHistory.from_json("c", original)
    again = WorkflowHistory.from_json("c", reordered)
    assert history_json(history) == history_json(again)
    assert same_history(history, reordered)
    assert same_history(history, history_json(again))


def test_an_altered_history_is_not_the_same() -> None:
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json("c", data)
    data["events"][0]["eventTime"] = "2020-01-01T00:00:00Z"
    assert not same_history(history, json.dumps(data))
    assert not same_history(history, "not json")
