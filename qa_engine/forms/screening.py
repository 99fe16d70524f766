"""The QA officer's screening forms: the reasons for returning a programme, a note on accepting it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

COMMENT_LENGTH = 4000


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What the designer must change"),
                            description=_l("The designer sees this comment on the programme page."),
                            validators=[DataRequired(message=_l("Say why the programme goes back.")),
                                        Length(max=COMMENT_LENGTH)])
    submit = SubmitField(_l("Return to the designer"))


class AcceptForm(FlaskForm):
    comment = TextAreaField(_l("Note for the record (optional)"), validators=[Optional(), Length(max=COMMENT_LENGTH)])
    submit = SubmitField(_l("Accept for review"))
