"""Exports from the database: the export records of what is accredited today, and the committee's marks.

The exporters in `qa_engine/exports/` are pure; this module fills their records. A programme is exported as
the public register shows it (services.register): the approved version, the outcome as amended by addenda,
the conditions still open, free texts through the blind-review scrubber, and the register entry as its URI.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Row, Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from qa_engine.domain import permissions
from qa_engine.domain.decisions import ConditionStatus
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import MemberStatus
from qa_engine.domain.proposal import Proposal, proposal_from_dict
from qa_engine.domain.roles import Actor, InstitutionKind
from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.rubrics import RubricRegistry
from qa_engine.domain.scoring import Consensus, PanelScore, score_panel
from qa_engine.exports.committee import MarksRow, MarksTable
from qa_engine.exports.records import AgencyFacts, DecisionFacts, ExportItem
from qa_engine.exports.records import Condition as ConditionFacts
from qa_engine.models import (
    Condition,
    ConsensusMark,
    Decision,
    DecisionStatus,
    Institution,
    Programme,
    ProgrammeVersion,
    Review,
)
from qa_engine.services import register, reviews
from qa_engine.services.proposals import NotAllowed
from qa_engine.services.reviews import ReviewSettings


@dataclass(frozen=True)
class ExportSettings:
    """Where the register lives, the agency that decides, and the QDR concepts of NQF levels by country."""

    base_url: str
    agency: AgencyFacts
    nqf_level_uris: Mapping[str, Mapping[str, str]]

    @property
    def register_url(self) -> str:
        """The public register's address: every exported programme's URI is its entry there."""
        return f"{self.base_url.rstrip('/')}/register"


def export_settings(session: Session) -> ExportSettings:
    """The running application's export settings; the agency's country defaults to the agency institution's."""
    config = current_app.config
    base = str(config.get("BASE_URL", "http://127.0.0.1:5000")).rstrip("/")
    country = config.get("AGENCY_COUNTRY") or session.scalar(
        select(Institution.country).where(Institution.kind == InstitutionKind.AGENCY).order_by(Institution.id)
        .limit(1)) or ""
    agency = AgencyFacts(name=config.get("AGENCY_NAME", "QA Engine"), uri=config.get("AGENCY_URI") or f"{base}/#agency",
                         country=country, website=config.get("AGENCY_WEBSITE") or base,
                         deqar_id=str(config.get("AGENCY_DEQAR_ID") or ""))
    return ExportSettings(base, agency, config.get("NQF_LEVEL_URIS") or {})


def nqf_level_uri(settings: ExportSettings, proposal: Proposal) -> str:
    """The configured QDR concept of the proposal's NQF level (NQF_LEVEL_URIS), or "" when unknown."""
    level = proposal.level
    country = (level.nqf_country or proposal.awarding_body.country).upper()
    by_name = {name.strip().casefold(): uri for name, uri in (settings.nqf_level_uris.get(country) or {}).items()}
    return by_name.get(level.nqf_level.strip().casefold(), "") if level.nqf_level else ""


def items(session: Session, settings: ExportSettings, *, today: date,
          programme_id: int | None = None) -> list[ExportItem]:
    """The export records of every programme accredited today, or of one (empty when it is not accredited)."""
    found = register.listing(session, today)
    d = found.decision
    query = (found.query.with_only_columns(Programme.id, ProgrammeVersion.content, found.status, d.id, d.review_id,
                                           d.decided_on, d.decided_at, d.decision_body, d.valid_from, d.valid_until)
             .order_by(Programme.id))
    if programme_id is not None:
        query = query.where(Programme.id == programme_id)
    rows = session.execute(query).all()
    conditions = _open_conditions(session, [row[3] for row in rows])
    rounds = register.rounds(session, [row[4] for row in rows if row[4]])
    return [_item(settings, row, conditions.get(row[3], []), rounds.get(row[4])) for row in rows]


def _item(settings: ExportSettings, row: tuple, conditions: list[Condition], review: Review | None) -> ExportItem:
    programme_id, content, status, _, _, decided_on, decided_at, body, valid_from, valid_until = row
    status, clean = register.RegisterStatus(status), register.cleaner(review)
    proposal = proposal_from_dict(json.loads(content))
    uri = f"{settings.register_url}/{programme_id}"
    outcome = Outcome.APPROVED if status is register.RegisterStatus.APPROVED else Outcome.APPROVED_WITH_CONDITIONS
    kept = conditions if status is register.RegisterStatus.CONDITIONS_OPEN else []
    decision = DecisionFacts(
        programme_id=str(programme_id), outcome=outcome, decided_on=decided_on or decided_at.date(),
        valid_from=valid_from, valid_to=valid_until, report_url=f"{uri}#report", decision_body=body,
        conditions=tuple(ConditionFacts(clean(c.text), c.due_on) for c in kept), public_base_url=settings.register_url)
    return ExportItem(proposal, decision, settings.agency, uri, nqf_level_uri(settings, proposal))


def _open_conditions(session: Session, decision_ids: list[int]) -> dict[int, list[Condition]]:
    found: dict[int, list[Condition]] = defaultdict(list)
    for condition in session.scalars(select(Condition).where(Condition.decision_id.in_(decision_ids),
                                                             Condition.status != ConditionStatus.MET)
                                     .order_by(Condition.decision_id, Condition.number)):
        found[condition.decision_id].append(condition)
    return found


# The committee's marks ------------------------------------------------------------------------------------


def decided_marks(session: Session, actor: Actor, *, start: date, end: date, registry: RubricRegistry,
                  settings: ReviewSettings) -> MarksTable:
    """Every programme decided from `start` to `end` (its newest decision in effect in the period), with the
    consolidated marks of the round decided on; a bounded number of queries whatever the period.

    :raises NotAllowed: unless the actor oversees programmes.
    """
    if not permissions.can_oversee_programmes(actor):
        raise NotAllowed("Only QA officers and administrators export the committee's marks.")
    decided = session.execute(_decided_in(session, start, end)).all()
    rounds = register.rounds(session, [row.review_id for row in decided if row.review_id])
    agreed: dict[int, dict[str, Consensus]] = defaultdict(dict)
    for mark in session.scalars(select(ConsensusMark).where(ConsensusMark.review_id.in_(list(rounds)))):
        agreed[mark.review_id][mark.criterion_id] = Consensus(mark.value, mark.reason)
    rows = [_marks_row(row, rounds.get(row.review_id), agreed, registry, settings) for row in decided]
    return MarksTable(tuple(dict.fromkeys(cid for columns, _ in rows for cid in columns)), [r for _, r in rows])


def _marks_row(row: Row, review: Review | None, agreed: Mapping[int, dict[str, Consensus]],
               registry: RubricRegistry, settings: ReviewSettings) -> tuple[tuple[str, ...], MarksRow]:
    """The criteria of the rubric the round was scored on (they become columns) and the row of its marks."""
    marks = MarksRow(row.programme_id, row.title or "", row.provider, row.outcome, row.decided_on)
    if review is None:
        return (), marks
    try:
        rubric = reviews.pinned_rubric(review, registry)
    except reviews.RubricChanged:
        return (), marks  # no marks rather than marks read against another rubric
    score = _score(review, rubric, agreed[review.id], settings)
    return tuple(c.id for c in rubric.criteria), _with_marks(marks, review, score)


def _decided_in(session: Session, start: date, end: date) -> Select:
    in_period = and_(Decision.status == DecisionStatus.EFFECTIVE, Decision.decided_on >= start,
                     Decision.decided_on <= end)
    newer = aliased(Decision)
    title = register.proposal_value(session, ProgrammeVersion.content, "identification", "title").as_string()
    return (select(Decision.programme_id, Decision.review_id, Decision.outcome, Decision.decided_on,
                   title.label("title"), Institution.name.label("provider"))
            .join(Programme, Programme.id == Decision.programme_id)
            .join(Institution, Institution.id == Programme.provider_id)
            .join(ProgrammeVersion, and_(ProgrammeVersion.programme_id == Decision.programme_id,
                                         ProgrammeVersion.number == Decision.version_number))
            .where(in_period, ~exists().where(newer.programme_id == Decision.programme_id,
                                              newer.status == DecisionStatus.EFFECTIVE, newer.decided_on >= start,
                                              newer.decided_on <= end, newer.id > Decision.id))
            .order_by(Decision.decided_on, Decision.programme_id))


def _score(review: Review, rubric: Rubric, agreed: dict[str, Consensus], settings: ReviewSettings) -> PanelScore:
    """`reviews.panel_score` with the consensus marks loaded beforehand for every round at once."""
    submitted = [reviews.marks_of(a) for a in review.assignments if a.status is MemberStatus.SUBMITTED]
    return score_panel(rubric, submitted, agreed, disagreement_threshold=settings.disagreement_threshold)


def _with_marks(row: MarksRow, review: Review, score: PanelScore) -> MarksRow:
    marked = {cid: a.effective for cid, a in score.criteria.items() if a.n or a.n_na or a.consensus is not None}
    reviewed = sum(1 for a in review.assignments if a.status is MemberStatus.SUBMITTED)
    return MarksRow(row.programme_id, row.title, row.provider, row.outcome, row.decided_on, review.rubric_key,
                    reviewed, score.overall, score.recommended, marked)
