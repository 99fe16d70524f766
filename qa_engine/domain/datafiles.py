"""Strict reading of TOML data files: typed getters, unknown keys, every error with its file and field."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_MISSING = object()
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class DataFileError(Exception):
    """One or more data files are invalid; `errors` lists every problem as `file: field: message`."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class Problems:
    """The errors found in one file, each prefixed with the file name and the field path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []

    def add(self, field: str, message: str) -> None:
        """Record `message` against `field` (a dotted/indexed path; empty for the whole file)."""
        self.errors.append(f"{self.source}: {field}: {message}" if field else f"{self.source}: {message}")


def read_toml(path: Path, problems: Problems) -> tuple[dict[str, Any], bytes] | None:
    """Parse `path`; on failure record the error and return None."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.add("", f"cannot be read ({exc.strerror or exc})")
        return None
    try:
        return tomllib.loads(raw.decode("utf-8")), raw
    except UnicodeDecodeError:
        problems.add("", "is not UTF-8 text")
    except tomllib.TOMLDecodeError as exc:
        problems.add("", f"invalid TOML: {exc}")
    return None


def join(path: str, key: str | int) -> str:
    """The path of `key` in `path`: `criteria[2]` for an index, `criteria[2].weight` or `released."a@1"`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _BARE_KEY.match(key):
        key = f'"{key}"'
    return f"{path}.{key}" if path else key


class Table:
    """A strict view of one TOML table: getters record type errors; `close()` reports keys nobody read."""

    def __init__(self, data: dict[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self._seen: set[str] = set()

    def field(self, key: str) -> str:
        """The full path of `key` in this table, for error messages."""
        return join(self.path, key)

    def error(self, key: str, message: str) -> None:
        """Record an error against `key` of this table."""
        self.problems.add(self.field(key), message)

    def _get(self, key: str, required: bool) -> Any:
        self._seen.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING and required:
            self.error(key, "is required")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        """A non-empty string; required unless `default` is given."""
        value = self._get(key, default is None)
        if value is _MISSING:
            return default or ""
        if not isinstance(value, str):
            self.error(key, "must be a string")
            return ""
        if not value.strip() and default is None:
            self.error(key, "must not be empty")
        return value.strip()

    def integer(self, key: str, default: int | None = None) -> int | None:
        """An integer; required unless `default` is given; None when invalid or absent without default."""
        value = self._get(key, default is None)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, "must be an integer")
            return None
        return value

    def optional_integer(self, key: str) -> int | None:
        """An integer if the key is present, else None."""
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, "must be an integer")
            return None
        return value

    def number(self, key: str, default: float | None = None) -> float | None:
        """An integer or float as float; required unless `default` is given."""
        value = self._get(key, default is None)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(key, "must be a number")
            return None
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        """true or false; `default` when absent."""
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.error(key, "must be true or false")
            return default
        return value

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty strings; empty when absent."""
        value = self._get(key, required)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, "must be a list of non-empty strings")
            return ()
        return tuple(v.strip() for v in value)

    def integers(self, key: str, required: bool = False) -> tuple[int, ...]:
        """A list of integers; empty when absent."""
        value = self._get(key, required)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            self.error(key, "must be a list of integers")
            return ()
        return tuple(value)

    def numbers(self, key: str, required: bool = False) -> tuple[float, ...]:
        """A list of numbers as floats; empty when absent or invalid."""
        value = self._get(key, required)
        if value is _MISSING:
            return ()
        if not isinstance(value, list) or not all(_is_number(v) for v in value):
            self.error(key, "must be a list of numbers")
            return ()
        return tuple(float(v) for v in value)

    def table(self, key: str, required: bool = False) -> Table | None:
        """A sub-table, or None when absent or not a table."""
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.error(key, "must be a table")
            return None
        return Table(value, self.field(key), self.problems)

    def tables(self, key: str, required: bool = False) -> list[Table]:
        """An array of tables (`[[key]]` or a list of inline tables); required ones must not be empty."""
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error(key, "must be an array of tables")
            return []
        if required and not value:
            self.error(key, "must not be empty")
        return [Table(v, join(self.field(key), i), self.problems) for i, v in enumerate(value)]

    def close(self) -> None:
        """Report every key of this table that no getter asked for: a typo must never pass silently."""
        for key in self.data:
            if key not in self._seen:
                self.error(key, "unknown key")


def flag_duplicates(tables: list[Table], key: str, values: list[str]) -> None:
    """Record an error on each table whose `key` repeats a value of an earlier table."""
    seen: set[str] = set()
    for table, value in zip(tables, values, strict=True):
        if value and value in seen:
            table.error(key, f"duplicate {key} {value!r}")
        seen.add(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
