"""Appeal forms: the provider's appeal, appointing the appeal panel, its outcome; withdrawing an approval."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from qa_engine.domain.decisions import AppealOutcome
from qa_engine.services.appeals import MAX_DOCUMENTS

TEXT_LENGTH = 20000
REASON_LENGTH = 4000
OUTCOME_LABELS = {
    AppealOutcome.DISMISSED: _l("Dismissed: the decision stands"),
    AppealOutcome.UPHELD: _l("Upheld: the programme goes back for a new decision"),
}


class LodgeForm(FlaskForm):
    grounds = TextAreaField(
        _l("Grounds of the appeal"),
        description=_l("Say what in the decision or the procedure you contest and why, e.g. a factual error or a "
                       "step of the procedure that was not followed."),
        validators=[DataRequired(message=_l("State the grounds of the appeal.")), Length(max=TEXT_LENGTH)])
    documents = MultipleFileField(
        _l("Supporting documents (PDF, DOCX or ODT; optional)"),
        description=_l("Up to %(n)d files. If the page comes back with an error, choose the files again.",
                       n=MAX_DOCUMENTS),
        render_kw={"accept": ".pdf,.docx,.odt"})
    submit = SubmitField(_l("Lodge the appeal"))

    def uploaded(self) -> list[FileStorage]:
        """The files chosen (a browser sends an empty part when none is)."""
        return [item for item in self.documents.data or [] if isinstance(item, FileStorage) and item.filename]


class AppointForm(FlaskForm):
    person_id = HiddenField(validators=[InputRequired(message=_l("Choose whom to appoint.")),
                                        Regexp(r"^\d{1,12}$", message=_l("Choose whom to appoint."))])


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("The panel's outcome"),
                         choices=[SelectChoice(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()],
                         validators=[InputRequired(message=_l("Choose the outcome."))])
    reason = TextAreaField(_l("Reasons"), description=_l("The provider reads these reasons."),
                           validators=[DataRequired(message=_l("Give the reasons for the outcome.")),
                                       Length(max=TEXT_LENGTH)])
    submit = SubmitField(_l("Record the outcome"))


class WithdrawApprovalForm(FlaskForm):
    reason = TextAreaField(_l("Why the approval is withdrawn"),
                           description=_l("The provider reads this and may appeal against the withdrawal."),
                           validators=[DataRequired(message=_l("Say why the approval is withdrawn.")),
                                       Length(max=REASON_LENGTH)])
    submit = SubmitField(_l("Withdraw the approval"))
