"""A center is a file: one YAML document describing the center, its windows, staff, ladder,
alert channels and catalog of service items, checked whole before anything is changed.

``read_center_file`` parses and validates; an error names the file, the line and the field
(``center.yaml:42: services[3].promised_days: ...``), every error at once. What applying it
would change is ``plan``'s answer (``projections.center_file`` compares and writes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from projections.center import PolicyError, clock_policy
from workdays.calendar import OfficeHours

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rung(_Strict):
    level: Literal["director", "discipline"]
    after_days: Annotated[int, Field(ge=0, le=60)]


class ClockPolicyIn(_Strict):
    warn_days: Annotated[int, Field(ge=0, le=30)] | None = None
    ladder: list[Rung] | None = None
    on_supply: Literal["pause", "restart"] | None = None
    signoff_days: Annotated[int, Field(ge=1, le=60)] | None = None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class CenterInfo(_Strict):
    code: Code
    name: Text
    timezone: str = "Asia/Shanghai"
    office_hours: str = "08:30-11:30,14:30-17:30"
    notify_outside_office_hours: bool = False
    clock_policy: ClockPolicyIn = ClockPolicyIn()


class Window(_Strict):
    code: Code
    name: Text


class Staff(_Strict):
    id: Code
    name: Text
    role: Literal["clerk", "window_head", "director", "ops", "discipline", "province"]
    window: Code | None = None
    post: Literal["A", "B"] | None = None


class Channel(_Strict):
    level: Literal["window_head", "director", "discipline"]
    kind: Literal["webhook", "wecom", "dingtalk"]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    secret: str | None = None


class MaterialIn(_Strict):
    code: Code
    name: Text
    required: bool = True


class Fee(_Strict):
    name: Text
    amount_yuan: Annotated[float, Field(ge=0)]
    basis: str = ""


class Service(_Strict):
    code: Code
    name: Text
    window: Code
    kind: Literal["immediate", "promised", "joint", "upward", "orphan"]
    promised_days: Annotated[int, Field(ge=0, le=365)]
    legal_days: Annotated[int, Field(ge=0, le=365)]
    legal_basis: str = ""
    materials: list[MaterialIn] = []
    departments: list[Code] = []
    fees: list[Fee] = []
    clock_policy: ClockPolicyIn = ClockPolicyIn()


class CenterFile(_Strict):
    center: CenterInfo
    windows: list[Window]
    staff: list[Staff]
    channels: list[Channel] = []
    services: list[Service]

    def as_center(self) -> dict[str, Any]:
        """The description in the shape ``projections.center.load_center`` writes."""
        data = self.model_dump(mode="json")
        data["center"]["clock_policy"] = self.center.clock_policy.as_json()
        for service, model in zip(data["services"], self.services, strict=True):
            service["clock_policy"] = model.clock_policy.as_json()
        return data


class CenterFileError(ValueError):
    """A center file that cannot be applied: every problem, each with its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_center_file(path: Path) -> CenterFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CenterFileError([f"{path}: cannot be read: {err}"]) from None
    return parse_center(text, str(path))


def parse_center(text: str, name: str = "<center>") -> CenterFile:
    """The center the YAML ``text`` describes, checked whole."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise CenterFileError([f"{name}{line}: not valid YAML: {problem}"]) from None
    if not isinstance(raw, dict) or node is None:
        raise CenterFileError(
            [f"{name}:1: a center file is a mapping with center, windows, staff and services"]
        )
    try:
        center = CenterFile.model_validate(raw)
    except ValidationError as err:
        problems = [
            f"{name}:{_line(node, e['loc'])}: {_path(e['loc'])}: {e['msg']}"
            for e in err.errors(include_url=False)
        ]
        raise CenterFileError(problems) from None
    problems = [f"{name}:{_line(node, loc)}: {_path(loc)}: {msg}" for loc, msg in _check(center)]
    if problems:
        raise CenterFileError(problems)
    return center


Loc = tuple[str | int, ...]


def _check(c: CenterFile) -> list[tuple[Loc, str]]:
    """What the models alone cannot see: references, duplicates, the calendar, the policies."""
    found: list[tuple[Loc, str]] = []
    try:
        OfficeHours.parse(c.center.office_hours, c.center.timezone)
    except ValueError as err:
        found.append((("center", "office_hours"), str(err)))
    try:
        base = clock_policy(c.center.clock_policy.as_json())
    except PolicyError as err:
        found.append((("center", "clock_policy"), str(err)))
        base = None
    for field, items, key in (
        ("windows", c.windows, "code"),
        ("staff", c.staff, "id"),
        ("services", c.services, "code"),
    ):
        seen: set[str] = set()
        for i, item in enumerate(items):
            value = getattr(item, key)
            if value in seen:
                found.append(((field, i, key), f"{value!r} appears more than once"))
            seen.add(value)
    windows = {w.code for w in c.windows}
    for i, s in enumerate(c.staff):
        if s.window is not None and s.window not in windows:
            found.append((("staff", i, "window"), f"no window {s.window!r} in this file"))
        if s.role in ("clerk", "window_head") and s.window is None:
            found.append((("staff", i, "window"), f"a {s.role} belongs to a window"))
    for i, svc in enumerate(c.services):
        if svc.window not in windows:
            found.append((("services", i, "window"), f"no window {svc.window!r} in this file"))
        for j, dept in enumerate(svc.departments):
            if dept not in windows:
                found.append((("services", i, "departments", j), f"no window {dept!r}"))
        if svc.kind == "joint" and not svc.departments:
            found.append((("services", i, "departments"), "a joint item names its departments"))
        if svc.kind == "immediate" and svc.promised_days != 0:
            found.append((("services", i, "promised_days"), "an immediate item has 0 days"))
        if svc.kind not in ("immediate", "orphan") and svc.promised_days < 1:
            found.append((("services", i, "promised_days"), "a limit of 1 working day or more"))
        if svc.legal_days and svc.promised_days > svc.legal_days:
            found.append(
                (("services", i, "promised_days"), "the promised limit exceeds the legal one")
            )
        codes = [m.code for m in svc.materials]
        for j, code in enumerate(codes):
            if code in codes[:j]:
                found.append((("services", i, "materials", j, "code"), f"{code!r} twice"))
        if base is not None:
            try:
                clock_policy(svc.clock_policy.as_json(), base)
            except PolicyError as err:
                found.append((("services", i, "clock_policy"), str(err)))
    return found


def _path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line(node: yaml.Node, loc: Loc) -> int:
    """The line of the deepest node the location reaches (1-based)."""
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1
