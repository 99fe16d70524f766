"""Controlled vocabularies for proposals and screening, loaded from `rubrics/vocabularies/*.toml`."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

BLOOM_LEVELS = {1: "remember", 2: "understand", 3: "apply", 4: "analyse", 5: "evaluate", 6: "create"}


class VocabularyError(ValueError):
    """A vocabulary file is missing or malformed; `errors` name the file and the field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Term:
    """One entry of a controlled list: the stored id, a label for people, other spellings."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabularies:
    """Every controlled list the engine checks proposals against."""

    verb_levels: Mapping[str, int]
    vague_phrases: tuple[str, ...]
    lead_ins: tuple[str, ...]
    adverbs: frozenset[str]
    assessment_types: Mapping[str, Term]
    supervision_levels: Mapping[str, Term]
    modes: Mapping[str, Term]
    evidence_kinds: Mapping[str, Term]
    isced_fields: Mapping[str, str]
    languages: Mapping[str, str]
    language_alpha3: Mapping[str, str]
    countries: Mapping[str, str]
    country_alpha3: Mapping[str, str]
    protected_title_words: tuple[str, ...]
    caution_title_words: tuple[str, ...]

    def match_term(self, vocabulary: str, text: str) -> str | None:
        """The id in `vocabulary` (e.g. "modes") whose id, label or alias is `text`, ignoring case."""
        wanted = " ".join(text.lower().replace("_", " ").split())
        terms: Mapping[str, Term] = getattr(self, vocabulary)
        for term in terms.values():
            names = (term.id.replace("_", " "), term.label, *term.aliases)
            if wanted in (" ".join(name.lower().split()) for name in names):
                return term.id
        return None


def load_vocabularies(directory: Path) -> Vocabularies:
    """Load and validate every vocabulary file in `directory`.

    :raises VocabularyError: naming each file and field that is missing or malformed.
    """
    reader = _Reader(directory)
    verbs = reader.table("action_verbs.toml")
    languages = reader.entries("languages.toml", "language", ("code", "alpha3", "name"))
    countries = reader.entries("countries.toml", "country", ("code", "alpha3", "name"))
    titles = reader.table("title_words.toml")
    vocabularies = Vocabularies(
        verb_levels=MappingProxyType(reader.verb_levels(verbs)),
        vague_phrases=reader.words(verbs, "vague", "phrases", "action_verbs.toml"),
        lead_ins=reader.words(verbs, "lead_ins", "phrases", "action_verbs.toml"),
        adverbs=frozenset(reader.words(verbs, "adverbs", "words", "action_verbs.toml")),
        assessment_types=reader.terms("assessment_types.toml", "type"),
        supervision_levels=reader.terms("supervision_levels.toml", "level"),
        modes=reader.terms("modes.toml", "mode"),
        evidence_kinds=reader.terms("evidence_kinds.toml", "kind"),
        isced_fields=MappingProxyType(
            {e["code"]: e["label"] for e in reader.entries("isced_f.toml", "field", ("code", "label"))}
        ),
        languages=MappingProxyType({e["code"]: e["name"] for e in languages}),
        language_alpha3=MappingProxyType(_alpha3_index(languages)),
        countries=MappingProxyType({e["code"]: e["name"] for e in countries}),
        country_alpha3=MappingProxyType(_alpha3_index(countries)),
        protected_title_words=reader.words(titles, "protected", "words", "title_words.toml"),
        caution_title_words=reader.words(titles, "caution", "words", "title_words.toml"),
    )
    if reader.errors:
        raise VocabularyError(reader.errors)
    return vocabularies


def _alpha3_index(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in entries:
        codes = entry["alpha3"] if isinstance(entry["alpha3"], list) else [entry["alpha3"]]
        index.update({str(code).lower(): entry["code"] for code in codes})
    return index


class _Reader:
    """Reads TOML files, collecting every error rather than stopping at the first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.errors: list[str] = []

    def table(self, filename: str) -> dict[str, Any]:
        try:
            with open(self.directory / filename, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            self.errors.append(f"{filename}: {error}")
            return {}
        for key in ("id", "version"):
            if key not in data:
                self.errors.append(f"{filename}: {key}: missing")
        return data

    def entries(self, filename: str, key: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
        rows = self.table(filename).get(key, [])
        if not rows and not any(e.startswith(f"{filename}:") for e in self.errors):
            self.errors.append(f"{filename}: {key}: must list at least one entry")
        good = []
        for index, row in enumerate(rows):
            missing = [name for name in required if not row.get(name)]
            self.errors.extend(f"{filename}: {key}[{index}].{name}: missing" for name in missing)
            if not missing:
                good.append(row)
        return good

    def terms(self, filename: str, key: str) -> Mapping[str, Term]:
        rows = self.entries(filename, key, ("id", "label"))
        return MappingProxyType(
            {row["id"]: Term(row["id"], row["label"], tuple(row.get("aliases", ()))) for row in rows}
        )

    def words(self, data: Mapping[str, Any], table: str, key: str, filename: str) -> tuple[str, ...]:
        words = data.get(table, {}).get(key)
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            if data:
                self.errors.append(f"{filename}: {table}.{key}: must be a list of strings")
            return ()
        return tuple(w.lower() for w in words)

    def verb_levels(self, data: Mapping[str, Any]) -> dict[str, int]:
        levels: dict[str, int] = {}
        for level, verbs in data.get("levels", {}).items():
            if level not in {str(n) for n in BLOOM_LEVELS}:
                self.errors.append(f"action_verbs.toml: levels.{level}: must be a level from 1 to 6")
                continue
            levels.update({verb.lower(): int(level) for verb in verbs})
        if data and not levels:
            self.errors.append("action_verbs.toml: levels: must list verbs by level")
        return levels
