"""Load and validate rubric files, check them against the lock of released versions, and look them up."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa_engine.domain.datafiles import DataFileError, Problems, Table, read_toml
from qa_engine.domain.frameworks import FrameworkSet
from qa_engine.domain.rubric_model import (
    CapRule,
    Criterion,
    Dimension,
    OutcomeRules,
    Rubric,
    Scale,
    ScaleLevel,
    Threshold,
)
from qa_engine.domain.rubric_parser import parse_rubric

__all__ = [
    "CapRule", "Criterion", "Dimension", "OutcomeRules", "Rubric", "Scale", "ScaleLevel", "Threshold",
    "LOCK_FILE", "LockEntry", "RubricRegistry", "check_paths", "load_rubrics", "lock_text", "parse_key",
    "read_lock", "rubric_files",
]

LOCK_FILE = "rubrics.lock"
_KEY = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)@([1-9][0-9]*)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class LockEntry:
    """A released rubric version: its key, file name and the SHA-256 of the file's bytes."""

    key: str
    file: str
    sha256: str


class RubricRegistry:
    """Every loaded rubric version, by id and version."""

    def __init__(self, rubrics: Iterable[Rubric]) -> None:
        ordered = sorted(rubrics, key=lambda rubric: (rubric.id, rubric.version))
        self._by_key = {rubric.key: rubric for rubric in ordered}

    def get(self, rubric_id: str, version: str | int | None = None) -> Rubric:
        """The rubric `rubric_id` at `version` (None: the latest).

        :raises KeyError: with a message naming the known versions.
        """
        versions = [rubric for rubric in self._by_key.values() if rubric.id == rubric_id]
        if not versions:
            known = ", ".join(sorted({rubric.id for rubric in self._by_key.values()})) or "none"
            raise KeyError(f"unknown rubric {rubric_id!r}; known rubrics: {known}")
        if version is None:
            return versions[-1]
        text = str(version).removeprefix("v")
        for rubric in versions:
            if str(rubric.version) == text:
                return rubric
        known = ", ".join(rubric.key for rubric in versions)
        raise KeyError(f"rubric {rubric_id!r} has no version {version!r}; known versions: {known}")

    def all(self) -> list[Rubric]:
        """Every version of every rubric, by id then version."""
        return list(self._by_key.values())

    def latest(self) -> list[Rubric]:
        """The latest version of each rubric, by id."""
        latest: dict[str, Rubric] = {}
        for rubric in self._by_key.values():
            latest[rubric.id] = rubric
        return list(latest.values())

    def __len__(self) -> int:
        return len(self._by_key)


def parse_key(text: str) -> tuple[str, int | None]:
    """Split `ID` or `ID@VERSION` into the id and the version (None when absent).

    :raises ValueError: when the version is not a positive integer.
    """
    rubric_id, sep, version = text.partition("@")
    if not sep:
        return rubric_id, None
    version = version.removeprefix("v")
    if not version.isdigit() or int(version) < 1:
        raise ValueError(f"{text!r}: the version after '@' must be a positive integer")
    return rubric_id, int(version)


def load_rubrics(directory: Path, frameworks: FrameworkSet) -> RubricRegistry:
    """Load every `*.toml` rubric in `directory`, checked against `rubrics.lock` when there is one.

    :raises DataFileError: listing every error of every file.
    """
    rubrics, errors = _load([directory], frameworks)
    if errors:
        raise DataFileError(errors)
    return RubricRegistry(rubrics)


def check_paths(paths: Sequence[Path], frameworks: FrameworkSet) -> list[str]:
    """Every error in the rubric files at `paths` (files, or directories of `*.toml`); empty if none."""
    return _load(paths, frameworks)[1]


def rubric_files(paths: Sequence[Path]) -> list[Path]:
    """The rubric files `paths` stand for: files as given, directories expanded to their `*.toml`."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return files


def _load(paths: Sequence[Path], frameworks: FrameworkSet) -> tuple[list[Rubric], list[str]]:
    errors: list[str] = []
    rubrics: list[Rubric] = []
    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or directory")
    files = [path for path in rubric_files(paths) if path.exists()]
    locks = {folder: read_lock(folder) for folder in {path.parent for path in files}}
    for _entries, lock_errors in locks.values():
        errors.extend(lock_errors)
    by_key: dict[str, Rubric] = {}
    for path in files:
        problems = Problems(path.name)
        loaded = read_toml(path, problems)
        rubric = parse_rubric(loaded[0], loaded[1], problems, frameworks.references) if loaded else None
        if rubric is not None and rubric.key in by_key:
            problems.add("id", f"{rubric.key} is also defined in {by_key[rubric.key].source}")
        elif rubric is not None:
            entry = locks[path.parent][0].get(rubric.key)
            rubric = _check_release(rubric, entry, problems)
            by_key[rubric.key] = rubric
        errors.extend(problems.errors)
        rubrics.extend([rubric] if rubric is not None and not problems.errors else [])
    for folder in (path for path in paths if path.is_dir()):
        errors.extend(_missing_releases(folder, locks.get(folder, ({}, []))[0]))
    return rubrics, errors


def _check_release(rubric: Rubric, entry: LockEntry | None, problems: Problems) -> Rubric:
    if entry is None:
        return rubric
    if entry.file != rubric.source:
        problems.add("", f"{rubric.key} was released as {entry.file}")
    elif entry.sha256 != rubric.content_hash:
        successor = rubric.version + 1
        problems.add("", f"content differs from the released {rubric.key} "
                         f"(sha256 {rubric.content_hash[:12]}..., released {entry.sha256[:12]}...); "
                         f"a released rubric is never edited: copy it to {rubric.id}-v{successor}.toml "
                         f"with version = {successor}")
    return replace(rubric, released=True)


def _missing_releases(folder: Path, entries: dict[str, LockEntry]) -> list[str]:
    missing = [entry for entry in entries.values() if not (folder / entry.file).is_file()]
    return [f'{LOCK_FILE}: released."{entry.key}": {entry.file} is missing; a release is never removed'
            for entry in missing]


def read_lock(directory: Path) -> tuple[dict[str, LockEntry], list[str]]:
    """The released versions recorded in `directory/rubrics.lock` (none if absent), and its errors."""
    path = directory / LOCK_FILE
    if not path.is_file():
        return {}, []
    problems = Problems(LOCK_FILE)
    loaded = read_toml(path, problems)
    entries: dict[str, LockEntry] = {}
    if loaded is not None:
        root = Table(loaded[0], "", problems)
        released = root.table("released", required=True)
        for key in list(released.data) if released else []:
            entry = _lock_entry(released, key)
            if entry is not None:
                entries[key] = entry
        if released is not None:
            released.close()
        root.close()
    return entries, problems.errors


def _lock_entry(released: Table, key: str) -> LockEntry | None:
    before = len(released.problems.errors)
    table = released.table(key)
    if table is None:
        return None
    match = _KEY.match(key)
    if match is None:
        table.problems.add(table.path, "must be a rubric id and version, like slp-ex-ante@1")
    file, sha256 = table.text("file"), table.text("sha256")
    if match and file and file != f"{match[1]}-v{match[2]}.toml":
        table.error("file", f"must be {match[1]}-v{match[2]}.toml")
    if sha256 and not _SHA256.match(sha256):
        table.error("sha256", "must be 64 lower-case hexadecimal digits")
    table.close()
    return LockEntry(key, file, sha256) if len(table.problems.errors) == before else None


def lock_text(entries: Iterable[LockEntry]) -> str:
    """The canonical content of `rubrics.lock` for `entries`."""
    lines = [
        "# Released rubric versions: the SHA-256 of each released file's bytes.",
        "# A released file is never edited: a change is a new version in a new file.",
        "# Written by `qa-engine rubrics release ID@VERSION`; checked at start-up and by the test suite.",
    ]
    for entry in sorted(entries, key=lambda entry: parse_key(entry.key)):
        lines += ["", f'[released."{entry.key}"]', f'file = "{entry.file}"', f'sha256 = "{entry.sha256}"']
    return "\n".join(lines) + "\n"
