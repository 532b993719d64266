"""Temporal payloads encrypted with AES-256-GCM, so a history holds no applicant's data in clear.

Every payload a client or worker sends (a case's input, the updates' arguments
and answers, the activities' batches of events, query answers, failures'
messages) leaves as one encrypted payload whose metadata names its key; the
Temporal server, its UI and anyone reading its database see only that. A
payload without the encryption marker passes through as it is: the histories
recorded before encryption, and the archive's copies of them, still read.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    PayloadCodec,
)

from privacy.keys import KeyRing

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class PayloadDecryptionError(RuntimeError):
    """An encrypted payload that this key ring cannot open; names the key, never the data."""


class PayloadEncryption(PayloadCodec):
    """Encrypts with the ring's current key; decrypts with whichever key a payload names."""

    def __init__(self, keys: KeyRing) -> None:
        self._current = keys.current
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(p) if p.metadata.get("encoding") == ENCODING else p for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        key_id = self._current
        nonce = os.urandom(_NONCE_BYTES)
        # The key id is authenticated too: a payload relabelled with another key does not open.
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed
        )

    def _decrypt(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with key {key_id!r}, which is not in the key ring"
                f" (keys: {', '.join(sorted(self._ciphers))}); add it back to BANJIAN_PAYLOAD_KEYS"
                " or the data folder's payload-keys file"
            )
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} does not decrypt: altered, or another key"
                " given the same id"
            ) from None
        return Payload.FromString(plain)


@functools.lru_cache(maxsize=1024)
def type_adapter(hint: Any) -> TypeAdapter[Any]:
    """The process's one pydantic adapter for a type. The SDK makes a new payload converter
    for every workflow it runs, every activity and every serialization context; with an
    adapter cache of its own, each built the adapters of the same few types again, which was
    most of the time a worker spent converting payloads."""
    return TypeAdapter(hint)


class SharedAdaptersJSON(PydanticJSONPlainPayloadConverter):
    """Pydantic's JSON payloads, read with the process's adapters (``type_adapter``)."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint: Any = Any if type_hint is None else type_hint
        try:
            hash(hint)
        except TypeError:  # an unhashable hint cannot be cached: its own adapter
            return TypeAdapter(hint).validate_json(payload.data)
        return type_adapter(hint).validate_json(payload.data)


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default encodings, with JSON done by pydantic (``SharedAdaptersJSON``)."""

    def __init__(self) -> None:
        json = SharedAdaptersJSON()
        super().__init__(
            *(
                json if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


def encrypted_converter(keys: KeyRing) -> DataConverter:
    """banjian's data converter (pydantic) with payloads and failure messages encrypted."""
    return DataConverter(
        payload_converter_class=PayloadConverter,
        payload_codec=PayloadEncryption(keys),
        # Without it a failure's message and stack trace stay in clear in the history.
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
