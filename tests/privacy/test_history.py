"""A case's Temporal history holds no personal data in clear, and reads again after a rotation."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory

from banjian.runtime import build_worker, connect
from ops.archive import archive_pending
from ops.history import decode
from ops.replay import replay_case
from privacy import KeyRing, PayloadDecryptionError
from privacy.codec import ENCODING, KEY_ID
from projections.archive import archive_entry
from projections.db import LazyPool
from tests.api.conftest import Api
from tests.api.test_cases import ID_NUMBER, PHONE, new_case, projected, required_materials
from tests.conftest import PAYLOAD_KEYS, TIMEZONE
from tests.ops.conftest import Center
from tests.workflows.harness import case_input
from workflows.case import CaseWorkflow
from workflows.client import case_workflow_id
from workflows.model import CaseInput, CaseState

BANJIAN = str(Path(sys.executable).parent / "banjian")
NAME = "欧阳明月"
TZ = ZoneInfo(TIMEZONE)


def payloads(message: Message) -> list[Payload]:
    """Every Payload anywhere inside a protobuf message."""
    if isinstance(message, Payload):
        return [message]
    found: list[Payload] = []
    for field, value in message.ListFields():
        kind = field.message_type
        if kind is None:
            continue
        if kind.GetOptions().map_entry:
            if kind.fields_by_name["value"].message_type is None:
                continue
            items = list(value.values())
        else:
            items = list(value) if field.is_repeated else [value]
        for item in items:
            found += payloads(item)
    return found


def raw(history: WorkflowHistory) -> History:
    return History(events=history.events)


def ours(history: WorkflowHistory) -> list[Payload]:
    """The payloads banjian's converter wrote: not the SDK's own patch markers and their
    search attribute, which name the workflow's patches only, nor the search attribute a case
    starts with (its center's code: the server indexes it, so it stays in clear)."""
    sdk = {
        EventType.EVENT_TYPE_MARKER_RECORDED,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    }
    found = [p for e in history.events if e.event_type not in sdk for p in payloads(e) if p.data]
    return [p for p in found if p.metadata.get("type") != b"Keyword"]


def in_clear(history: WorkflowHistory, *values: str) -> list[str]:
    """The values found anywhere in the history's bytes: payloads, failures, identities, ids."""
    raw_bytes = raw(history).SerializeToString()
    return [v for v in values if v.encode() in raw_bytes]


async def test_a_raw_history_read_without_the_codec_holds_no_name_id_number_or_phone(
    api: Api, dev_server: tuple[object, Client, str]
) -> None:
    h = api.auth("mz-a")
    required = required_materials(api, "MZ-001")
    body = new_case(materials=required[1:])
    body["applicant"]["name"] = NAME
    r = await api.http.post("/cases", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]
    steps = [
        ("request-materials", {"missing": required[:1], "note": "缺身份证复印件"}),
        ("supply-materials", {"materials": required[:1]}),
        ("start-review", {}),
        ("complete", {"outcome": "approved", "note": "符合条件"}),
    ]
    for action, step in steps:
        r = await api.http.post(f"/cases/{cid}/{action}", json=step, headers=h)
        assert r.status_code == 200, r.text
    await projected(api, cid, r.json()["last_seq"])
    address = api.ctx.client.service_client.config.target_host

    plain = await Client.connect(address)  # the default converter: no codec, no keys
    history = await plain.get_workflow_handle(case_workflow_id("SFZ", cid)).fetch_history()
    assert in_clear(history, NAME, ID_NUMBER, PHONE) == []
    carried = ours(history)
    assert len(carried) > 10, carried
    assert [dict(p.metadata) for p in carried if p.metadata["encoding"] != ENCODING] == []
    assert {p.metadata[KEY_ID] for p in carried} == {PAYLOAD_KEYS.current.encode()}

    # What the check above looks for is there, once decrypted.
    started = history.events[0].workflow_execution_started_event_attributes
    (inp,) = await api.ctx.client.data_converter.decode(started.input.payloads, [CaseInput])
    assert (inp.applicant.name, inp.applicant.id_number, inp.applicant.phone) == (
        NAME,
        ID_NUMBER,
        PHONE,
    )


async def test_after_a_rotation_old_histories_still_replay_and_a_ring_without_their_key_fails(
    center: Center,
) -> None:
    before = await center.start()
    await center.close(before)
    await center.projected(before)
    await archive_pending(center.client, center.pool)
    rotated = KeyRing("k-next", {**KeyRing.generate("k-next").keys, **PAYLOAD_KEYS.keys})
    client = await connect(center.address, "default", rotated)

    report = await replay_case(client, center.pool, before.id, TZ)
    assert report.replay_ok and report.consistent, report.as_text()
    entry = await archive_entry(center.pool, before.id)
    assert entry is not None
    archived = WorkflowHistory.from_json(before.id, entry.history)
    record = await decode(before.id, archived, client.data_converter)
    assert record.events[-1].type == "case.completed"

    # A worker on the rotated ring writes under the new key only.
    queue = center.queue + "-rotated"
    db = LazyPool(center.dsn)
    try:
        async with build_worker(client, queue, db, TIMEZONE):
            inp = case_input()
            after = await client.start_workflow(
                CaseWorkflow.run, inp, id=inp.case_id, task_queue=queue
            )
            await after.execute_update("intake", result_type=CaseState)
            history = await after.fetch_history()
    finally:
        await db.close()
    carried = ours(history)
    assert {p.metadata[KEY_ID] for p in carried} == {b"k-next"}

    without_old = KeyRing("k-next", {"k-next": rotated.keys["k-next"]})
    forgetful = await connect(center.address, "default", without_old)
    with pytest.raises(PayloadDecryptionError, match=f"key '{PAYLOAD_KEYS.current}'"):
        await replay_case(forgetful, center.pool, before.id, TZ)
    code, err = await replay_command(center, without_old, before.id)
    assert code == 1
    assert f"error: payload encrypted with key '{PAYLOAD_KEYS.current}'" in err
    assert "Traceback" not in err


async def replay_command(center: Center, keys: KeyRing, case_id: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "BANJIAN_DATABASE_URL": center.dsn,
        "BANJIAN_TEMPORAL_ADDRESS": center.address,
        "BANJIAN_PAYLOAD_KEYS": keys.text(),
        "BANJIAN_LOG_LEVEL": "warning",
    }
    proc = await asyncio.create_subprocess_exec(
        BANJIAN, "replay", case_id, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode()
