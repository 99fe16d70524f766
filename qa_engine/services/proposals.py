"""Programme proposals: drafts saved section by section, screening, submission into immutable versions,
revisions, comparison of versions, and drafts imported from Europass ELM."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, object_session

from qa_engine import catalogue
from qa_engine.catalogue import Catalogue
from qa_engine.db import utcnow
from qa_engine.domain import permissions, workflow
from qa_engine.domain.proposal import (
    Proposal,
    ProposalFormatError,
    empty_proposal,
    proposal_from_dict,
    proposal_to_dict,
)
from qa_engine.domain.proposal_diff import Change, proposal_diff
from qa_engine.domain.roles import Role
from qa_engine.domain.screening import ApprovedProgramme, ScreeningConfig, ScreeningResult, screen
from qa_engine.domain.workflow import ACCREDITED, Action, State
from qa_engine.exports.elm_import import proposal_from_elm
from qa_engine.models import Programme, ProgrammeVersion, User
from qa_engine.services import audit
from qa_engine.services import workflow as workflow_service

TITLE_LENGTH = 300


class NotAllowed(Exception):
    """The actor may not do this to this programme."""


class SubmissionBlocked(Exception):
    """Screening failed: `fails` lists what to fix. The refused attempt is audited in the caller's session."""

    def __init__(self, result: ScreeningResult) -> None:
        self.result = result
        self.fails = [finding for finding in result.findings if finding.status == "fail"]
        super().__init__("; ".join(f"{f.check}: {f.message}" for f in self.fails))


def reference_data() -> Catalogue:
    """The vocabularies and frameworks loaded and validated at start-up."""
    return catalogue.current()


@dataclass(frozen=True)
class ScreeningSettings:
    """What screening needs besides the proposal: threshold overrides from configuration, data, and the date."""

    overrides: Mapping[str, Any]
    reference: Catalogue
    today: date


def screening_config(settings: ScreeningSettings, country: str) -> ScreeningConfig:
    """The thresholds: defaults, then configuration, with hours per ECTS from the country's framework."""
    names = {spec.name for spec in dataclasses.fields(ScreeningConfig)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.overrides.items() if k in names}
    values.setdefault("hours_per_ects", settings.reference.frameworks.ects_hours_range(country))
    return ScreeningConfig(**values)


def canonical(data: Mapping[str, Any]) -> str:
    """The JSON text stored for a proposal: sorted keys, no spaces, so equal proposals hash equally."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def working_data(programme: Programme) -> dict[str, Any]:
    """The proposal the designer is working on, or the last submitted one, as format JSON."""
    if programme.draft:
        return json.loads(programme.draft)
    if programme.current_version:
        version = next(v for v in programme_versions(programme) if v.number == programme.current_version)
        return json.loads(version.content)
    return proposal_to_dict(dataclasses.replace(empty_proposal(), identification=dataclasses.replace(
        empty_proposal().identification, title=programme.title)))


def working_proposal(programme: Programme) -> Proposal:
    """`working_data` parsed into the proposal model."""
    return proposal_from_dict(working_data(programme))


def programme_versions(programme: Programme) -> list[ProgrammeVersion]:
    """The programme's submitted versions, oldest first."""
    session = object_session(programme)
    assert session is not None, "the programme is not in a session"
    return list(session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)
                                .order_by(ProgrammeVersion.number)))


def get_version(session: Session, programme: Programme, number: int) -> ProgrammeVersion | None:
    """Version `number` of `programme`, or None."""
    return session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id,
                                                          ProgrammeVersion.number == number)).one_or_none()


def create_draft(session: Session, *, actor: User, data: Mapping[str, Any], source: str = "form") -> Programme:
    """A new programme in draft for the actor's institution, from proposal format JSON.

    :raises NotAllowed: unless the actor designs programmes.
    :raises ProposalFormatError: when `data` is not a valid proposal.
    """
    if not permissions.can_design(actor.actor):
        raise NotAllowed("Only programme designers create programmes.")
    state = workflow.advance(workflow.NEW, Action.CREATE, Role.DESIGNER)
    proposal = _validated(data)
    programme = Programme(title="", provider_id=actor.institution_id, designer_id=actor.id, state=state)
    _store_draft(programme, proposal)
    session.add(programme)
    session.flush()
    audit.record(session, "programme.create", actor=actor, role=Role.DESIGNER, obj=("programme", programme.id),
                 details={"title": programme.title, "source": source})
    return programme


def save_section(session: Session, programme: Programme, values: Mapping[str, Any], *, actor: User) -> None:
    """Merge one section's values (top-level keys of the format) into the draft; all or nothing.

    :raises NotAllowed: unless the actor may edit this draft.
    :raises ProposalFormatError: when the merged draft would not be valid; nothing is changed.
    """
    _require(permissions.can_edit_programme(actor.actor, provider_id=programme.provider_id,
                                            state=State(programme.state)))
    merged = _merge(working_data(programme), values)
    _store_draft(programme, _validated(merged))
    session.flush()
    audit.record(session, "programme.section_saved", actor=actor, role=Role.DESIGNER,
                 obj=("programme", programme.id), details={"fields": sorted(values)})


def screen_draft(session: Session, programme: Programme, settings: ScreeningSettings) -> ScreeningResult:
    """What the automated checks say about the working proposal now."""
    proposal = working_proposal(programme)
    config = screening_config(settings, proposal.awarding_body.country.upper())
    return screen(proposal, config, settings.reference.vocabularies, approved=_approved(session, programme.id),
                  today=settings.today)


def submit(session: Session, programme: Programme, *, actor: User, settings: ScreeningSettings) -> ProgrammeVersion:
    """Screen the draft and, unless a check fails, freeze it as the next version and move to submitted.

    :raises SubmissionBlocked: listing the failed checks (the attempt is audited).
    :raises workflow_service.Conflict: when the programme is no longer a draft or changed meanwhile.
    """
    _require(permissions.can_design_for(actor.actor, provider_id=programme.provider_id))
    data = working_data(programme)
    result = screen_draft(session, programme, settings)
    if result.blocking and State(programme.state) is State.DRAFT:
        audit.record(session, "programme.submission_blocked", actor=actor, role=Role.DESIGNER,
                     obj=("programme", programme.id), details={"fails": [f.check for f in result.findings
                                                                         if f.status == "fail"]})
        raise SubmissionBlocked(result)
    number = programme.current_version + 1
    content = canonical(data)
    sha = hashlib.sha256(content.encode()).hexdigest()
    workflow_service.transition(session, programme, Action.SUBMIT, actor=actor, role=Role.DESIGNER,
                                details={"version": number, "sha256": sha})
    version = ProgrammeVersion(programme_id=programme.id, number=number, content=content, content_sha256=sha,
                               screening=canonical(result.to_dict()), submitted_at=utcnow(),
                               submitted_by_id=actor.id)
    session.add(version)
    programme.current_version, programme.draft = number, None
    session.flush()
    return version


def withdraw(session: Session, programme: Programme, *, actor: User, comment: str | None = None) -> None:
    """Withdraw the programme before a decision.

    :raises workflow_service.Conflict: when it can no longer be withdrawn.
    """
    _require(permissions.can_design_for(actor.actor, provider_id=programme.provider_id))
    workflow_service.transition(session, programme, Action.WITHDRAW, actor=actor, role=Role.DESIGNER,
                                comment=comment)


def start_revision(session: Session, programme: Programme, *, actor: User) -> None:
    """Open a new draft, a copy of the last version, after the programme was returned.

    :raises workflow_service.Conflict: when the programme is not waiting for a revision.
    """
    _require(permissions.can_design_for(actor.actor, provider_id=programme.provider_id))
    workflow_service.transition(session, programme, Action.START_REVISION, actor=actor, role=Role.DESIGNER,
                                details={"from_version": programme.current_version})
    version = get_version(session, programme, programme.current_version)
    programme.draft = version.content if version else canonical(working_data(programme))
    session.flush()


def compare(session: Session, programme: Programme, a: int, b: int) -> list[Change] | None:
    """Field-by-field changes from version `a` to version `b`; None when either does not exist."""
    old, new = get_version(session, programme, a), get_version(session, programme, b)
    if old is None or new is None:
        return None
    return proposal_diff(json.loads(old.content), json.loads(new.content))


def import_elm(session: Session, *, actor: User, document: Mapping[str, Any]) -> tuple[Programme, list[str]]:
    """A new draft from a Europass ELM v3 document, and the notes on what could not be mapped.

    :raises ElmImportError: when the document has nothing to import.
    """
    imported = proposal_from_elm(document, reference_data().vocabularies)
    programme = create_draft(session, actor=actor, data=imported.proposal_data, source="elm")
    return programme, list(imported.unmapped)


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed("You may not do this to this programme.")


def _merge(old: Any, new: Any) -> Any:
    """`new` over `old`, object by object (fields a form does not know keep their value); lists replace."""
    if isinstance(old, dict) and isinstance(new, Mapping):
        return {**old, **{key: _merge(old.get(key), value) for key, value in new.items()}}
    return new


def _validated(data: Mapping[str, Any]) -> Proposal:
    errors = [f"{path}: must be a finite number" for path in _non_finite(data, "")]
    if errors:
        raise ProposalFormatError(errors)
    return proposal_from_dict(data)


def _non_finite(value: Any, path: str) -> list[str]:
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in _non_finite(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list | tuple):
        return [p for index, item in enumerate(value) for p in _non_finite(item, f"{path}[{index}]")]
    return []


def _store_draft(programme: Programme, proposal: Proposal) -> None:
    """Keep the draft and the denormalised title, ECTS and EQF level (for lists) in step."""
    programme.draft = canonical(proposal_to_dict(proposal))
    title = "".join(ch for ch in proposal.identification.title if ch.isprintable())
    programme.title = title.strip()[:TITLE_LENGTH]
    ects = proposal.level.ects
    programme.ects = Decimal(str(round(ects, 1))) if ects is not None and 0 <= ects < 10000 else None
    programme.eqf_level = proposal.level.eqf_level


def warm_near_duplicates(session: Session) -> int:
    """Read and tokenise every accredited programme's last version now, as a worker starts (WARM_CACHES), rather
    than at the first draft it screens; how many it holds."""
    return len(_approved(session, None))


def _approved(session: Session, programme_id: int | None) -> list[ApprovedProgramme]:
    """Accredited programmes' last versions but `programme_id`'s, for the near-duplicate check.

    A version never changes, so each is read and tokenised once per process (`_APPROVED`, keyed by programme and
    the version's SHA-256, so that no key can mean two contents); a screening reads the keys of the accredited
    programmes' versions, and the content of only those it has not seen.
    """
    rows = session.execute(
        select(ProgrammeVersion.id, Programme.id, ProgrammeVersion.content_sha256)
        .join(ProgrammeVersion, and_(ProgrammeVersion.programme_id == Programme.id,
                                     ProgrammeVersion.number == Programme.current_version))
        .where(Programme.state.in_(ACCREDITED), Programme.id != programme_id)
    ).all()
    missing = [version_id for version_id, programme_id, sha in rows if (programme_id, sha) not in _APPROVED]
    for chunk in (missing[i:i + 1000] for i in range(0, len(missing), 1000)):
        for programme_id, sha, content in session.execute(
                select(ProgrammeVersion.programme_id, ProgrammeVersion.content_sha256, ProgrammeVersion.content)
                .where(ProgrammeVersion.id.in_(chunk))):
            _APPROVED.put((programme_id, sha), _approved_programme(programme_id, content))
    return [entry for _, programme_id, sha in rows if (entry := _APPROVED.get((programme_id, sha))) is not None]


def _approved_programme(programme_id: int, content: str) -> ApprovedProgramme:
    """The title and outcome texts of a frozen version, read straight from its JSON (it was valid when frozen)."""
    data = json.loads(content)
    outcomes = tuple(str(item.get("text", "")) for item in data.get("learning_outcomes") or ())
    entry = ApprovedProgramme(str(programme_id), str((data.get("identification") or {}).get("title", "")), outcomes)
    _ = entry.title_words, entry.outcome_words  # tokenised once, here, not at every screening
    return entry


class _Bounded:
    """A least-recently-used mapping of at most `size` entries (thread-safe enough for CPython's GIL: a lost
    update only costs a re-read)."""

    def __init__(self, size: int) -> None:
        self.size, self.entries = size, OrderedDict[tuple[int, str], ApprovedProgramme]()

    def __contains__(self, key: tuple[int, str]) -> bool:
        return key in self.entries

    def get(self, key: tuple[int, str]) -> ApprovedProgramme | None:
        entry = self.entries.get(key)
        if entry is not None:
            with suppress(KeyError):
                self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[int, str], entry: ApprovedProgramme) -> None:
        self.entries[key] = entry
        while len(self.entries) > self.size:
            with suppress(KeyError):
                self.entries.popitem(last=False)


_APPROVED = _Bounded(20_000)  # a few KB each: about 100 MB per process at most
