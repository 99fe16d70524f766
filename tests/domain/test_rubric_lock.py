"""Released rubric versions are immutable: rubrics.lock pins the SHA-256 of every released file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.frameworks import load_frameworks
from qa_engine.domain.rubrics import LOCK_FILE, check_paths, load_rubrics, lock_text, read_lock

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
FRAMEWORKS = load_frameworks(RUBRICS / "frameworks")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, target)
    return target


def test_every_shipped_rubric_is_released_and_unchanged():
    entries, errors = read_lock(RUBRICS)
    assert errors == []
    files = sorted(path.name for path in RUBRICS.glob("*.toml"))
    assert sorted(entry.file for entry in entries.values()) == files
    for entry in entries.values():
        actual = hashlib.sha256((RUBRICS / entry.file).read_bytes()).hexdigest()
        assert actual == entry.sha256, (
            f"{entry.file} changed after release as {entry.key}: a released rubric is never edited; "
            "copy it to a new version file and run `qa-engine rubrics release ID@VERSION`"
        )
    assert all(rubric.released for rubric in load_rubrics(RUBRICS, FRAMEWORKS).all())


def test_lock_file_is_in_canonical_form():
    entries, _ = read_lock(RUBRICS)
    assert (RUBRICS / LOCK_FILE).read_text(encoding="utf-8") == lock_text(entries.values())


def test_a_changed_released_file_is_an_error(copy):
    path = copy / "slp-ex-ante-v1.toml"
    path.write_bytes(path.read_bytes() + b"# one more comment\n")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    released = read_lock(copy)[0]["slp-ex-ante@1"].sha256
    expected = (
        f"slp-ex-ante-v1.toml: content differs from the released slp-ex-ante@1 "
        f"(sha256 {actual[:12]}..., released {released[:12]}...); a released rubric is never edited: "
        "copy it to slp-ex-ante-v2.toml with version = 2"
    )
    assert check_paths([copy], FRAMEWORKS) == [expected]
    assert check_paths([path], FRAMEWORKS) == [expected]
    with pytest.raises(DataFileError) as raised:
        load_rubrics(copy, FRAMEWORKS)
    assert raised.value.errors == [expected]


def test_a_removed_released_file_is_an_error(copy):
    (copy / "internal-approval-v1.toml").unlink()
    assert check_paths([copy], FRAMEWORKS) == [
        'rubrics.lock: released."internal-approval@1": internal-approval-v1.toml is missing; '
        "a release is never removed",
    ]


def test_a_new_version_is_a_draft_until_released(copy):
    text = (copy / "slp-ex-ante-v1.toml").read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)
    (copy / "slp-ex-ante-v2.toml").write_text(text, encoding="utf-8")
    registry = load_rubrics(copy, FRAMEWORKS)
    assert [(r.key, r.released) for r in registry.all() if r.id == "slp-ex-ante"] == [
        ("slp-ex-ante@1", True), ("slp-ex-ante@2", False),
    ]


def test_a_malformed_lock_is_reported(copy):
    (copy / LOCK_FILE).write_text(
        '[released."slp-ex-ante@1"]\nfile = "slp-v1.toml"\nsha256 = "abc"\n'
        '[released."latest"]\nfile = "x.toml"\nsha256 = "' + "0" * 64 + '"\nsigned = true\n',
        encoding="utf-8")
    assert check_paths([copy], FRAMEWORKS) == [
        'rubrics.lock: released."slp-ex-ante@1".file: must be slp-ex-ante-v1.toml',
        'rubrics.lock: released."slp-ex-ante@1".sha256: must be 64 lower-case hexadecimal digits',
        "rubrics.lock: released.latest: must be a rubric id and version, like slp-ex-ante@1",
        "rubrics.lock: released.latest.signed: unknown key",
    ]
