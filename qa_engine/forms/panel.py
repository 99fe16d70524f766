"""Forms of the reviewer pool and the panel: profiles, conflicts of interest, invitations and seat changes.

They check the shape of the input only; whether a code is in the vocabulary, a reviewer may be invited or a
date is late enough is for services.reviewer_pool and services.panel to say.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from qa_engine.domain.panels import ProfileType
from qa_engine.forms.admin import CheckboxesField
from qa_engine.services.reviewer_pool import PoolFilters, ProfileValues

REASON_LENGTH = 2000
PROFILE_CHOICES = [SelectChoice(p.value, p.label) for p in ProfileType]


class ListField(StringField):
    """A list typed as text, items separated by commas, semicolons or new lines (and spaces, for codes)."""

    joiner = ", "

    def __init__(self, *args: Any, split_on_spaces: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.separator = re.compile(r"[,;\s]+" if split_on_spaces else r"[,;\n]+")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [item.strip() for item in self.separator.split(str(valuelist[0])) if item.strip()]

    def _value(self) -> str:
        return self.joiner.join(self.data or [])


class TextListField(ListField):
    """A ListField in a text area: one item per line."""

    widget = widgets.TextArea()
    joiner = "\n"


class ProfileForm(FlaskForm):
    profile_types = CheckboxesField(_l("Profiles the reviewer can sit for"), choices=PROFILE_CHOICES)
    expertise = ListField(_l("Fields of expertise (ISCED-F 2013 codes)"), split_on_spaces=True,
                          description=_l("2-, 3- or 4-digit codes separated by commas, e.g. 061, 0688."))
    keywords = TextListField(_l("Keywords"), description=_l("One per line, e.g. data analytics."))
    languages = ListField(_l("Languages (ISO 639-1 codes)"), split_on_spaces=True,
                          description=_l("Two-letter codes separated by commas, e.g. en, es."))
    available = BooleanField(_l("Available for new reviews"))
    available_from = DateField(_l("Unavailable until (optional)"), validators=[Optional()],
                               description=_l("Leave empty when available now."))
    max_load = IntegerField(_l("Most reviews at once (optional)"),
                            validators=[Optional(), NumberRange(min=1, message=_l("At least 1; empty for no limit."))])
    biography = TextAreaField(_l("Short biography"), validators=[Length(max=4000)])
    submit = SubmitField(_l("Save the profile"))

    def values(self) -> ProfileValues:
        """The submitted profile as plain values for the service."""
        return ProfileValues(
            profile_types=tuple(self.profile_types.data or ()), expertise=tuple(self.expertise.data or ()),
            keywords=tuple(self.keywords.data or ()), languages=tuple(self.languages.data or ()),
            available=bool(self.available.data), available_from=self.available_from.data,
            max_load=self.max_load.data, biography=self.biography.data or "")


class PrefixedForm(FlaskForm):
    """A form that shares its page with another: its prefix keeps the ids of both unique."""

    default_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.default_prefix)
        super().__init__(*args, **kwargs)


class ConflictForm(PrefixedForm):
    default_prefix = "conflict"
    # Any id is accepted here: the service says why a conflict cannot be declared, in words.
    institution = SelectField(_l("Institution"), coerce=int, validate_choice=False,
                              validators=[DataRequired(message=_l("Choose an institution."))])
    reason = TextAreaField(_l("Why you have a conflict of interest"),
                           validators=[DataRequired(message=_l("Say why you have a conflict.")),
                                       Length(max=REASON_LENGTH)])
    submit = SubmitField(_l("Declare the conflict"))


class WithdrawConflictForm(FlaskForm):
    conflict_id = IntegerField(validators=[InputRequired()], widget=widgets.HiddenInput())


class InviteForm(FlaskForm):
    # Any id is accepted here: the service says why someone cannot be invited, in words.
    reviewer_id = SelectField(_l("Reviewer"), coerce=int, validate_choice=False,
                              validators=[InputRequired(message=_l("Choose a reviewer."))])
    profile_type = SelectField(_l("Sits on the panel as"), choices=PROFILE_CHOICES,
                               validators=[InputRequired(message=_l("Choose a profile."))])
    submit = SubmitField(_l("Send the invitation"))


class SeatForm(FlaskForm):
    """A change to a seat, carrying the seat version the officer saw (the compare-and-set token)."""

    version = IntegerField(validators=[InputRequired()], widget=widgets.HiddenInput())


class RemoveForm(SeatForm):
    reason = TextAreaField(_l("Why the member leaves the panel"),
                           description=_l("Kept in the audit trail; the reviewer is not told."),
                           validators=[DataRequired(message=_l("Say why the member leaves the panel.")),
                                       Length(max=REASON_LENGTH)])
    submit = SubmitField(_l("Remove from the panel"))


class ReplaceForm(RemoveForm):
    reviewer_id = InviteForm.reviewer_id
    profile_type = InviteForm.profile_type
    submit = SubmitField(_l("Remove and invite the replacement"))


class DueDateForm(PrefixedForm):
    default_prefix = "due"
    due_on = DateField(_l("Reviews due on"), validators=[InputRequired(message=_l("Give a date."))])
    submit = SubmitField(_l("Set the due date"))


class FiltersForm(FlaskForm):
    """The pool list's search and filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name, institution or keyword"), validators=[Optional(), Length(max=100)])
    profile = SelectField(_l("Profile"), choices=[SelectChoice("", _l("Any profile")), *PROFILE_CHOICES],
                          validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])  # choices: the language vocabulary
    available = BooleanField(_l("Available now"))

    def filters(self) -> PoolFilters:
        """The filters asked for; a value that does not validate is ignored rather than refused."""
        def valid(field: Any) -> Any:
            return field.data if field.data and not field.errors else None

        self.validate()
        profile = valid(self.profile)
        return PoolFilters(search=(valid(self.q) or "").strip(), profile_type=ProfileType(profile) if profile else None,
                           language=valid(self.language), available_only=bool(self.available.data))

