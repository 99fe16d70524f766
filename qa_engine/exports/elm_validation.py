"""Check an ELM v3 JSON-LD document offline: parse it with rdflib, demand typed nodes, run the LOQ SHACL shapes.

Remote `@context` URLs are resolved from copies in `specs/` and nowhere else: an unknown context is an
error, never a download. A document whose keys do not expand yields no typed nodes, and SHACL shapes
that target classes then check nothing, so the typed-node count is checked before any "conforms".
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyshacl
from rdflib import RDF, Graph, Literal, Namespace
from rdflib.namespace import DCTERMS, SH

SPECS = Path(__file__).parent / "specs"
EDC_AP_CONTEXT_URL = "http://data.europa.eu/snb/model/context/edc-ap"
LOCAL_CONTEXTS = {EDC_AP_CONTEXT_URL: SPECS / "edc-ap-context.jsonld"}
SHAPE_FILES = ("LOQ-constraints.ttl", "LOQ-constraints-mdr.ttl")
ELM = Namespace("http://data.europa.eu/snb/model/elm/")
# The LOQ URL/URI patterns are written in the Java regex dialect, which Python's `re` rejects (an
# inline `(?i)` after `^`, `\p{L}`, nested character classes). Each rewrite keeps the meaning, except
# that `\w` stands for the Unicode letters and digits of `[\p{L}\p{Nl}\p{Nd}]`.
JAVA_TO_PYTHON = (("[[A-Fa-f0-9]\\:\\.]", "[A-Fa-f0-9:.]"), ("[%[\\p{L}\\p{Nl}\\p{Nd}]]", "[%\\w]"))


class ElmContextError(ValueError):
    """The document names a JSON-LD context that has no local copy."""


@dataclass(frozen=True)
class ElmValidation:
    """The outcome of `validate_elm`: conforms only if typed nodes exist and no shape is violated."""

    conforms: bool
    violations: tuple[str, ...]
    qualifications: int = 0
    accreditations: int = 0
    triples: int = 0


@cache
def load_context(url: str) -> Any:
    """The `@context` value of a known context document, read from its local copy.

    :raises ElmContextError: for any URL without a local copy (nothing is fetched).
    """
    path = LOCAL_CONTEXTS.get(url.rstrip("/"))
    if path is None:
        raise ElmContextError(f"unknown JSON-LD context {url!r}: only {', '.join(LOCAL_CONTEXTS)} is available offline")
    return json.loads(path.read_text(encoding="utf-8"))["@context"]


def offline(value: Any) -> Any:
    """A copy of a JSON-LD document with every remote `@context` reference replaced by its local copy."""
    if isinstance(value, list):
        return [offline(v) for v in value]
    if not isinstance(value, dict):
        return value
    result = {k: offline(v) for k, v in value.items() if k != "@context"}
    if "@context" in value:
        contexts = value["@context"] if isinstance(value["@context"], list) else [value["@context"]]
        result["@context"] = [load_context(c) if isinstance(c, str) else offline(c) for c in contexts]
    return result


def to_graph(document: Any) -> Graph:
    """Parse a JSON-LD document into an rdflib graph, with contexts resolved offline.

    :raises ElmContextError: when the document names an unknown context.
    """
    return Graph().parse(data=json.dumps(offline(document)), format="json-ld")


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    """The LOQ SHACL shapes and their controlled-vocabulary companion, as one graph (loaded once)."""
    graph = Graph()
    for name in SHAPE_FILES:
        graph.parse(SPECS / name, format="turtle")
    for shape, pattern in list(graph.subject_objects(SH.pattern)):
        python, flags = python_pattern(str(pattern))
        graph.set((shape, SH.pattern, Literal(python)))
        if flags:
            graph.set((shape, SH.flags, Literal(flags)))
    return graph


def python_pattern(pattern: str) -> tuple[str, str]:
    """A SHACL pattern from the LOQ shapes rewritten for Python's `re`, and the flags it needs.

    :raises ValueError: when the rewritten pattern still does not compile cleanly.
    """
    flags = ""
    if pattern.startswith("^(?i)"):
        pattern, flags = "^" + pattern[len("^(?i)"):], "i"
    for java, python in JAVA_TO_PYTHON:
        pattern = pattern.replace(java, python)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FutureWarning about nested sets means a rewrite is missing
        try:
            re.compile(pattern)
        except (re.error, FutureWarning) as error:
            raise ValueError(f"SHACL pattern {pattern!r} is not valid in Python: {error}") from None
    return pattern, flags


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The ELM ontology (its declared classes and properties), loaded once."""
    return Graph().parse(SPECS / "ELM.ttl", format="turtle")


def count_typed(graph: Graph, cls: Any) -> int:
    """How many distinct nodes of `graph` are typed `cls`."""
    return len(set(graph.subjects(RDF.type, cls)))


def undeclared_terms(graph: Graph) -> list[str]:
    """The elm: classes and properties a graph uses that the ELM ontology does not declare (typos, inventions)."""
    declared = set(ontology_graph().subjects())
    used = {p for p in graph.predicates()} | set(graph.objects(None, RDF.type))
    return sorted(f"{term}: not a term of the ELM ontology" for term in used
                  if str(term).startswith(str(ELM)) and term not in declared)


def validate_elm(document: Any) -> ElmValidation:
    """Check an ELM document: ≥1 elm:Qualification and ≥1 elm:Accreditation node, ELM terms only, LOQ shapes."""
    try:
        graph = to_graph(document)
    except (ElmContextError, ValueError, TypeError) as error:
        return ElmValidation(False, (f"not parseable as JSON-LD: {error}",))
    counts = count_typed(graph, ELM.Qualification), count_typed(graph, ELM.Accreditation)
    missing = [f"no elm:{name} typed node: the shapes would check nothing (do `id`/`type` expand?)"
               for name, count in zip(("Qualification", "Accreditation"), counts, strict=True) if not count]
    if missing:
        return ElmValidation(False, tuple(missing), *counts, len(graph))
    # The ontology is not mixed into the data graph: its rdfs:subClassOf triples would make the closed
    # shapes of superclasses (elm:Specification, elm:Agent) reject every Qualification and Organisation,
    # the official sample included. The profile's own `sh:or (Agent Organisation)` shows it expects that.
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=shapes_graph(), inference="none",
                                           abort_on_first=False, allow_warnings=False)
    problems = [*undeclared_terms(graph), *_messages(report)]
    return ElmValidation(bool(conforms) and not problems, tuple(problems), *counts, len(graph))


def _messages(report: Graph) -> list[str]:
    report.bind("dcterms", DCTERMS, override=True, replace=True)
    report.bind("elm", ELM, override=True, replace=True)
    lines = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = report.namespace_manager.normalizeUri(path) if path is not None else "(node)"
        lines.append(f"{focus} {where}: {message}")
    return sorted(lines)
