"""Every event of every recorded history reads as its class and writes back what it recorded.

The workflow writes an event's data from its class (``workflows.events``), so a class
that dropped, renamed or reordered a key would record different data for the same
decision; an older shape reads through its upcaster, which only adds what was missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from ops.history import decode
from privacy import KeyRing, encrypted_converter
from workflows.event_log import parse
from workflows.model import Event

HISTORIES = {p.stem: p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("*.json")}


# Recorded before payloads were encrypted: they read through any key ring.
CONVERTER = encrypted_converter(KeyRing.generate())


async def _events(name: str) -> list[Event]:
    history = WorkflowHistory.from_json(name, HISTORIES[name])
    return (await decode(name, history, CONVERTER)).events


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_each_recorded_event_writes_back_the_keys_and_values_it_recorded(name: str) -> None:
    for e in await _events(name):
        parsed = parse(e)
        assert parsed is not None, e.type
        written = parsed.to_data()
        assert {k: written[k] for k in e.data} == e.data, e.type
        assert [k for k in written if k in e.data] == list(e.data), e.type
        if e.schema_version == parsed.VERSION:
            assert written == e.data, e.type


async def test_the_oldest_recorded_history_holds_shapes_that_need_their_upcasters() -> None:
    upcast = set()
    for e in await _events("promised-pause-extend"):
        parsed = parse(e)
        if parsed is not None and parsed.to_data() != e.data:
            upcast.add(e.type)
    assert upcast == {"case.received", "materials.requested", "clock.resumed", "deadline.extended"}
