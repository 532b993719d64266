"""The key ring as written in the setting and the key file, and the embedded stack's key file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from privacy import KeyRing, KeyRingError, load_key_file


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_the_first_key_listed_is_the_current_one() -> None:
    k2, k1 = b"\x02" * 32, b"\x01" * 32
    ring = KeyRing.parse(f"k2:{b64(k2)}, k1:{b64(k1)}")
    assert ring.current == "k2"
    assert dict(ring.keys) == {"k2": k2, "k1": k1}
    assert KeyRing.parse(ring.text()) == ring
    url_safe = base64.urlsafe_b64encode(k1).decode()
    assert KeyRing.parse(f"k1:{url_safe}\n").keys["k1"] == k1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        (b64(b"\x01" * 32), "without its id"),
        ("k1:not-base64!", "not valid base64"),
        (f"k1:{b64(b'short')}", "needs 32"),
        (f"k1:{b64(b'x' * 32)},k1:{b64(b'y' * 32)}", "listed twice"),
        (f"k 1:{b64(b'x' * 32)}", "without its id"),
    ],
)
def test_a_bad_ring_is_refused_without_showing_a_key(text: str, says: str) -> None:
    with pytest.raises(KeyRingError, match=says) as refused:
        KeyRing.parse(text)
    assert b64(b"\x01" * 32) not in str(refused.value)
    assert b64(b"x" * 32) not in str(refused.value)


def test_a_ring_never_shows_its_keys_in_its_repr() -> None:
    ring = KeyRing.generate("k1")
    assert b64(ring.keys["k1"]) not in repr(ring) and str(ring.keys["k1"]) not in repr(ring)


def test_the_key_file_is_generated_once_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "payload-keys"
    first = load_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["payload-keys"]  # no draft left behind


def test_a_key_file_edited_for_a_rotation_is_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "payload-keys"
    old = load_key_file(path)
    path.write_text(f"k-new:{b64(b'n' * 32)}\n{old.text()}\n")
    ring = load_key_file(path)
    assert ring.current == "k-new" and ring.keys[old.current] == old.keys[old.current]
