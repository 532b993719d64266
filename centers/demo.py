"""The demo center, a center file like any other: applied by ``banjian run`` on first start and
by ``banjian demo load``."""

from __future__ import annotations

from importlib import resources
from typing import Any

from centers.file import CenterFile, parse_center

DEMO_FILE = "demo_center.yaml"


def demo_center_file() -> CenterFile:
    text = resources.files("centers").joinpath(DEMO_FILE).read_text(encoding="utf-8")
    return parse_center(text, f"centers/{DEMO_FILE}")


def demo_center() -> dict[str, Any]:
    """The demo center's description as plain data."""
    return demo_center_file().as_center()
