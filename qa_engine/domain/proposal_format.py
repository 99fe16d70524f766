"""The JSON codec behind the proposal format: frozen dataclasses to and from plain JSON values.

Driven by the dataclasses' type hints, so the format cannot drift from the model. Decoding is
strict (unknown fields and wrong types are errors, each named by its path) but lenient about
absence: a missing field takes its default, because drafts are saved half-filled.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ProposalFormatError(ValueError):
    """A proposal document does not follow the format; `errors` name every bad field by path."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def decode(kind: Any, value: Any, path: str, errors: list[str]) -> Any:
    """Turn the JSON `value` into an instance of `kind`, appending `path: problem` to `errors`."""
    if dataclasses.is_dataclass(kind):
        return _decode_dataclass(kind, value, path, errors)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        inner = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        return None if value is None else decode(inner, value, path, errors)
    if origin is tuple:
        return _decode_tuple(typing.get_args(kind)[0], value, path, errors)
    return _decode_scalar(kind, value, path, errors)


def encode(value: Any) -> Any:
    """Turn a dataclass instance (or any value inside one) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [encode(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    # Whole numbers read better as 6 than 6.0 and decode to the same float.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@cache
def field_types(kind: type) -> dict[str, Any]:
    """The resolved type of each field of the dataclass `kind`."""
    return typing.get_type_hints(kind)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _decode_dataclass(kind: type, value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, dict):
        errors.append(f"{path or '(document)'}: must be an object")
        return kind()
    hints = field_types(kind)
    errors.extend(f"{_join(path, key)}: unknown field" for key in value if key not in hints)
    values = {}
    for spec in dataclasses.fields(kind):
        if spec.name in value:
            field_path = _join(path, spec.name)
            decoded = decode(hints[spec.name], value[spec.name], field_path, errors)
            _check_bounds(spec, decoded, field_path, errors)
            values[spec.name] = decoded
    return kind(**values)


def _decode_tuple(item_kind: Any, value: Any, path: str, errors: list[str]) -> tuple[Any, ...]:
    if not isinstance(value, list):
        errors.append(f"{path}: must be a list")
        return ()
    return tuple(decode(item_kind, item, f"{path}[{index}]", errors) for index, item in enumerate(value))


def _decode_scalar(kind: Any, value: Any, path: str, errors: list[str]) -> Any:
    if kind is str:
        return value if isinstance(value, str) else _bad(errors, path, "must be a string", "")
    if kind is bool:
        return value if isinstance(value, bool) else _bad(errors, path, "must be true or false", None)
    # bool is an int in Python but not a number in the format.
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return value if ok else _bad(errors, path, "must be a whole number", None)
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if ok else _bad(errors, path, "must be a number", None)
    if kind is date:
        return _decode_date(value, path, errors)
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        allowed = [member.value for member in kind]
        if value in allowed:
            return kind(value)
        return _bad(errors, path, f"must be one of {', '.join(allowed)}", None)
    raise TypeError(f"no decoder for {kind!r} at {path}")


def _decode_date(value: Any, path: str, errors: list[str]) -> date | None:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"{path}: must be a date written YYYY-MM-DD")
    return None


def _check_bounds(spec: dataclasses.Field[Any], value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    low, high = spec.metadata.get("minimum", 0), spec.metadata.get("maximum")
    if value < low or (high is not None and value > high):
        errors.append(f"{path}: must be {f'from {low} to {high}' if high is not None else f'at least {low}'}")


def _bad(errors: list[str], path: str, message: str, placeholder: Any) -> Any:
    errors.append(f"{path}: {message}")
    return placeholder
