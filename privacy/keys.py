"""The key ring of Temporal payloads: one current key that encrypts, older keys that still decrypt.

A ring is written as ``id:key`` items, the current key first, separated by commas
or new lines; each key is 32 random bytes (AES-256) in base64. Rotating means
putting a new item in front and keeping the old ones for as long as histories
encrypted with them are read (Temporal's retention, and the archive's years).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class KeyRingError(ValueError):
    """A key ring that cannot be used; the message never shows a key."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyRingError(f"the current key {self.current!r} is not in the ring")
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise KeyRingError(f"key id {key_id!r}: letters, digits, '.', '_' or '-' only")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32")

    @classmethod
    def generate(cls, key_id: str | None = None) -> KeyRing:
        """A ring of one new random key."""
        key_id = key_id or new_key_id()
        return cls(key_id, {key_id: secrets.token_bytes(KEY_BYTES)})

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """The ring written as ``id:base64key`` items, current first."""
        keys: dict[str, bytes] = {}
        for item in re.split(r"[,\s]+", text.strip()):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise KeyRingError("a key is listed without its id: write each as id:base64key")
            if key_id in keys:
                raise KeyRingError(f"key id {key_id!r} is listed twice")
            try:
                keys[key_id] = base64.b64decode(encoded, altchars=b"-_", validate=True)
            except binascii.Error:
                raise KeyRingError(f"key {key_id!r} is not valid base64") from None
        if not keys:
            raise KeyRingError("the key ring is empty")
        return cls(next(iter(keys)), keys)

    def text(self) -> str:
        """The ring as it is written in the setting or the key file, current first."""
        ordered = [self.current, *(k for k in self.keys if k != self.current)]
        return "\n".join(f"{k}:{base64.b64encode(self.keys[k]).decode()}" for k in ordered)


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def load_key_file(path: Path) -> KeyRing:
    """The ring in ``path``; a new one written there first (mode 0600) if there is none yet.

    The file is written whole under another name and linked into place, so two
    processes starting at once agree on one key.
    """
    try:
        return KeyRing.parse(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(KeyRing.generate().text() + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: its key holds
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return KeyRing.parse(path.read_text(encoding="ascii"))
