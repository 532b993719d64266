"""How a domain event is written into an ``Event``'s data, and read back from it.

An event type (``workflows.events``) is a frozen dataclass; its data is its fields in
their order, as JSON values: instants as ISO 8601 text, enumerations as their values,
the clock policy as the case received it. A field whose metadata is ``LEFT_OUT`` is not
written while it holds its default, as the workflow always left that key out; reading
gives it back. Reading checks every field against its type and ignores keys it does not know.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from workflows.model import AlertLevel, ClockPolicy, Rung, Supply

# A field's metadata: its key is left out of the data while it holds its default.
LEFT_OUT: Mapping[str, bool] = {"left_out_at_default": True}


class MalformedEvent(ValueError):
    """Stored data that does not read as its event type. The message names the type and
    the field, never the value, which may be an applicant's."""


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Something that happened to a case, named in the past tense, with its version."""

    TYPE: ClassVar[str]
    # The version of this type's data; an older one is upcast when read (``workflows.upcasters``).
    VERSION: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not (f.metadata == LEFT_OUT and value == f.default):
                data[f.name] = _written(value)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The event from data of this type's current version."""
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = _read(hints[f.name], data[f.name], f"{cls.TYPE}.{f.name}")
            elif f.default is dataclasses.MISSING:
                raise MalformedEvent(f"{cls.TYPE} without {f.name}")
        return cls(**values)


_HINTS: dict[type[DomainEvent], dict[str, Any]] = {}


def _hints(cls: type[DomainEvent]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _written(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, ClockPolicy):
        return {
            "warn_days": value.warn_days,
            "ladder": [[r.level.value, r.after_days] for r in value.ladder],
            "on_supply": value.on_supply.value,
            "signoff_days": value.signoff_days,
        }
    if isinstance(value, list):
        return [_written(v) for v in value]
    if isinstance(value, dict):
        return {k: _written(v) for k, v in value.items()}
    return value


def _read(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    try:
        if origin in (Union, UnionType):
            if value is None and NoneType in get_args(hint):
                return None
            (inner,) = (a for a in get_args(hint) if a is not NoneType)
            return _read(inner, value, where)
        if origin is list and isinstance(value, list):
            (item,) = get_args(hint)
            return [_read(item, v, where) for v in value]
        if origin is dict and isinstance(value, dict):
            _, item = get_args(hint)
            return {str(k): _read(item, v, where) for k, v in value.items()}
        if hint is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if isinstance(hint, type) and issubclass(hint, Enum):
            return hint(value)
        if hint is ClockPolicy and isinstance(value, dict):
            return ClockPolicy(
                warn_days=int(value["warn_days"]),
                ladder=[Rung(AlertLevel(level), int(days)) for level, days in value["ladder"]],
                on_supply=Supply(value["on_supply"]),
                signoff_days=int(value["signoff_days"]),
            )
        if hint in (str, int, bool) and isinstance(value, hint):
            return value
    except (ValueError, TypeError, KeyError) as err:
        raise MalformedEvent(f"{where} does not read as {_name(hint)}") from err
    raise MalformedEvent(f"{where} does not read as {_name(hint)}")


def _name(hint: Any) -> str:
    return str(getattr(hint, "__name__", hint))
