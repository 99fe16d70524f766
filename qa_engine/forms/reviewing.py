"""The reviewer's forms: declining an invitation, the declaration, the scoring form generated from the rubric;
and the QA officer's reasons for sending a review back."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from qa_engine.domain.rubric_model import Rubric
from qa_engine.domain.scoring import Mark
from qa_engine.services.reviewing import Declaration, Scoresheet, Statement

TEXT_LENGTH = 4000
MAX_HOURS = 999
NA = "na"


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"),
                           description=_l("The QA officer who invited you reads this."),
                           validators=[Optional(), Length(max=TEXT_LENGTH)])
    submit = SubmitField(_l("Decline the invitation"))


class ReopenForm(FlaskForm):
    comment = TextAreaField(_l("What the reviewer must reconsider"),
                            description=_l("The reviewer receives this comment by e-mail."),
                            validators=[DataRequired(message=_l("Say why the review goes back.")),
                                        Length(max=TEXT_LENGTH)])
    submit = SubmitField(_l("Send the review back to its reviewer"))


class DeclarationForm(FlaskForm):
    """Version 1 of the declaration: change a statement only together with services.reviewing.DECLARATION_VERSION."""

    independent = BooleanField(_l(
        "In the last five years I have not worked for, studied at, or advised the provider, and I am not "
        "applying to work there."))
    uninvolved = BooleanField(_l(
        "I took no part in designing this programme and have no personal or financial interest in its outcome."))
    unrelated = BooleanField(_l(
        "I have no close personal, family or professional relationship with the programme's staff."))
    confidential = BooleanField(_l(
        "I will keep the proposal, the panel's discussions and the outcome confidential, use them only for this "
        "review, and delete my copies when it ends."))
    impartial = BooleanField(_l(
        "I will judge the proposal on the published criteria alone, and tell the QA officer at once if a conflict "
        "of interest arises later."))
    conflict = BooleanField(_l("I have a conflict of interest with this programme or its provider"))
    conflict_description = TextAreaField(
        _l("The conflict of interest"),
        description=_l("Declaring a conflict closes your seat on this panel; the QA officer reads this."),
        validators=[Length(max=TEXT_LENGTH)])
    submit = SubmitField(_l("Sign the declaration"))

    STATEMENTS = ("independent", "uninvolved", "unrelated", "confidential", "impartial")

    def declaration(self) -> Declaration:
        """The answers, with the text of each statement as shown."""
        statements = tuple(Statement(key, str(self[key].label.text), bool(self[key].data)) for key in self.STATEMENTS)
        return Declaration(statements, bool(self.conflict.data), self.conflict_description.data or "")


class HoursField(DecimalField):
    """Hours to one decimal, 0 to 999; anything else (NaN, infinities, words) is a clear error, never a crash."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= MAX_HOURS:
            self.data = None
            raise ValueError(_l("Give a number of hours between 0 and %(max)d, like 6.5.", max=MAX_HOURS))
        self.data = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class ScoringBase(FlaskForm):
    """What every scoring form has besides the criteria: hours, the seat version it was opened at, two buttons."""

    hours = HoursField(_l("Hours spent on this review"), places=1,
                       description=_l("Required to submit; the agency's fee follows the hours you declare."))
    version = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,9}$")])
    save = SubmitField(_l("Save draft"))
    submit_review = SubmitField(_l("Submit the review"))


_FORMS: dict[tuple[str, str], type[ScoringBase]] = {}


def mark_field(criterion_id: str) -> str:
    """The name of the criterion's mark field."""
    return f"mark-{criterion_id}"


def justification_field(criterion_id: str) -> str:
    """The name of the criterion's justification field."""
    return f"justification-{criterion_id}"


def scoring_form_class(rubric: Rubric) -> type[ScoringBase]:
    """The scoring form of `rubric`: a mark (the scale's values, N/A where allowed) and a justification each."""
    key = (rubric.key, rubric.content_hash)
    if key not in _FORMS:
        fields: dict[str, Any] = {}
        for criterion in rubric.criteria:
            choices = [SelectChoice(str(lv.value), f"{lv.value} · {lv.label}") for lv in rubric.scale.levels]
            if criterion.na_allowed:
                choices.append(SelectChoice(NA, _l("N/A: not applicable")))
            # Off-scale and N/A values get through to domain.scoring.validate_marks, whose messages say why.
            fields[mark_field(criterion.id)] = RadioField(_l("Mark"), choices=choices, validate_choice=False)
            fields[justification_field(criterion.id)] = TextAreaField(_l("Justification"),
                                                                      validators=[Length(max=TEXT_LENGTH)])
        _FORMS[key] = type(f"ScoringForm_{rubric.id}_{rubric.version}", (ScoringBase,), fields)
    return _FORMS[key]


def scoring_form(rubric: Rubric, *, marks: Mapping[str, Mark] | None = None, hours: Decimal | None = None,
                 version: int | None = None) -> ScoringBase:
    """The posted scoring form, or (given the stored marks) one filled from them."""
    form_class = scoring_form_class(rubric)
    if marks is None:
        return form_class()
    data: dict[str, Any] = {"hours": hours, "version": str(version)}
    for cid, mark in marks.items():
        data[mark_field(cid)] = NA if mark.value is None else str(mark.value)
        data[justification_field(cid)] = mark.justification
    return form_class(formdata=None, data=data)


def scoresheet(form: ScoringBase, rubric: Rubric) -> Scoresheet:
    """The marks as posted: unmarked criteria are left out; unreadable input is a problem of its criterion."""
    marks: dict[str, Mark] = {}
    problems: dict[str, str] = {}
    for criterion in rubric.criteria:
        raw = (form[mark_field(criterion.id)].data or "").strip()
        justification = (form[justification_field(criterion.id)].data or "").strip()
        if form[justification_field(criterion.id)].errors:
            problems[criterion.id] = "the justification is too long"
        elif raw == NA:
            marks[criterion.id] = Mark(None, justification)
        elif raw.lstrip("-").isdigit() and len(raw) < 10:
            marks[criterion.id] = Mark(int(raw), justification)
        elif raw:
            problems[criterion.id] = "choose one of the marks shown"
        elif justification:
            problems[criterion.id] = "choose a mark for this justification, or clear it"
    return Scoresheet(marks, problems, form.hours.data, hours_readable=not form.hours.errors)


def posted_version(form: ScoringBase) -> int | None:
    """The seat version the form was opened at (None when missing or malformed)."""
    return None if form.version.errors or not form.version.data else int(form.version.data)


def attach_errors(form: ScoringBase, rubric: Rubric, errors: Mapping[str, str], hours: str | None = None) -> None:
    """Put each problem next to its field: a missing justification by the justification, the rest by the mark."""
    for criterion in rubric.criteria:
        if criterion.id not in errors or form[justification_field(criterion.id)].errors:
            continue  # a justification that is too long already says so
        message = errors[criterion.id]
        # The domain says "a justification is required ..." when the mark needs one: show it by the text box.
        target = form[justification_field(criterion.id) if message.startswith("a justification")
                      else mark_field(criterion.id)]
        _add_error(target, message[:1].upper() + message[1:] + ".")
    if hours:
        _add_error(form.hours, hours)


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]
