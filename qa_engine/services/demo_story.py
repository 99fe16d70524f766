"""How the demo takes a programme to a state: the steps real people take, through the services the pages call.

Each target state is reached along the path the process allows (e.g. "expired" goes through submission,
screening, review, consolidation, the provider's response, an approval, and the approval's end), so the demo's
timelines, e-mails and audit trail are those of real cases.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from qa_engine import catalogue
from qa_engine.db import utcnow
from qa_engine.domain.decisions import ConditionDraft, validity_end
from qa_engine.domain.outcomes import Outcome
from qa_engine.domain.panels import ProfileType
from qa_engine.domain.scoring import Mark
from qa_engine.domain.uploads import UploadLimits
from qa_engine.domain.workflow import State
from qa_engine.forms.reviewing import DeclarationForm
from qa_engine.models import Assignment, Programme, User
from qa_engine.services import (
    appeals,
    conditions,
    consolidation,
    decision_records,
    decisions,
    panel,
    proposals,
    reviewing,
    reviews,
    screening,
    validity,
)
from qa_engine.services.decisions import Scope, Statement, Terms
from qa_engine.services.reviewing import Declaration, Scoresheet

OFFICER, SECOND_OFFICER = "officer@nqa.example", "officer2@nqa.example"
# The panel of each provider's programmes: nobody from the provider itself.
PANELS = {
    "Eastvale": [("reviewer@westmoor.example", ProfileType.ACADEMIC),
                 ("practitioner@harbour.example", ProfileType.PROFESSIONAL),
                 ("student@lakeside.example", ProfileType.STUDENT)],
    "Westmoor": [("academic@lakeside.example", ProfileType.ACADEMIC),
                 ("practitioner@harbour.example", ProfileType.PROFESSIONAL),
                 ("student@lakeside.example", ProfileType.STUDENT)],
}
#: Where the panel disagrees (the third member marks it low), so consolidation has something to settle.
DISPUTED = "D2.1"
#: Steps along the path, in order; a target state is reached by taking the steps up to it.
PATH = (State.SUBMITTED, State.SCREENING, State.IN_REVIEW, State.CONSOLIDATION, State.PROVIDER_RESPONSE,
        State.DECISION_PENDING)
OUTCOMES = {State.APPROVED: Outcome.APPROVED, State.CONDITIONS: Outcome.APPROVED_WITH_CONDITIONS,
            State.REVISE_AND_RESUBMIT: Outcome.REVISE_AND_RESUBMIT, State.REJECTED: Outcome.REJECTED,
            State.EXPIRED: Outcome.APPROVED, State.APPROVAL_WITHDRAWN: Outcome.APPROVED}


class Story:
    """The people and settings of the demo, and the steps that take a programme to a state."""

    #: What reviewers write for each criterion ({title}: the criterion's title) and for the disputed one.
    justification = "{title}: adequately evidenced in the proposal."
    dissent = "The outcomes are not mapped to any assessment; I could not verify them."
    consensus = "The panel agreed the mapping exists for most outcomes but two are not assessed; partly met."

    def __init__(self, session: Session, people: dict[str, User], settings: proposals.ScreeningSettings) -> None:
        self.session, self.people, self.screening = session, people, settings
        self.today: date = settings.today
        self.review_settings = reviews.current_settings()
        self.registry = catalogue.current().rubrics
        self.decision_settings = decisions.settings_from_config(current_app.config)
        self.officer = people[OFFICER]

    def take_to(self, programme: Programme, target: State, *, appeal: bool = False) -> None:
        """Take a draft programme to `target` (drafts stay as they are)."""
        designer = programme.designer
        if target is State.DRAFT:
            return
        if target is State.WITHDRAWN:
            proposals.submit(self.session, programme, actor=designer, settings=self.screening)
            proposals.withdraw(self.session, programme, actor=designer)
            return
        if target is State.RETURNED:
            proposals.submit(self.session, programme, actor=designer, settings=self.screening)
            screening.take(self.session, programme, actor=self.officer)
            screening.return_to_designer(self.session, programme, actor=self.officer, comment=(
                "Please state the entry requirements for learners without a degree and how prior learning is "
                "recognised (Council Recommendation, Annex I; check C12)."))
            return
        for step in PATH:
            self._step(programme, step)
            if step is target:
                return
        # An approval that is to expire in the demo is granted for a single day, and the expiry run looks ahead.
        ends = self.today + timedelta(days=1) if target is State.EXPIRED else None
        self._decide(programme, OUTCOMES[target], valid_until=ends)
        if target is State.CONDITIONS:
            self._evidence(programme)
        elif target is State.EXPIRED:
            validity.run(self.session, self.today + timedelta(days=2), ())
        elif target is State.APPROVAL_WITHDRAWN:
            validity.withdraw_approval(self.session, programme, actor=self.officer, today=self.today,
                                       appeal_days=self.decision_settings.appeal_days, reason=(
                                           "The provider stopped offering the work placement the approval "
                                           "relied on."))
        if appeal:
            self._appeal(programme)

    def _step(self, programme: Programme, step: State) -> None:
        designer = programme.designer
        if step is State.SUBMITTED:
            proposals.submit(self.session, programme, actor=designer, settings=self.screening)
        elif step is State.SCREENING:
            screening.take(self.session, programme, actor=self.officer)
        elif step is State.IN_REVIEW:
            screening.accept_for_review(self.session, programme, actor=self.officer, settings=self.review_settings,
                                        registry=self.registry, today=self.today,
                                        comment="Complete; the panel should look at the staff mix.")
            self._panel(programme)
        elif step is State.CONSOLIDATION:
            self._score(programme)
        elif step is State.PROVIDER_RESPONSE:
            self._consolidate(programme)
        elif step is State.DECISION_PENDING:
            consolidation.respond(self.session, programme, actor=designer, settings=self.review_settings,
                                  today=self.today, text=(
                                      "Thank you. One factual correction: the employer partner confirmed 12 "
                                      "placements, not 10 (letter attached to version 1)."))

    def _panel(self, programme: Programme) -> None:
        """Invite the provider's panel; the first two accept and sign their declarations, the third is invited."""
        for index, (email, profile) in enumerate(PANELS[programme.provider.short_name]):
            seat = panel.invite(self.session, programme, actor=self.officer, reviewer_id=self.people[email].id,
                                profile_type=profile, settings=self.review_settings, today=self.today)
            if index < 2:
                self._accept(seat)

    def _accept(self, seat: Assignment) -> None:
        reviewer = seat.reviewer
        reviewing.accept(self.session, seat, actor=reviewer)
        statements = tuple(reviewing.Statement(key, str(getattr(DeclarationForm, key).args[0]), True)
                           for key in DeclarationForm.STATEMENTS)
        reviewing.sign_declaration(self.session, seat, Declaration(statements, conflict=False), actor=reviewer)

    def _score(self, programme: Programme) -> None:
        """The third member accepts; everyone submits; the last submission moves the case to consolidation."""
        review = reviews.current_round(self.session, programme.id)
        rubric = reviews.pinned_rubric(review, self.registry)
        seats = [seat for seat in review.assignments if seat.removed_at is None]
        for index, seat in enumerate(seats):
            if seat.declared_at is None:
                self._accept(seat)
            marks = {c.id: Mark(3, self.justification.format(title=c.title)) for c in rubric.criteria}
            if index == 2:
                marks[DISPUTED] = Mark(1, self.dissent)
            reviewing.submit(self.session, seat, Scoresheet(marks, hours=reviewing_hours(index)), actor=seat.reviewer,
                             rubric=rubric, expected_version=seat.version, settings=self.review_settings)

    def _consolidate(self, programme: Programme) -> None:
        review = reviews.current_round(self.session, programme.id)
        rubric = reviews.pinned_rubric(review, self.registry)
        for criterion_id in reviews.panel_score(self.session, review, rubric, self.review_settings).to_discuss:
            consolidation.record_consensus(self.session, programme, actor=self.officer, criterion_id=criterion_id,
                                           value=2, registry=self.registry, reason=self.consensus)
        consolidation.send_report(self.session, programme, actor=self.officer, settings=self.review_settings,
                                  registry=self.registry, now=utcnow())

    def _decide(self, programme: Programme, outcome: Outcome, *, valid_until: date | None = None) -> None:
        review = reviews.current_round(self.session, programme.id)
        rubric = reviews.pinned_rubric(review, self.registry)
        recommended = reviews.panel_score(self.session, review, rubric, self.review_settings).recommended
        accredits = decisions.accredits(outcome)
        until = valid_until or validity_end(self.today, self.decision_settings.validity_years)
        conditions_drafts = (ConditionDraft(
            "Map every learning outcome to at least one assessment and publish the mapping to learners.",
            "The published assessment map and the revised module handbook.", self.today + timedelta(days=120)),
        ) if outcome is Outcome.APPROVED_WITH_CONDITIONS else ()
        statement = Statement(
            outcome, Terms(_RATIONALES[outcome], recommendations=(
                "Consider an employer advisory board to keep the outcomes current."),
                valid_from=self.today if accredits else None, valid_until=until if accredits else None,
                scope=Scope(eqf_level=programme.eqf_level)),
            departure_reason="" if recommended in (None, outcome) else (
                "The committee weighed the provider's response, which settles the panel's main doubt."),
            conditions=conditions_drafts, decision_body=self.decision_settings.body,
            members_present=("Olga Officer (chair)", "Oscar Second", "External member"))
        decisions.decide(self.session, programme, statement, actor=self.officer, settings=self.decision_settings,
                         review_settings=self.review_settings, registry=self.registry, today=self.today)

    def _evidence(self, programme: Programme) -> None:
        """The designer answers the condition; it waits for the officer's judgement."""
        decision = decision_records.in_effect(self.session, programme.id)
        condition = decisions.conditions_of(self.session, decision)[0]
        conditions.submit_evidence(self.session, condition, actor=programme.designer, version=condition.version,
                                   text="The assessment map is published on the course page (section 4).")

    def _appeal(self, programme: Programme) -> None:
        """The provider appeals; an officer who took no part sits on the appeal panel."""
        grounds = "The panel read version 1; the staffing plan it found missing is on page 14."
        appeal = appeals.lodge(self.session, programme, actor=programme.designer, grounds=grounds, documents=(),
                               today=self.today, days=self.decision_settings.appeal_days, limits=UploadLimits(),
                               directory=Path())
        appeals.appoint(self.session, appeal, actor=self.officer, person_id=self.people[SECOND_OFFICER].id)


def reviewing_hours(index: int) -> Decimal:
    """Hours a demo reviewer declares: 6, 7.5, 9."""
    return Decimal("6") + Decimal("1.5") * index


_RATIONALES = {
    Outcome.APPROVED: "The programme meets every standard; outcomes, assessment and staffing are coherent at "
                      "EQF level 6.",
    Outcome.APPROVED_WITH_CONDITIONS: "The programme is sound, but two learning outcomes are not assessed; this "
                                      "must be put right before the second intake.",
    Outcome.REVISE_AND_RESUBMIT: "The workload does not match the credits and the assessment plan is incomplete; "
                                 "a revised proposal is needed.",
    Outcome.REJECTED: "The programme does not reach EQF level 6: the outcomes describe familiarisation, not "
                      "application and analysis, and no assessment verifies them.",
}
