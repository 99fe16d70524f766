"""`qa-engine rubrics check | show | release`, driven through click's CliRunner."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qa_engine.commands.rubrics import rubrics
from qa_engine.domain.rubrics import LockEntry, lock_text, read_lock

RUBRICS = Path(__file__).resolve().parents[1] / "rubrics"


@pytest.fixture
def rubrics_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, target)
    return target


def run(directory: Path, *args: str) -> Result:
    return CliRunner().invoke(rubrics, list(args), env={"QA_ENGINE_RUBRICS_DIR": str(directory)})


def test_check_without_paths_checks_everything():
    result = run(RUBRICS, "check")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "OK: 2 rubrics, 6 frameworks\n", "")


def test_check_prints_every_error_on_stderr_and_exits_1(rubrics_dir, tmp_path):
    broken = tmp_path / "internal-approval-v2.toml"
    text = (rubrics_dir / "internal-approval-v1.toml").read_text(encoding="utf-8")
    text = text.replace("version = 1", "version = 2").replace("weight = 0.5", "weight = 0")
    broken.write_text(text.replace('references = ["esg.1.5"]', 'references = ["esg.1.55"]'), encoding="utf-8")
    result = run(rubrics_dir, "check", str(broken))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "internal-approval-v2.toml: criteria[5].references[0]: unknown reference 'esg.1.55'\n"
        "internal-approval-v2.toml: criteria[7].weight: must be > 0\n"
    )


def test_check_of_a_valid_file_counts_it(rubrics_dir):
    result = run(rubrics_dir, "check", str(rubrics_dir / "slp-ex-ante-v1.toml"))
    assert (result.exit_code, result.stdout) == (0, "OK: 1 rubric, 6 frameworks\n")


def test_check_reports_broken_frameworks(rubrics_dir):
    (rubrics_dir / "frameworks" / "nqf-fi.toml").write_text('country = "FI"\nname = "x"\n', encoding="utf-8")
    result = run(rubrics_dir, "check")
    assert result.exit_code == 1
    assert result.stderr == "nqf-fi.toml: short_name: is required\nnqf-fi.toml: levels: is required\n"


def test_check_reports_a_changed_release(rubrics_dir):
    path = rubrics_dir / "internal-approval-v1.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("weight = 0.5", "weight = 0.75"), encoding="utf-8")
    result = run(rubrics_dir, "check")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "internal-approval-v1.toml: content differs from the released internal-approval@1 (sha256 ")


def test_show_prints_the_rubric_readably():
    result = run(RUBRICS, "show", "slp-ex-ante@1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    digest = hashlib.sha256((RUBRICS / "slp-ex-ante-v1.toml").read_bytes()).hexdigest()
    assert lines[:3] == [
        "slp-ex-ante@1: Ex-ante assessment of short learning programmes (micro-credentials)",
        "File: slp-ex-ante-v1.toml (released)",
        f"SHA-256: {digest}",
    ]
    assert lines[lines.index("Scale (best first)") + 2] == (
        "  3  Meets: The standard is met. Minor points may be raised as non-binding recommendations.")
    assert "  overall score >= 2.50  ->  approved_with_conditions" in lines
    assert "  any mark <= 2 caps the outcome at approved_with_conditions" in lines
    assert "D3  Learning outcomes  (weight 1.5)" in lines
    start = lines.index("  D3.1  The learning outcomes are observable and assessable")
    assert lines[start + 1:start + 7] == [
        "    [weight 1.5; GATE: a mark <= 1 caps the outcome at revise_and_resubmit; N/A not allowed; "
        "justify marks below 3 (Meets)]",
        "    References:",
        "      - ESG 1.2: Design and approval of programmes",
        "      - Annex I 6: Learning outcomes",
        "      - Annex II 2: Transparency",
        "      - Annex II 4: Valid assessment",
    ]
    assert lines[start + 7:start + 9] == ["    Evidence: learning_outcomes", "    Guidance:"]
    assert "      3 Meets: Every outcome is observable and assessable; wording may be polished." in lines


def test_show_without_version_shows_the_latest(rubrics_dir):
    text = (rubrics_dir / "internal-approval-v1.toml").read_text(encoding="utf-8")
    (rubrics_dir / "internal-approval-v2.toml").write_text(text.replace("version = 1", "version = 2"),
                                                           encoding="utf-8")
    result = run(rubrics_dir, "show", "internal-approval")
    assert result.stdout.splitlines()[:2] == [
        "internal-approval@2: Internal approval of a short learning programme",
        "File: internal-approval-v2.toml (draft, not released)",
    ]


@pytest.mark.parametrize(("key", "message"), [
    ("nope", "unknown rubric 'nope'; known rubrics: internal-approval, slp-ex-ante\n"),
    ("slp-ex-ante@9", "rubric 'slp-ex-ante' has no version 9; known versions: slp-ex-ante@1\n"),
    ("slp-ex-ante@new", "'slp-ex-ante@new': the version after '@' must be a positive integer\n"),
])
def test_show_unknown_rubric_is_a_clear_error(key, message):
    result = run(RUBRICS, "show", key)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


def test_release_records_a_new_version_in_the_lock(rubrics_dir):
    text = (rubrics_dir / "internal-approval-v1.toml").read_text(encoding="utf-8")
    new = rubrics_dir / "internal-approval-v2.toml"
    new.write_text(text.replace("version = 1", "version = 2"), encoding="utf-8")
    digest = hashlib.sha256(new.read_bytes()).hexdigest()
    result = run(rubrics_dir, "release", "internal-approval@2")
    assert (result.exit_code, result.stdout) == (
        0, f"Released internal-approval@2 (internal-approval-v2.toml, sha256 {digest})\n")
    entries, errors = read_lock(rubrics_dir)
    assert (errors, list(entries)) == ([], ["internal-approval@1", "internal-approval@2", "slp-ex-ante@1"])
    assert entries["internal-approval@2"] == LockEntry("internal-approval@2", new.name, digest)
    assert (rubrics_dir / "rubrics.lock").read_text(encoding="utf-8") == lock_text(entries.values())
    assert run(rubrics_dir, "show", "internal-approval@2").stdout.splitlines()[1] == (
        "File: internal-approval-v2.toml (released)")
    again = run(rubrics_dir, "release", "internal-approval@2")
    assert (again.exit_code, again.stderr) == (1, "internal-approval@2 is already released\n")


def test_release_needs_a_version():
    result = run(RUBRICS, "release", "slp-ex-ante")
    assert (result.exit_code, result.stderr) == (
        1, "'slp-ex-ante': name the version to release, like slp-ex-ante@1\n")
