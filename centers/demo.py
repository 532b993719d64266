"""The demo center: windows, staff and a catalog of services, loaded by ``banjian run`` on first
start and by ``banjian demo load``."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def demo_center() -> dict[str, Any]:
    text = resources.files("centers").joinpath("demo_center.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
