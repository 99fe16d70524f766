"""Decision forms: the decision with its binding conditions, declining a proposed one, correcting one in effect,
and the follow-up of conditions (the provider's evidence, the officer's judgement).

The forms check the shape of the input; what a decision must state (domain.decisions.problems) and the rules of
blind review are the services', and their messages are shown on the fields they name (`show`).
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from qa_engine.domain.decisions import ConditionDraft
from qa_engine.domain.outcomes import Outcome, parse
from qa_engine.domain.vocabularies import Vocabularies
from qa_engine.forms.proposal import RowList
from qa_engine.services.decisions import Scope, Statement, Terms

TEXT = 20000
SHORT_TEXT = 4000
CONDITION_ROWS = 3  # empty rows offered at first
MAX_CONDITIONS = 20
MET, NOT_MET = "met", "not_met"


class ConditionForm(Form):
    """One binding condition; a row left empty is no condition."""

    text = TextAreaField(_l("What the provider must do"), validators=[Length(max=SHORT_TEXT)])
    evidence_required = TextAreaField(_l("Evidence required"), validators=[Length(max=SHORT_TEXT)])
    due_on = DateField(_l("Due on"), validators=[Optional()])

    @property
    def blank(self) -> bool:
        """Nothing was written in this row."""
        return not (str(self.text.data or "").strip() or str(self.evidence_required.data or "").strip()
                    or self.due_on.data)

    def draft(self) -> ConditionDraft:
        """The row as the decision rules read it."""
        return ConditionDraft(str(self.text.data or ""), str(self.evidence_required.data or ""), self.due_on.data)


class RequiredByRules:
    """Marks a field the decision rules require (domain.decisions says why when it is empty), so that the form
    shows it as required; the check itself stays with the rules, in one place."""

    field_flags = {"required": True}

    def __call__(self, form: FlaskForm, field: object) -> None:
        return None


class TermsForm(FlaskForm):
    """What a decision states besides its outcome: all a correction may change."""

    rationale = TextAreaField(_l("Rationale"), description=_l("The reasons for the decision. It is published, and "
                                                              "the provider may appeal against it."),
                              validators=[RequiredByRules(), Length(max=TEXT)])
    recommendations = TextAreaField(_l("Recommendations (not binding)"),
                                    description=_l("Advice to the provider; binding requirements are conditions."),
                                    validators=[Length(max=TEXT)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), description=_l("The last day of the approval."),
                            validators=[Optional()])
    limit_eqf_level = SelectField(_l("EQF level"), choices=[SelectChoice("", _l("No limit"))] + [
        SelectChoice(str(n)) for n in range(1, 9)])
    limit_field = SelectField(_l("Field of education (ISCED-F)"), choices=[])
    limit_mode = SelectField(_l("Mode of delivery"), choices=[])

    def offer(self, vocabularies: Vocabularies) -> TermsForm:
        """Offer the ISCED-F fields and the modes of delivery of the vocabularies."""
        self.limit_field.choices = [SelectChoice("", _l("No limit"))] + [
            SelectChoice(code, f"{code} {label}") for code, label in sorted(vocabularies.isced_fields.items())]
        self.limit_mode.choices = [SelectChoice("", _l("No limit"))] + [
            SelectChoice(term.id, term.label) for term in vocabularies.modes.values()]
        return self

    def fill(self, terms: Terms) -> None:
        """Start from `terms` (a GET: nothing was posted)."""
        self.rationale.data, self.recommendations.data = terms.rationale, terms.recommendations
        self.valid_from.data, self.valid_until.data = terms.valid_from, terms.valid_until
        self.limit_eqf_level.data = str(terms.scope.eqf_level or "")
        self.limit_field.data, self.limit_mode.data = terms.scope.field or "", terms.scope.mode or ""

    def terms(self) -> Terms:
        """The posted terms."""
        level = self.limit_eqf_level.data
        return Terms(str(self.rationale.data or ""), str(self.recommendations.data or ""), self.valid_from.data,
                     self.valid_until.data, Scope(int(level) if level else None, self.limit_field.data or None,
                                                  self.limit_mode.data or None))

    def show(self, errors: Mapping[str, str]) -> None:
        """Put the services' messages on the fields they name (above the form when they name none)."""
        for name, message in errors.items():
            target = getattr(self, name, None)
            (target.errors if isinstance(target, Field) else self.form_errors).append(message)


class DecisionForm(TermsForm):
    outcome = RadioField(_l("Outcome"), choices=[SelectChoice(o.value, o.label) for o in Outcome],
                         validate_choice=False)
    departure_reason = TextAreaField(_l("Why the decision departs from the recommended outcome"),
                                     description=_l("Needed when the outcome is not the one the scores recommend."),
                                     validators=[Length(max=TEXT)])
    conditions = RowList(FormField(ConditionForm), label=_l("Binding conditions"), min_entries=CONDITION_ROWS,
                         max_entries=MAX_CONDITIONS)
    add_condition = SubmitField(_l("Add a condition"))
    decision_body = StringField(_l("Decision body"), validators=[Length(max=200)])
    members_present = TextAreaField(_l("Members present"), description=_l("One name a line."),
                                    validators=[Length(max=SHORT_TEXT)])
    submit = SubmitField(_l("Record the decision"))

    def fill_defaults(self, terms: Terms, body: str) -> None:
        """Start a fresh decision: the default terms and the configured decision body."""
        self.fill(terms)
        self.decision_body.data = body

    def add_row(self) -> None:
        """One more empty condition row (up to the maximum); nothing is saved."""
        if len(self.conditions.entries) < MAX_CONDITIONS:
            self.conditions.append_entry()

    def statement(self) -> Statement:
        """The posted decision; empty condition rows are left out."""
        members = tuple(line.strip() for line in str(self.members_present.data or "").splitlines() if line.strip())
        return Statement(parse(self.outcome.data or ""), self.terms(), str(self.departure_reason.data or ""),
                         tuple(entry.form.draft() for entry in self._filled()), str(self.decision_body.data or ""),
                         members)

    def show(self, errors: Mapping[str, str]) -> None:
        """As TermsForm.show; a condition's message goes on its row."""
        rows = self._filled()
        plain = {}
        for name, message in errors.items():
            index = name.removeprefix("conditions-")
            if index != name and index.isdigit() and int(index) < len(rows):
                rows[int(index)].form.form_errors.append(message)
            else:
                plain[name] = message
        super().show(plain)

    def _filled(self) -> list[FormField]:
        return [entry for entry in self.conditions.entries if not entry.form.blank]


class CorrectionForm(TermsForm):
    correction_reason = TextAreaField(_l("What was wrong"),
                                      description=_l("Published with the correction; the provider is told."),
                                      validators=[Length(max=SHORT_TEXT)])
    submit = SubmitField(_l("Record the correction"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Why you decline it"), description=_l("The proposer reads this; the case is then "
                                                                    "decided afresh."),
                           validators=[DataRequired(message=_l("Say why the decision is declined.")),
                                       Length(max=SHORT_TEXT)])
    submit = SubmitField(_l("Decline the decision"))


class EvidenceForm(FlaskForm):
    """The provider's evidence for one condition; prefixed with the condition, so a page holds one per condition."""

    class Meta:
        csrf = False  # the application-wide CSRF protection checks every POST

    text = TextAreaField(_l("New evidence"), description=_l("What was done, and where the QA officer finds the proof."),
                         validators=[DataRequired(message=_l("Describe the evidence.")), Length(max=TEXT)])
    version = HiddenField()
    submit = SubmitField(_l("Submit the evidence"))

    @property
    def seen_version(self) -> int | None:
        """The condition's version when the page was loaded (None when it was not posted)."""
        return _whole(self.version.data)


class JudgementForm(FlaskForm):
    """A QA officer's judgement of the evidence waiting for one condition; prefixed like EvidenceForm."""

    class Meta:
        csrf = False

    verdict = RadioField(_l("Judgement"), choices=[SelectChoice(MET, _l("Met")),
                                                        SelectChoice(NOT_MET, _l("Not met"))],
                         validate_choice=False,
                         validators=[InputRequired(message=_l("Say whether the condition is met.")),
                                     AnyOf([MET, NOT_MET], message=_l("Say whether the condition is met."))])
    comment = TextAreaField(_l("Comment"), description=_l("The provider reads this."),
                            validators=[DataRequired(message=_l("Give your reasons.")), Length(max=SHORT_TEXT)])
    version = HiddenField()
    submit = SubmitField(_l("Record the judgement"))

    @property
    def met(self) -> bool:
        """The evidence was judged to meet the condition."""
        return self.verdict.data == MET

    @property
    def seen_version(self) -> int | None:
        """The condition's version when the page was loaded."""
        return _whole(self.version.data)


def condition_prefix(condition_id: int) -> str:
    """The prefix of a condition's evidence and judgement forms."""
    return f"c{condition_id}"


def _whole(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
