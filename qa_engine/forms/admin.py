"""Administration forms: institutions and accounts."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import DataRequired, Email, Length, Regexp

from qa_engine.domain.roles import InstitutionKind, Role


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    institution = SelectField(_l("Institution"), coerce=int, validators=[DataRequired()])
    roles = CheckboxesField(_l("Roles"), choices=[SelectChoice(role.value, role.label) for role in Role],
                            validators=[DataRequired(message=_l("Choose at least one role."))])
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False),
                                                         Length(max=254)])
    submit = SubmitField(_l("Create account and invitation"))


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[DataRequired(), Length(max=40)])
    country = StringField(_l("Country code"), description=_l("ISO 3166-1 alpha-2, e.g. ES; or a region like GB-SCT"),
                          validators=[DataRequired(), Regexp(r"^[A-Za-z]{2}(-[A-Za-z]{2,3})?$",
                                                             message=_l("Use a code like ES or GB-SCT."))])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(InstitutionKind.AGENCY.value, _l("QA agency or QA office")),
                                            SelectChoice(InstitutionKind.PROVIDER.value, _l("Provider of programmes"))])
    submit = SubmitField(_l("Create institution"))
