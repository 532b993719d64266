"""The demo centers, center files like any other: the first is applied by ``banjian run`` on first
start and by ``banjian demo load``; the sandbox starts with both (``demo_center_2.yaml``, a second
center on the same deployment)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from centers.file import CenterFile, parse_center

DEMO_FILE = "demo_center.yaml"
SECOND_DEMO_FILE = "demo_center_2.yaml"


def _packaged(name: str) -> CenterFile:
    text = resources.files("centers").joinpath(name).read_text(encoding="utf-8")
    return parse_center(text, f"centers/{name}")


def demo_center_file() -> CenterFile:
    return _packaged(DEMO_FILE)


def sandbox_center_files() -> list[CenterFile]:
    """The sandbox's centers: the demo center and a second one."""
    return [_packaged(DEMO_FILE), _packaged(SECOND_DEMO_FILE)]


def demo_center() -> dict[str, Any]:
    """The demo center's description as plain data."""
    return demo_center_file().as_center()
