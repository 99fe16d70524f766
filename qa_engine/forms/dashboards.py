"""The QA dashboard's and the analytics' forms: the programme list's filters, the bulk selection and the period."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from qa_engine.domain.workflow import State
from qa_engine.services import dashboards
from qa_engine.services.analytics import Period
from qa_engine.services.dashboards import Filters

EXPIRY_WINDOWS = (30, 90, 180, 365)
DEFAULT_WINDOW = 90
MAX_PERIOD_YEARS = 10


class QuickSelect(widgets.Select):
    """A <select> that writes its plain options in one f-string each, as `widgets.Select` writes them: the provider
    filter has an option for each of a thousand institutions, which the stock widget takes some 15 ms to write."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if choice.render_kw or kwargs or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class FilterForm(FlaskForm):
    """The programme list's filters and search, read from the query string."""

    class Meta:
        csrf = False

    state = SelectField(_l("Status"), default="", choices=[SelectChoice("", _l("Any status"))] + [
        SelectChoice(s.value, s.label) for s in State if s is not State.DRAFT])
    provider = SelectField(_l("Provider"), default="", choices=[SelectChoice("", _l("Any provider"))],
                           widget=QuickSelect())
    level = SelectField(_l("EQF level"), default="", choices=[SelectChoice("", _l("Any level"))] + [
        SelectChoice(str(n)) for n in dashboards.LEVELS])
    q = StringField(_l("Search by programme or provider"), validators=[Optional(), Length(max=100)])
    within = SelectField(_l("Approvals ending within"), default=str(DEFAULT_WINDOW),
                         choices=[SelectChoice(str(days), _l("%(days)d days", days=days)) for days in EXPIRY_WINDOWS])

    def filters(self) -> Filters:
        """The valid input as filters."""
        return Filters(State(self.state.data) if self.state.data else None,
                       int(self.provider.data) if self.provider.data else None,
                       int(self.level.data) if self.level.data else None, (self.q.data or "").strip())


def _at_most(form: FlaskForm, field: SelectMultipleField) -> None:
    if len(field.data or []) > dashboards.MAX_SELECTED:
        raise ValidationError(_l("Select at most %(n)d programmes at once.", n=dashboards.MAX_SELECTED))


class BulkForm(FlaskForm):
    """The programmes ticked in the list, for a bulk action, and the list to come back to."""

    programme = SelectMultipleField(_l("Programmes"), coerce=int, validate_choice=False,
                                    validators=[DataRequired(_l("Select at least one programme.")), _at_most])
    back = HiddenField()


class PeriodForm(FlaskForm):
    """The period of the analytics, read from the query string; both days included."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), name="from", validators=[Optional()])
    end = DateField(_l("To"), name="to", validators=[Optional()])

    def period(self, today: date) -> Period:
        """The period asked for: by default the year up to today."""
        end = self.end.data or today
        return Period(self.start.data, end) if self.start.data else Period.year_to(end)

    def validate_end(self, field: DateField) -> None:
        start, end = self.start.data, field.data or date.today()
        if start and end < start:
            raise ValidationError(_l("The period ends before it starts: “To” must not be before “From”."))
        if start and (end - start).days > 366 * MAX_PERIOD_YEARS:
            raise ValidationError(_l("Choose a period of at most %(n)d years.", n=MAX_PERIOD_YEARS))
