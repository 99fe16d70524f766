"""Qualifications frameworks as data: EQF, QF-EHEA, ECTS conventions, national frameworks, references."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from qa_engine.domain.datafiles import DataFileError, Problems, Table, flag_duplicates, read_toml

COUNTRY_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
REFERENCE_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
T = TypeVar("T")
_FIXED_FILES = ("eqf.toml", "qf-ehea.toml", "ects.toml", "references.toml")


@dataclass(frozen=True)
class EqfLevel:
    """One of the eight EQF levels with its three descriptors."""

    level: int
    knowledge: str
    skills: str
    responsibility_autonomy: str


@dataclass(frozen=True)
class Eqf:
    """The European Qualifications Framework."""

    title: str
    source: str
    levels: tuple[EqfLevel, ...]

    def level(self, number: int) -> EqfLevel:
        """The EQF level `number` (1..8); KeyError otherwise."""
        for level in self.levels:
            if level.level == number:
                return level
        raise KeyError(f"EQF has no level {number}; levels are 1-8")


@dataclass(frozen=True)
class QfEheaCycle:
    """A cycle of the Framework for Qualifications of the EHEA and its EQF level."""

    id: str
    title: str
    eqf_level: int
    ects_min: int | None
    ects_max: int | None
    ects_note: str
    summary: str


@dataclass(frozen=True)
class EctsRule:
    """Hours per ECTS credit, as a default or for one country."""

    country: str | None
    hours_per_credit: tuple[float, float]
    note: str = ""


@dataclass(frozen=True)
class NqfLevel:
    """One level of a national framework and the EQF level(s) it is referenced to (empty: not referenced)."""

    code: str
    title: str
    eqf_levels: tuple[int, ...]
    qualifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class Nqf:
    """A national qualifications framework referenced to the EQF."""

    country: str
    name: str
    short_name: str
    source: str
    levels: tuple[NqfLevel, ...]
    file: str

    def level(self, code: str | int) -> NqfLevel:
        """The level with `code`; KeyError with the known codes otherwise."""
        for level in self.levels:
            if level.code == str(code):
                return level
        known = ", ".join(level.code for level in self.levels)
        raise KeyError(f"{self.short_name} ({self.country}) has no level {code!r}; levels are {known}")


@dataclass(frozen=True)
class Reference:
    """A clause a rubric criterion can operationalise: an ESG standard, an Annex I element, a principle."""

    id: str
    group: str
    code: str
    title: str
    summary: str
    label: str
    mandatory: bool | None = None


@dataclass(frozen=True)
class FrameworkSet:
    """Every framework the engine knows, loaded from one directory."""

    eqf: Eqf
    qf_ehea: tuple[QfEheaCycle, ...]
    ects_default: EctsRule
    ects_countries: Mapping[str, EctsRule] = field(hash=False)
    nqfs: Mapping[str, Nqf] = field(hash=False)
    reference_items: Mapping[str, Reference] = field(hash=False)
    ects_credits_per_year: int = 60

    @property
    def references(self) -> Mapping[str, str]:
        """Known reference ids mapped to display labels ("ESG 1.2: Design and approval of programmes")."""
        return MappingProxyType({rid: ref.label for rid, ref in self.reference_items.items()})

    def ects_hours_range(self, country: str | None = None) -> tuple[float, float]:
        """Hours per ECTS credit for `country` (its override, or the default)."""
        rule = self.ects_countries.get((country or "").upper(), self.ects_default)
        return rule.hours_per_credit

    def nqf(self, country: str) -> Nqf:
        """The national framework of `country`; KeyError naming the known countries otherwise."""
        try:
            return self.nqfs[country.upper()]
        except KeyError:
            known = ", ".join(sorted(self.nqfs))
            raise KeyError(f"no national framework for {country!r}; known: {known}") from None

    def eqf_for_nqf(self, country: str, level_code: str | int) -> tuple[int, ...]:
        """The EQF level(s) that level `level_code` of `country`'s framework is referenced to.

        :raises KeyError: unknown country or level.
        """
        return self.nqf(country).level(level_code).eqf_levels

    def cycle_for_eqf(self, eqf_level: int) -> QfEheaCycle | None:
        """The QF-EHEA cycle at `eqf_level`, if there is one."""
        return next((cycle for cycle in self.qf_ehea if cycle.eqf_level == eqf_level), None)


def load_frameworks(directory: Path) -> FrameworkSet:
    """Load and validate every framework file in `directory`.

    :raises DataFileError: listing every error of every file.
    """
    frameworks, errors = check_frameworks(directory)
    if frameworks is None:
        raise DataFileError(errors)
    return frameworks


def check_frameworks(directory: Path) -> tuple[FrameworkSet | None, list[str]]:
    """Load `directory`, collecting every error; the set is None whenever there is one."""
    if not directory.is_dir():
        return None, [f"{directory}: frameworks directory not found"]
    errors: list[str] = []
    eqf = _parse_file(directory / "eqf.toml", _parse_eqf, errors)
    cycles = _parse_file(directory / "qf-ehea.toml", _parse_qf_ehea, errors)
    ects = _parse_file(directory / "ects.toml", _parse_ects, errors)
    references = _parse_file(directory / "references.toml", _parse_references, errors)
    nqfs: dict[str, Nqf] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name in _FIXED_FILES:
            continue
        if not path.name.startswith("nqf-"):
            errors.append(f"{path.name}: unexpected file (expected {', '.join(_FIXED_FILES)} or nqf-*.toml)")
            continue
        nqf = _parse_file(path, _parse_nqf, errors)
        if nqf is not None and nqf.country in nqfs:
            errors.append(f"{path.name}: country: {nqf.country} is also defined in {nqfs[nqf.country].file}")
        elif nqf is not None:
            nqfs[nqf.country] = nqf
    if errors or eqf is None or cycles is None or ects is None or references is None:
        return None, errors
    return FrameworkSet(
        eqf=eqf,
        qf_ehea=cycles,
        ects_default=ects[0],
        ects_countries=MappingProxyType(ects[1]),
        nqfs=MappingProxyType(dict(sorted(nqfs.items()))),
        reference_items=MappingProxyType(references),
        ects_credits_per_year=ects[2],
    ), []


def _parse_file(path: Path, parser: Callable[[Table, str], T], errors: list[str]) -> T | None:
    if not path.is_file():
        errors.append(f"{path.name}: required framework file is missing")
        return None
    problems = Problems(path.name)
    loaded = read_toml(path, problems)
    result = None
    if loaded is not None:
        root = Table(loaded[0], "", problems)
        result = parser(root, path.name)
        root.close()
    errors.extend(problems.errors)
    return None if problems.errors else result


def _parse_eqf(root: Table, _name: str) -> Eqf:
    tables = root.tables("levels", required=True)
    if tables and len(tables) != 8:
        root.error("levels", f"must list the 8 EQF levels, found {len(tables)}")
    levels = []
    for index, table in enumerate(tables, start=1):
        number = table.integer("level")
        if number is not None and number != index:
            table.error("level", f"must be {index} (levels are listed from 1 to 8 in order)")
        levels.append(EqfLevel(index, table.text("knowledge"), table.text("skills"),
                               table.text("responsibility_autonomy")))
        table.close()
    return Eqf(root.text("title"), root.text("source", ""), tuple(levels))


def _parse_qf_ehea(root: Table, _name: str) -> tuple[QfEheaCycle, ...]:
    root.text("title")
    root.text("source", "")
    tables = root.tables("cycles", required=True)
    cycles = []
    for table in tables:
        eqf_level = _eqf_level(table, "eqf_level")
        ects_min, ects_max = table.optional_integer("ects_min"), table.optional_integer("ects_max")
        if ects_min is not None and ects_max is not None and not 0 < ects_min <= ects_max:
            table.error("ects_max", f"must be >= ects_min ({ects_min}) and both > 0")
        cycles.append(QfEheaCycle(table.text("id"), table.text("title"), eqf_level or 0, ects_min, ects_max,
                                  table.text("ects_note", ""), table.text("summary", "")))
        table.close()
    flag_duplicates(tables, "id", [cycle.id for cycle in cycles])
    return tuple(cycles)


def _parse_ects(root: Table, _name: str) -> tuple[EctsRule, dict[str, EctsRule], int]:
    root.text("title")
    root.text("source", "")
    per_year = root.integer("credits_per_year", 60)
    if per_year is not None and per_year <= 0:
        root.error("credits_per_year", "must be > 0")
    default_table = root.table("default", required=True)
    default = EctsRule(None, (25.0, 30.0))
    if default_table is not None:
        default = EctsRule(None, _hours_range(default_table), default_table.text("note", ""))
        default_table.close()
    tables = root.tables("countries")
    countries = {}
    for table in tables:
        country = _country(table)
        countries[country] = EctsRule(country, _hours_range(table), table.text("note", ""))
        table.close()
    flag_duplicates(tables, "country", [table.data.get("country", "") for table in tables])
    return default, countries, per_year or 60


def _parse_nqf(root: Table, name: str) -> Nqf:
    country = _country(root)
    title, short_name, source = root.text("name"), root.text("short_name"), root.text("source", "")
    levels = []
    previous: tuple[int, ...] = ()
    tables = root.tables("levels", required=True)
    for table in tables:
        code, level_title = table.text("code"), table.text("title")
        eqf_levels = table.integers("eqf", required=True)
        invalid = [level for level in eqf_levels if not 1 <= level <= 8]
        for level in invalid:
            table.error("eqf", f"{level} is not an EQF level (1-8)")
        if eqf_levels and previous and (min(eqf_levels) < min(previous) or max(eqf_levels) < max(previous)):
            table.error("eqf", f"must not be below the EQF level(s) of the level before ({list(previous)})")
        if not invalid:
            previous = eqf_levels or previous
        levels.append(NqfLevel(code, level_title, eqf_levels, table.texts("qualifications")))
        table.close()
    flag_duplicates(tables, "code", [level.code for level in levels])
    return Nqf(country, title, short_name, source, tuple(levels), name)


def _parse_references(root: Table, _name: str) -> dict[str, Reference]:
    groups: dict[str, tuple[str, str]] = {}
    group_tables = root.tables("groups", required=True)
    for table in group_tables:
        groups[table.text("id")] = (table.text("title"), table.text("short", ""))
        table.text("source", "")
        table.close()
    flag_duplicates(group_tables, "id", [table.data.get("id", "") for table in group_tables])
    tables = root.tables("references", required=True)
    references = {}
    for table in tables:
        rid, group, title = table.text("id"), table.text("group"), table.text("title")
        code = table.text("code", "")
        if rid and not REFERENCE_ID.match(rid):
            table.error("id", "must be lower-case words joined by dots, like esg.1.2 or annex2.relevance")
        if group and group not in groups:
            table.error("group", f"unknown group {group!r}; known: {', '.join(groups)}")
        short = groups.get(group, ("", ""))[1]
        label = " ".join(part for part in (short, code) if part)
        mandatory = table.flag("mandatory", False) if "mandatory" in table.data else None
        references[rid] = Reference(rid, group, code, title, table.text("summary", ""),
                                    f"{label}: {title}" if label else title, mandatory)
        table.close()
    flag_duplicates(tables, "id", [table.data.get("id", "") for table in tables])
    return references


def _eqf_level(table: Table, key: str) -> int | None:
    level = table.integer(key)
    if level is not None and not 1 <= level <= 8:
        table.error(key, f"{level} is not an EQF level (1-8)")
    return level


def _country(table: Table) -> str:
    country = table.text("country")
    if country and not COUNTRY_CODE.match(country):
        table.error("country", f"{country!r} is not an ISO 3166 code such as IE, FI or GB-SCT")
    return country


def _hours_range(table: Table) -> tuple[float, float]:
    pair = table.numbers("hours_per_credit", required=True)
    if len(pair) != 2 or not 0 < pair[0] <= pair[1]:
        if "hours_per_credit" in table.data:
            table.error("hours_per_credit", "must be [low, high] with 0 < low <= high")
        return (0.0, 0.0)
    return (pair[0], pair[1])
