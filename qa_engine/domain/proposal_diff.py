"""Field-by-field comparison of two proposals in the JSON format: every leaf that differs, by its path.

Paths are written like the format's error messages (`learning_outcomes[2].text`). A row added or
removed is one change whose other side is `MISSING`, which is distinct from a field set to null.
Values compare strictly: `1` differs from `1.0` and from `true`, so applying the changes to the old
document gives exactly the new one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


class _Missing:
    """No value at this path on this side."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


@dataclass(frozen=True)
class Change:
    """One difference: the value at `path` was `old` and is `new` (either may be MISSING)."""

    path: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        """"added", "removed" or "changed"."""
        if self.old is MISSING:
            return "added"
        return "removed" if self.new is MISSING else "changed"


def proposal_diff(a: Any, b: Any) -> list[Change]:
    """Every difference between the documents `a` and `b`, leaf by leaf, in document order."""
    changes: list[Change] = []
    _diff(a, b, "", changes)
    return changes


def same(a: Any, b: Any) -> bool:
    """Strict equality: equal values of the same JSON type, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (a is b)


def _diff(a: Any, b: Any, path: str, changes: list[Change]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(a) + [key for key in b if key not in a]
        for key in keys:
            _diff(a.get(key, MISSING), b.get(key, MISSING), f"{path}.{key}" if path else str(key), changes)
    elif isinstance(a, list) and isinstance(b, list):
        for index in range(max(len(a), len(b))):
            old = a[index] if index < len(a) else MISSING
            new = b[index] if index < len(b) else MISSING
            _diff(old, new, f"{path}[{index}]", changes)
    elif not same(a, b):
        # A leaf, values of different kinds, or a whole row or field added or removed.
        changes.append(Change(path, a, b))
