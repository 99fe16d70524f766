"""The plain facts every exporter takes: a programme's proposal, its decision and the deciding agency.

The exporters never read the database; whoever loads the data (the database layer, or the
`export --from-file` command) fills these frozen records. URIs are built from a configurable public
base URL so that the same programme always gets the same identifiers, in every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import quote

from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.proposal import Proposal
from qa_engine.domain.vocabularies import Vocabularies, load_vocabularies
from qa_engine.paths import resource_dir

DEFAULT_BASE_URL = "https://qa.example.org/register"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
APPROVING = frozenset({Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS})


class ExportError(ValueError):
    """The data cannot be exported in the asked format; the message says why."""


@dataclass(frozen=True)
class AgencyFacts:
    """The quality assurance agency (or institutional body) that took the decision."""

    name: str
    uri: str
    country: str  # ISO 3166-1 alpha-2
    website: str = ""
    deqar_id: str = ""


@dataclass(frozen=True)
class Condition:
    """A binding condition of an approval, still open, with its deadline."""

    text: str
    due: date | None = None


@dataclass(frozen=True)
class DecisionFacts:
    """The published decision on one programme version."""

    programme_id: str
    outcome: Outcome
    decided_on: date
    valid_from: date
    valid_to: date | None
    report_url: str
    decision_body: str
    conditions: tuple[Condition, ...] = ()
    public_base_url: str = DEFAULT_BASE_URL

    @property
    def is_approval(self) -> bool:
        """True for the outcomes that let a programme run (approved, with or without conditions)."""
        return self.outcome in APPROVING


@dataclass(frozen=True)
class ExportItem:
    """One decided programme, ready for any exporter.

    `nqf_level_uri` is the QDR concept of the programme's NQF level
    (`http://data.europa.eu/snb/qdr/c_...`), when the agency has looked it up: the proposal only holds
    the level's name, and ELM needs the concept.
    """

    proposal: Proposal
    decision: DecisionFacts
    agency: AgencyFacts
    programme_uri: str
    nqf_level_uri: str = ""


def programme_uri(base_url: str, programme_id: str) -> str:
    """The stable public URI of a programme: `{base}/programmes/{id}`."""
    return f"{base_url.rstrip('/')}/programmes/{quote(str(programme_id), safe='')}"


def export_item(
    proposal: Proposal, decision: DecisionFacts, agency: AgencyFacts, *, nqf_level_uri: str = ""
) -> ExportItem:
    """An ExportItem whose programme URI is built from the decision's public base URL."""
    uri = programme_uri(decision.public_base_url, decision.programme_id)
    return ExportItem(proposal, decision, agency, uri, nqf_level_uri)


def require_approval(item: ExportItem) -> None:
    """Refuse to describe a programme as approved when its decision is not an approval.

    :raises ExportError: naming the programme and its outcome.
    """
    if not item.decision.is_approval:
        raise ExportError(
            f"programme {item.decision.programme_id} is not approved ({item.decision.outcome.label}); "
            "only approved programmes are exported as credentials"
        )


def number(value: float) -> int | float:
    """A whole number as int (6, not 6.0), anything else unchanged."""
    return int(value) if float(value).is_integer() else value


@lru_cache(maxsize=1)
def default_vocabularies() -> Vocabularies:
    """The engine's controlled vocabularies (labels for ISCED-F, modes, languages, countries)."""
    return load_vocabularies(resource_dir("rubrics") / "vocabularies")


def term_label(vocabularies: Vocabularies, vocabulary: str, term_id: str) -> str:
    """The label of `term_id` in `vocabulary` (e.g. "modes"), or the id itself when unknown."""
    terms = getattr(vocabularies, vocabulary)
    return terms[term_id].label if term_id in terms else term_id


def csv_cell(value: object) -> str:
    """A CSV cell: empty for None, and a leading quote before = + - @ so no spreadsheet treats it as a formula."""
    if value is None:
        return ""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
