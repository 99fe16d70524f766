"""Parse and validate one rubric file in full, recording every error with its field path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import replace
from types import MappingProxyType

from qa_engine.domain import outcomes
from qa_engine.domain.datafiles import Problems, Table, flag_duplicates, join
from qa_engine.domain.outcomes import Outcome
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

RUBRIC_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ITEM_ID_RULE = "must start with a letter or digit and use only letters, digits, '.', '_' or '-'"
_CAPS = ", ".join(outcome.value for outcome in Outcome if outcome is not Outcome.APPROVED)


def parse_rubric(data: dict, raw: bytes, problems: Problems, references: Collection[str]) -> Rubric | None:
    """Build a Rubric from parsed TOML `data`; None if any error was recorded in `problems`."""
    root = Table(data, "", problems)
    rubric_id, version = root.text("id"), root.integer("version")
    if rubric_id and not RUBRIC_ID.match(rubric_id):
        root.error("id", "must be lower-case letters and digits joined by hyphens, like slp-ex-ante")
    if version is not None and version < 1:
        root.error("version", "must be >= 1")
    expected = f"{rubric_id}-v{version}.toml"
    if rubric_id and version is not None and problems.source != expected:
        problems.add("", f"file name must be {expected} (from its id and version)")
    title, description = root.text("title"), root.text("description", "")
    scale = _scale(root)
    default_below = _optional_scale_value(root, "justification_required_below", scale)
    na_justified = root.flag("na_requires_justification", True)
    dimension_tables = root.tables("dimensions", required=True)
    headers = [_dimension_header(table) for table in dimension_tables]
    flag_duplicates(dimension_tables, "id", [header.id for header in headers])
    criteria = _criteria(root, scale, default_below, references, {header.id for header in headers})
    dimensions = []
    for table, header in zip(dimension_tables, headers, strict=True):
        members = tuple(criterion for criterion in criteria if criterion.dimension_id == header.id)
        if header.id and not members:
            problems.add(table.path, "has no criteria")
        dimensions.append(replace(header, criteria=members))
    rules = _outcome_rules(root, scale)
    root.close()
    if problems.errors or scale is None or rules is None or version is None:
        return None
    return Rubric(
        id=rubric_id, version=version, title=title, description=description, scale=scale,
        dimensions=tuple(dimensions), outcome_rules=rules, content_hash=hashlib.sha256(raw).hexdigest(),
        source=problems.source, na_requires_justification=na_justified,
    )


def _scale(root: Table) -> Scale | None:
    tables = root.tables("scale", required=True)
    if tables and len(tables) < 2:
        root.error("scale", "must have at least 2 levels")
    levels: list[ScaleLevel] = []
    for table in tables:
        value = table.integer("value")
        if value is not None and levels and value >= levels[-1].value:
            table.error("value", f"must be lower than the level before it ({levels[-1].value}): best first")
        label, descriptor = table.text("label"), table.text("descriptor")
        levels.append(ScaleLevel(value if value is not None else 0, label, descriptor))
        table.close()
    flag_duplicates(tables, "label", [level.label for level in levels])
    return Scale(tuple(levels)) if len(levels) >= 2 else None


def _dimension_header(table: Table) -> Dimension:
    did = table.text("id")
    if did and not ITEM_ID.match(did):
        table.error("id", _ITEM_ID_RULE)
    header = Dimension(did, table.text("title"), _weight(table), (), table.text("description", ""))
    table.close()
    return header


def _weight(table: Table) -> float:
    weight = table.number("weight")
    if weight is not None and not weight > 0:
        table.error("weight", "must be > 0")
    return weight or 0.0


def _criteria(root: Table, scale: Scale | None, default_below: int | None, references: Collection[str],
              dimension_ids: set[str]) -> list[Criterion]:
    tables = root.tables("criteria", required=True)
    criteria = []
    for table in tables:
        cid, dimension = table.text("id"), table.text("dimension")
        if cid and not ITEM_ID.match(cid):
            table.error("id", _ITEM_ID_RULE)
        if dimension and dimension not in dimension_ids:
            known = ", ".join(sorted(dimension_ids))
            table.error("dimension", f"unknown dimension {dimension!r}; known: {known}")
        title, guidance, weight = table.text("title"), table.text("guidance"), _weight(table)
        refs = _references(table, references)
        gate = _cap_rule(table.table("gate"), scale)
        na_allowed = table.flag("na_allowed", False)
        if gate is not None and na_allowed:
            table.error("na_allowed", "a gate criterion cannot allow N/A")
        below = default_below
        if "justification_required_below" in table.data:
            below = _optional_scale_value(table, "justification_required_below", scale)
        criteria.append(Criterion(
            id=cid, dimension_id=dimension, title=title, guidance=guidance, weight=weight, references=refs,
            level_descriptors=_level_descriptors(table, scale), gate=gate, na_allowed=na_allowed,
            justification_required_below=below, evidence=table.texts("evidence"),
        ))
        table.close()
    flag_duplicates(tables, "id", [criterion.id for criterion in criteria])
    return criteria


def _references(table: Table, known: Collection[str]) -> tuple[str, ...]:
    refs = table.texts("references", required=True)
    seen: set[str] = set()
    for index, ref in enumerate(refs):
        if ref not in known:
            table.problems.add(join(table.field("references"), index), f"unknown reference {ref!r}")
        elif ref in seen:
            table.problems.add(join(table.field("references"), index), f"duplicate reference {ref!r}")
        seen.add(ref)
    return refs


def _level_descriptors(table: Table, scale: Scale | None) -> MappingProxyType[int, str]:
    levels = table.table("levels")
    descriptors: dict[int, str] = {}
    if levels is None:
        return MappingProxyType(descriptors)
    for key in list(levels.data):
        value = levels.text(key)
        if scale is not None and (not re.fullmatch(r"-?\d+", key) or int(key) not in scale.values):
            levels.error(key, f"not a value of the scale ({_values(scale)})")
        elif value:
            descriptors[int(key)] = value
    levels.close()
    return MappingProxyType(dict(sorted(descriptors.items(), reverse=True)))


def _cap_rule(table: Table | None, scale: Scale | None) -> CapRule | None:
    if table is None:
        return None
    value = table.integer("at_or_below")
    if value is not None and scale is not None and (value not in scale.values or value == scale.maximum):
        table.error("at_or_below", f"must be a value of the scale below its highest ({_values(scale, 1)})")
    cap_name = table.text("cap")
    cap = outcomes.parse(cap_name)
    if cap_name and (cap is None or cap is Outcome.APPROVED):
        table.error("cap", f"must be one of {_CAPS}")
    table.close()
    return CapRule(value, cap) if value is not None and cap is not None else None


def _optional_scale_value(table: Table, key: str, scale: Scale | None) -> int | None:
    value = table.optional_integer(key)
    if value is not None and scale is not None and value not in scale.values:
        table.error(key, f"{value} is not a value of the scale ({_values(scale)})")
    return value


def _outcome_rules(root: Table, scale: Scale | None) -> OutcomeRules | None:
    rules = root.table("outcome_rules", required=True)
    if rules is None:
        return None
    tables = rules.tables("thresholds", required=True)
    thresholds: list[Threshold] = []
    for table in tables:
        score, name = table.number("min_score"), table.text("outcome")
        outcome = outcomes.parse(name)
        if name and outcome is None:
            table.error("outcome", f"must be one of {', '.join(Outcome)}")
        if score is not None and scale is not None and not scale.minimum <= score <= scale.maximum:
            table.error("min_score", f"must be within the scale ({scale.minimum}-{scale.maximum})")
        before = thresholds[-1] if thresholds else None
        if before is not None and score is not None and score >= before.min_score:
            table.error("min_score", f"must be lower than the threshold before it ({before.min_score:g})")
        if before is not None and outcome is not None and not before.outcome.is_better_than(outcome):
            table.error("outcome", f"must be worse than the outcome before it ({before.outcome})")
        if score is not None and outcome is not None:
            thresholds.append(Threshold(score, outcome))
        table.close()
    complete = bool(thresholds) and len(thresholds) == len(tables)
    if complete and scale is not None and thresholds[-1].min_score != scale.minimum:
        tables[-1].error("min_score", f"the last threshold must be the lowest scale value ({scale.minimum})"
                         " so that every score has an outcome")
    caps = tuple(_cap_rule(table, scale) for table in rules.tables("caps"))
    rules.close()
    if len(thresholds) != len(tables) or None in caps:
        return None
    return OutcomeRules(tuple(thresholds), tuple(cap for cap in caps if cap is not None))


def _values(scale: Scale, skip: int = 0) -> str:
    return ", ".join(str(value) for value in scale.values[skip:])
