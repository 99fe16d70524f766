"""`qa-engine rubrics`: check rubric and framework files, show a rubric, release a new rubric version."""

from __future__ import annotations

import textwrap
from pathlib import Path

import click

from qa_engine import paths
from qa_engine.domain import frameworks as framework_data
from qa_engine.domain import rubrics as rubric_data
from qa_engine.domain.datafiles import DataFileError
from qa_engine.domain.frameworks import FrameworkSet
from qa_engine.domain.rubric_model import Criterion, Rubric

_INDENT = "    "


def _rubrics_dir() -> Path:
    return paths.resource_dir("rubrics")


def _fail(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
    raise SystemExit(1)


def _frameworks(directory: Path | None) -> FrameworkSet:
    frameworks, errors = framework_data.check_frameworks(directory or _rubrics_dir() / "frameworks")
    if frameworks is None:
        _fail(errors)
    return frameworks


@click.group("rubrics")
def rubrics() -> None:
    """Rubric and qualifications-framework data files."""


@rubrics.command("check")
@click.argument("paths_", metavar="[PATH]...", nargs=-1, type=click.Path(path_type=Path))
@click.option("--frameworks", "frameworks_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Framework directory to check against (default: frameworks/ in the rubrics directory).")
def check(paths_: tuple[Path, ...], frameworks_dir: Path | None) -> None:
    """Validate rubric files (default: all rubrics and frameworks); print every error, exit 1 if any."""
    frameworks = _frameworks(frameworks_dir)
    targets = list(paths_) or [_rubrics_dir()]
    errors = rubric_data.check_paths(targets, frameworks)
    if errors:
        _fail(errors)
    count = len(rubric_data.rubric_files(targets))
    click.echo(f"OK: {count} rubric{'s' * (count != 1)}, {2 + len(frameworks.nqfs)} frameworks")


@rubrics.command("show")
@click.argument("key", metavar="ID[@VERSION]")
def show(key: str) -> None:
    """Print a rubric readably: scale, outcome rules, dimensions and every criterion."""
    frameworks = _frameworks(None)
    try:
        rubric_id, version = rubric_data.parse_key(key)
        registry = rubric_data.load_rubrics(_rubrics_dir(), frameworks)
        rubric = registry.get(rubric_id, version)
    except DataFileError as error:
        _fail(error.errors)
    except (KeyError, ValueError) as error:
        _fail([str(error.args[0])])
    click.echo(render(rubric, frameworks), nl=False)


@rubrics.command("release")
@click.argument("key", metavar="ID@VERSION")
def release(key: str) -> None:
    """Record a valid, unreleased rubric version in rubrics.lock; from then on its file must not change."""
    directory = _rubrics_dir()
    frameworks = _frameworks(None)
    try:
        rubric_id, version = rubric_data.parse_key(key)
        if version is None:
            raise ValueError(f"{key!r}: name the version to release, like {key}@1")
        rubric = rubric_data.load_rubrics(directory, frameworks).get(rubric_id, version)
    except DataFileError as error:
        _fail(error.errors)
    except (KeyError, ValueError) as error:
        _fail([str(error.args[0])])
    if rubric.released:
        _fail([f"{rubric.key} is already released"])
    entries, _ = rubric_data.read_lock(directory)
    entries[rubric.key] = rubric_data.LockEntry(rubric.key, rubric.source, rubric.content_hash)
    (directory / rubric_data.LOCK_FILE).write_text(rubric_data.lock_text(entries.values()), encoding="utf-8")
    click.echo(f"Released {rubric.key} ({rubric.source}, sha256 {rubric.content_hash})")


def render(rubric: Rubric, frameworks: FrameworkSet) -> str:
    """The rubric as plain text for a terminal."""
    status = "released" if rubric.released else "draft, not released"
    lines = [f"{rubric.key}: {rubric.title}", f"File: {rubric.source} ({status})",
             f"SHA-256: {rubric.content_hash}"]
    lines += [""] + _wrap(rubric.description, "") + ["", "Scale (best first)"]
    lines += [f"  {level.value}  {level.label}: {level.descriptor}" for level in rubric.scale.levels]
    if rubric.na_requires_justification:
        lines.append("  N/A only where a criterion allows it, always with a justification.")
    lines += ["", "Outcome rules"]
    rules = rubric.outcome_rules
    lines += [f"  overall score >= {rule.min_score:.2f}  ->  {rule.outcome}" for rule in rules.thresholds]
    lines += [f"  any mark <= {cap.at_or_below} caps the outcome at {cap.cap}" for cap in rules.caps]
    for dimension in rubric.dimensions:
        lines += ["", f"{dimension.id}  {dimension.title}  (weight {dimension.weight:g})"]
        lines += _wrap(dimension.description, "  ")
        for criterion in dimension.criteria:
            lines += [""] + _criterion(rubric, criterion, frameworks)
    return "\n".join(lines) + "\n"


def _criterion(rubric: Rubric, criterion: Criterion, frameworks: FrameworkSet) -> list[str]:
    facts = [f"weight {criterion.weight:g}"]
    if criterion.gate is not None:
        facts.append(f"GATE: a mark <= {criterion.gate.at_or_below} caps the outcome at {criterion.gate.cap}")
    facts.append("N/A allowed" if criterion.na_allowed else "N/A not allowed")
    if criterion.justification_required_below is not None:
        below = criterion.justification_required_below
        facts.append(f"justify marks below {below} ({rubric.scale.label(below)})")
    lines = [f"  {criterion.id}  {criterion.title}", f"{_INDENT}[{'; '.join(facts)}]"]
    lines.append(f"{_INDENT}References:")
    lines += [f"{_INDENT}  - {frameworks.references.get(ref, ref)}" for ref in criterion.references]
    if criterion.evidence:
        lines.append(f"{_INDENT}Evidence: {', '.join(criterion.evidence)}")
    lines += [f"{_INDENT}Guidance:"] + _wrap(criterion.guidance, _INDENT + "  ")
    if criterion.level_descriptors:
        lines.append(f"{_INDENT}Levels:")
        for value, text in criterion.level_descriptors.items():
            lines += _wrap(f"{value} {rubric.scale.label(value)}: {text}", _INDENT + "  ", _INDENT + "    ")
    return lines


def _wrap(text: str, indent: str, subsequent: str | None = None) -> list[str]:
    if not text:
        return []
    return textwrap.wrap(" ".join(text.split()), width=100, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent)
