"""Payload encryption: what leaves a client is sealed under the current key, and opens again."""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from privacy import KeyRing, PayloadDecryptionError, PayloadEncryption, encrypted_converter
from privacy.codec import ENCODING, KEY_ID, type_adapter
from workflows.model import Applicant

APPLICANT = Applicant(name="王小明", id_number="11010519491231002X", phone="13912345678")


def personal_bytes() -> list[bytes]:
    return [APPLICANT.name.encode(), APPLICANT.id_number.encode(), APPLICANT.phone.encode()]


async def test_an_encoded_payload_names_its_key_and_holds_nothing_in_clear() -> None:
    keys = KeyRing.generate("k1")
    converter = encrypted_converter(keys)
    [payload] = await converter.encode([APPLICANT])
    assert payload.metadata["encoding"] == ENCODING
    assert payload.metadata[KEY_ID] == b"k1"
    assert set(payload.metadata) == {"encoding", KEY_ID}  # not even the plain payload's type
    sealed = payload.SerializeToString()
    assert not [b for b in personal_bytes() if b in sealed]
    [plain] = pydantic_data_converter.payload_converter.to_payloads([APPLICANT])
    assert all(b in plain.data for b in personal_bytes())  # what the check above would catch
    assert await converter.decode([payload], [Applicant]) == [APPLICANT]


async def test_the_same_value_never_encrypts_to_the_same_bytes() -> None:
    converter = encrypted_converter(KeyRing.generate())
    first, second = await converter.encode([APPLICANT, APPLICANT])
    assert first.data != second.data


async def test_payloads_without_the_encryption_marker_pass_through_unchanged() -> None:
    codec = PayloadEncryption(KeyRing.generate())
    [plain] = pydantic_data_converter.payload_converter.to_payloads([APPLICANT])
    assert await codec.decode([plain]) == [plain]


async def test_after_a_rotation_the_new_key_encrypts_and_the_old_one_still_decrypts() -> None:
    old = KeyRing.generate("k1")
    [before] = await encrypted_converter(old).encode([APPLICANT])
    new_key = KeyRing.generate("k2")
    rotated = KeyRing("k2", {**new_key.keys, **old.keys})
    converter = encrypted_converter(rotated)
    [after] = await converter.encode([APPLICANT])
    assert after.metadata[KEY_ID] == b"k2"
    assert await converter.decode([before, after], [Applicant, Applicant]) == [APPLICANT] * 2


async def test_a_ring_without_the_payloads_key_fails_naming_the_key_only() -> None:
    [sealed] = await encrypted_converter(KeyRing.generate("k1")).encode([APPLICANT])
    with pytest.raises(PayloadDecryptionError, match="key 'k1', which is not in the key ring"):
        await PayloadEncryption(KeyRing.generate("k2")).decode([sealed])


async def test_a_payload_altered_or_relabelled_does_not_open() -> None:
    one, other = KeyRing.generate("k1"), KeyRing.generate("k2")
    ring = KeyRing("k1", {**one.keys, **other.keys})
    codec = PayloadEncryption(ring)
    [sealed] = await codec.encode([Payload(data=b"x")])
    altered = Payload()
    altered.CopyFrom(sealed)
    altered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    relabelled = Payload()
    relabelled.CopyFrom(sealed)
    relabelled.metadata[KEY_ID] = b"k2"
    for bad in (altered, relabelled):
        with pytest.raises(PayloadDecryptionError, match="does not decrypt"):
            await codec.decode([bad])


async def test_every_converter_of_the_process_reads_with_the_same_type_adapters() -> None:
    # The SDK makes a data converter, and with it a payload converter, for each workflow and
    # activity: a new one reads a type it has not seen with the adapter built before.
    first = encrypted_converter(KeyRing.generate("k1"))
    [payload] = await first.encode([APPLICANT])
    assert await first.decode([payload], [Applicant]) == [APPLICANT]
    built, hits = type_adapter.cache_info().misses, type_adapter.cache_info().hits
    for _ in range(3):
        again = dataclasses.replace(first)
        assert again.payload_converter is not first.payload_converter
        assert await again.decode([payload], [Applicant]) == [APPLICANT]
    assert type_adapter.cache_info().misses == built
    assert type_adapter.cache_info().hits == hits + 3
