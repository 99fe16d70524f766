"""Consolidation forms: the panel's consensus on a criterion, and the provider's response to the draft report."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from qa_engine.domain.rubric_model import Criterion, Rubric
from qa_engine.services.consolidation import Board

REASON_LENGTH = 4000
RESPONSE_LENGTH = 20000
NOT_APPLICABLE = "na"


def _mark_shaped(form: Form, field: Field) -> None:
    """A level of the scale (a whole number) or N/A; whether it fits the criterion is the service's to say."""
    if field.data != NOT_APPLICABLE and not str(field.data or "").lstrip("-").isdigit():
        raise ValidationError(_l("Choose the panel's mark."))


class ConsensusForm(FlaskForm):
    """One criterion's consensus. Prefixed with the criterion id, so that a page holds one form per criterion."""

    class Meta:
        # The application-wide CSRF protection checks every POST; a prefixed form would want a prefixed token.
        csrf = False

    value = SelectField(_l("The panel's mark"), validate_choice=False,
                        description=_l("It replaces the reviewers' aggregate in the scores and the report."),
                        validators=[DataRequired(message=_l("Choose the panel's mark.")), _mark_shaped])
    reason = TextAreaField(_l("The panel's reasoning"),
                           description=_l("The provider reads this reasoning in the draft report."),
                           validators=[DataRequired(message=_l("Give the panel's reasoning.")),
                                       Length(max=REASON_LENGTH)])
    submit = SubmitField(_l("Record the consensus"))

    @property
    def mark(self) -> int | None:
        """The chosen value; None for N/A."""
        return None if self.value.data == NOT_APPLICABLE else int(self.value.data)

    def offer(self, rubric: Rubric, criterion: Criterion) -> ConsensusForm:
        """Offer the scale's levels, and N/A where the criterion allows it."""
        choices = [("", _l("Choose…"))] + [(str(level.value), f"{level.value} – {level.label}")
                                           for level in rubric.scale.levels]
        if criterion.na_allowed:
            choices.append((NOT_APPLICABLE, _l("Not applicable")))
        self.value.choices = choices
        return self

    def add_error(self, field: str, message: str) -> None:
        """Show a message from the service next to `field` (or above the form when it names none of its fields)."""
        target = getattr(self, field, None)
        (target.errors if isinstance(target, Field) else self.form_errors).append(message)


def posted_criterion() -> str:
    """The criterion a consensus form was posted for (a plain field, read before the prefixed form is built)."""
    return request.form.get("criterion", "").strip()[:80]


def consensus_forms(board: Board, posted: ConsensusForm | None = None,
                    posted_for: str = "") -> tuple[dict[str, ConsensusForm], list[str]]:
    """While the viewer may record consensus, a form for each criterion showing its recorded consensus, with the
    posted one (and its errors) in its place; and the posted form's errors when the page has no place for them."""
    forms: dict[str, ConsensusForm] = {}
    if board.can_record and board.rubric is not None:
        for row in board.rows:
            if posted is not None and row.criterion.id == posted_for:
                forms[row.criterion.id] = posted.offer(board.rubric, row.criterion)
                continue
            mark = row.consensus
            data = {} if mark is None else {"value": NOT_APPLICABLE if mark.value is None else str(mark.value),
                                            "reason": mark.reason}
            forms[row.criterion.id] = ConsensusForm(formdata=None, prefix=row.criterion.id, **data).offer(
                board.rubric, row.criterion)
    stray = [] if posted is None or posted_for in forms else [
        str(message) for messages in (posted.form_errors, *(f.errors for f in posted)) for message in messages]
    return forms, stray


class ResponseForm(FlaskForm):
    response = TextAreaField(_l("Your response"),
                             description=_l("Point out factual errors and clarify what the panel may have misread. "
                                            "The decision takes your response into account with the report."),
                             validators=[DataRequired(message=_l("Write your response.")),
                                         Length(max=RESPONSE_LENGTH)])
    submit = SubmitField(_l("Send the response"))
