"""The designer's forms: one per section of the proposal, shaped like the proposal format itself.

Each section form holds sub-forms named after the format's top-level keys, so `payload(form)` is a
fragment of the format that the service merges into the draft. Repeatable rows (outcomes,
assessments, staff, evidence, indicators) are FieldLists with add and remove buttons that work
without JavaScript. Choice lists come from the controlled vocabularies.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    Field,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from qa_engine.domain.proposal import (
    AttachmentKind,
    LearningSetting,
    OutcomeKind,
    QualificationLevel,
    StaffCategory,
)
from qa_engine.services.proposals import reference_data

SHORT, LONG = 300, 10_000
MAX_ROWS = 40
MAX_LINES = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_INLINE = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_KEYS = frozenset({"csrf_token", "save", "add_row"})
NOT_SET = SelectChoice("", _l("— not set —"))


# Fields ---------------------------------------------------------------------------------------------

class LinesField(TextAreaField):
    """A list of strings, one per line."""

    def process_data(self, value: Any) -> None:
        self.data = [str(item) for item in value] if isinstance(value, list | tuple) else []

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [line.strip() for line in str(valuelist[0]).splitlines() if line.strip()]

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else "\n".join(self.data or [])

    def pre_validate(self, form: Form) -> None:
        if len(self.data or []) > MAX_LINES:
            raise ValidationError(_l("Give at most %(n)d lines.", n=MAX_LINES))
        if any(len(line) > SHORT for line in self.data or []):
            raise ValidationError(_l("Keep each line under %(n)d characters.", n=SHORT))


class IdListField(StringField):
    """Identifiers separated by commas (learning outcome ids an assessment covers)."""

    def process_data(self, value: Any) -> None:
        self.data = [str(item) for item in value] if isinstance(value, list | tuple) else []

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [item.strip() for item in re.split(r"[,;\s]+", str(valuelist[0])) if item.strip()]

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ", ".join(self.data or [])

    def pre_validate(self, form: Form) -> None:
        if len(self.data or []) > MAX_ROWS or any(len(item) > 40 for item in self.data or []):
            raise ValidationError(_l("Give at most %(n)d short identifiers, like LO1, LO2.", n=MAX_ROWS))


class IsoDateField(DateField):
    """A date that also accepts the format's ISO strings as its data."""

    def process_data(self, value: Any) -> None:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        self.data = value


class RowList(FieldList):
    """A FieldList that ignores absurd row numbers in posted names instead of failing on them."""

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 4:
                    yield int(index)


def _finite(form: Form, field: Field) -> None:
    if isinstance(field.data, float) and not math.isfinite(field.data):
        raise ValidationError(_l("Give a finite number."))


def number(label: Any, maximum: float, **kwargs: Any) -> FloatField:
    return FloatField(label, validators=[Optional(), _finite, NumberRange(min=0, max=maximum)], **kwargs)


def whole(label: Any, minimum: int, maximum: int, **kwargs: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=minimum, max=maximum)], **kwargs)


def line(label: Any, maximum: int = SHORT, **kwargs: Any) -> StringField:
    return StringField(label, validators=[Length(max=maximum)], **kwargs)


def text(label: Any, **kwargs: Any) -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=LONG)], **kwargs)


def _none_if_blank(value: Any) -> Any:
    return value or None


def enum_choice(label: Any, enum: type, **kwargs: Any) -> SelectField:
    """A choice among an enum's values, or none (stored as null)."""
    choices = [NOT_SET, *(SelectChoice(m.value, m.value.replace("_", " ").capitalize()) for m in enum)]
    return SelectField(label, choices=choices, coerce=_none_if_blank, **kwargs)


def vocabulary_choice(label: Any, vocabulary: str, **kwargs: Any) -> SelectField:
    """A choice among a controlled vocabulary's ids, or none (stored as "")."""
    return SelectField(label, choices=lambda: [NOT_SET, *_vocabulary(vocabulary)], **kwargs)


def _vocabulary(name: str) -> list[SelectChoice]:
    vocabularies = reference_data().vocabularies
    if name == "languages":
        return [SelectChoice(code, f"{label} ({code})") for code, label in sorted(
            vocabularies.languages.items(), key=lambda item: item[1])]
    if name == "isced_fields":
        return [SelectChoice(code, f"{code} {label}") for code, label in vocabularies.isced_fields.items()]
    return [SelectChoice(term.id, term.label) for term in getattr(vocabularies, name).values()]


def _tristate(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    options = {"": None, "yes": True, "no": False}
    if value not in options:
        raise ValueError(value)
    return options[value]


# Parts: plain sub-forms, one per object of the format --------------------------------------------

class Part(Form):
    """A sub-form that also refuses control characters in any text it holds."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if _has_control_characters(field):
                field.errors = [*field.errors, _l("Remove the control characters from this text.")]
                valid = False
        return valid


def _has_control_characters(field: Field) -> bool:
    pattern = _CONTROL if isinstance(field, TextAreaField) and not isinstance(field, LinesField) else _CONTROL_INLINE
    values = field.data if isinstance(field.data, list) and not isinstance(field, FieldList) else [field.data]
    return any(isinstance(value, str) and pattern.search(value) for value in values)


class IdentificationPart(Part):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=SHORT)])
    internal_code = line(_l("Internal code"), 100)
    description = text(_l("Description"))
    programme_type = line(_l("Type of programme"))
    credential_type = line(_l("Type of credential awarded"))
    partners = LinesField(_l("Partners"), description=_l("One partner organisation per line."))


class AwardingBodyPart(Part):
    name = line(_l("Awarding body"))
    country = line(_l("Country code"), 8, description=_l("ISO 3166-1 alpha-2, e.g. ES"))
    identifier = line(_l("Identifier"), description=_l("e.g. a SCHAC code or a register number"))


class ContactPart(Part):
    name = line(_l("Contact person"))
    email = line(_l("Contact e-mail"), 254)
    phone = line(_l("Contact telephone"), 50)


class HoursPart(Part):
    contact = number(_l("Contact hours"), 10_000)
    guided = number(_l("Guided learning hours"), 10_000)
    self_study = number(_l("Self-study hours"), 10_000)
    work_based = number(_l("Work-based learning hours"), 10_000)
    assessment = number(_l("Assessment hours"), 10_000)


class LevelPart(Part):
    eqf_level = whole(_l("EQF level"), 1, 8)
    eqf_na_reason = line(_l("Why no EQF level applies"))
    nqf_country = line(_l("National framework country"), 8)
    nqf_level = line(_l("National framework level"), 100)
    qf_ehea_cycle = line(_l("QF-EHEA cycle"), 100)
    ects = number(_l("ECTS credits"), 1000)
    total_hours = number(_l("Total learner hours"), 100_000)
    hours = FormField(HoursPart, label=_l("Hours by kind of learning"))
    duration_weeks = number(_l("Duration in weeks"), 520)
    start_date = IsoDateField(_l("Start date"), validators=[Optional()])
    end_date = IsoDateField(_l("End date"), validators=[Optional()])


class ClassificationPart(Part):
    isced_f_code = vocabulary_choice(_l("ISCED-F field of education"), "isced_fields")
    esco_occupations = LinesField(_l("ESCO occupations"), description=_l("One ESCO URI per line."))
    esco_skills = LinesField(_l("ESCO skills"), description=_l("One ESCO URI per line."))
    learning_setting = enum_choice(_l("Learning setting"), LearningSetting)
    target_group = text(_l("Target group"))


class EvidenceRow(Part):
    kind = vocabulary_choice(_l("Kind of evidence"), "evidence_kinds")
    reference = line(_l("Reference"))
    description = text(_l("What it shows"))


class JustificationPart(Part):
    need_statement = text(_l("Statement of need"))
    evidence = RowList(FormField(EvidenceRow), label=_l("Evidence of need"), max_entries=MAX_ROWS)
    demand_estimate = text(_l("Expected demand"))
    duplication_statement = text(_l("Overlap with existing provision"))


class OutcomeRow(Part):
    id = line(_l("Identifier"), 40, description=_l("e.g. LO1"))
    text = TextAreaField(_l("Learning outcome"), validators=[Length(max=2000)])
    kind = enum_choice(_l("Kind"), OutcomeKind)
    esco_skills = LinesField(_l("ESCO skills"), description=_l("One ESCO URI per line."))


class AssessmentRow(Part):
    id = line(_l("Identifier"), 40, description=_l("e.g. A1"))
    title = line(_l("Title"))
    type = vocabulary_choice(_l("Type"), "assessment_types")
    weight_percent = number(_l("Weight (%)"), 100)
    outcome_ids = IdListField(_l("Learning outcomes assessed"), description=_l("Identifiers separated by commas."))
    pass_criteria = text(_l("Pass criteria"))
    grading_scheme = line(_l("Grading scheme"))
    supervision = vocabulary_choice(_l("Supervision and identity verification"), "supervision_levels")
    language = vocabulary_choice(_l("Language"), "languages")


class AdmissionPart(Part):
    entry_requirements = text(_l("Entry requirements"))
    rpl_route = text(_l("Recognition of prior learning"))
    selection_method = text(_l("Selection method"))
    places_min = whole(_l("Minimum number of places"), 0, 100_000)
    places_max = whole(_l("Maximum number of places"), 0, 100_000)
    support_services = text(_l("Support services"))
    accessibility = text(_l("Accessibility"))
    fee = number(_l("Fee"), 1_000_000)
    fee_currency = line(_l("Fee currency"), 3, description=_l("ISO 4217, e.g. EUR"))


class DeliveryPart(Part):
    mode = vocabulary_choice(_l("Form of participation"), "modes")
    platform = line(_l("Online platform"))
    location = line(_l("Location"))
    languages = SelectMultipleField(_l("Languages of instruction"), choices=lambda: _vocabulary("languages"),
                                    render_kw={"size": 6})
    timetable = text(_l("Timetable"))


class StaffRow(Part):
    name = line(_l("Name"))
    role = line(_l("Role in the programme"))
    highest_qualification = enum_choice(_l("Highest qualification"), QualificationLevel)
    category = enum_choice(_l("Category"), StaffCategory)
    institution = line(_l("Institution"))
    years_experience = number(_l("Years of experience"), 80)
    teaching_hours = number(_l("Teaching hours in the programme"), 10_000)


class ResourcesPart(Part):
    facilities = text(_l("Facilities"))
    learning_materials = text(_l("Learning materials"))
    vle = line(_l("Virtual learning environment"))
    budget_total_cost = number(_l("Total cost"), 100_000_000)
    budget_income = number(_l("Expected income"), 100_000_000)
    budget_currency = line(_l("Budget currency"), 3, description=_l("ISO 4217, e.g. EUR"))


class PathwaysPart(Part):
    stackable = SelectField(_l("Stackable into a larger credential"), coerce=_tristate,
                            choices=[NOT_SET, SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))])
    target_credential = line(_l("Credential it stacks into"))
    target_credential_ects = number(_l("ECTS of that credential"), 1000)
    credits_recognised = number(_l("ECTS recognised towards it"), 1000)
    recognition_agreements = LinesField(_l("Recognition agreements"), description=_l("One per line."))


class IndicatorRow(Part):
    name = line(_l("Indicator"))
    target = line(_l("Target"))


class QualityPart(Part):
    iqas_reference = line(_l("Internal quality assurance system"))
    qa_body = line(_l("Body responsible for quality assurance"))
    qa_type = line(_l("Kind of quality assurance"))
    indicators = RowList(FormField(IndicatorRow), label=_l("Indicators"), max_entries=MAX_ROWS)
    review_cycle_years = number(_l("Review cycle (years)"), 20)
    public_info_url = line(_l("Public information page"), 500)


# Section forms ------------------------------------------------------------------------------------

class SectionForm(FlaskForm):
    """A section of the proposal; `rows` names its repeatable list, if any, as a path of field names."""

    rows: tuple[str, ...] = ()
    save = SubmitField(_l("Save this section"))


class IdentificationForm(SectionForm):
    identification = FormField(IdentificationPart, label=_l("Identification"))
    awarding_body = FormField(AwardingBodyPart, label=_l("Awarding body"))
    contact = FormField(ContactPart, label=_l("Contact"))


class LevelForm(SectionForm):
    level = FormField(LevelPart, label=_l("Level, size and hours"))


class ClassificationForm(SectionForm):
    rows = ("justification", "evidence")
    classification = FormField(ClassificationPart, label=_l("Classification"))
    justification = FormField(JustificationPart, label=_l("Justification"))


class OutcomesForm(SectionForm):
    rows = ("learning_outcomes",)
    learning_outcomes = RowList(FormField(OutcomeRow), label=_l("Learning outcomes"), max_entries=MAX_ROWS)


class AssessmentsForm(SectionForm):
    rows = ("assessments",)
    assessments = RowList(FormField(AssessmentRow), label=_l("Assessments"), max_entries=MAX_ROWS)


class AdmissionForm(SectionForm):
    admission = FormField(AdmissionPart, label=_l("Admission and support"))


class DeliveryForm(SectionForm):
    delivery = FormField(DeliveryPart, label=_l("Delivery"))


class StaffForm(SectionForm):
    rows = ("staff",)
    staff = RowList(FormField(StaffRow), label=_l("Staff"), max_entries=MAX_ROWS)


class ResourcesForm(SectionForm):
    resources = FormField(ResourcesPart, label=_l("Resources"))
    pathways = FormField(PathwaysPart, label=_l("Pathways"))


class QualityForm(SectionForm):
    rows = ("quality_assurance", "indicators")
    quality_assurance = FormField(QualityPart, label=_l("Quality assurance"))
    further_information = TextAreaField(_l("Further information"), validators=[Length(max=LONG)])

    def validate_further_information(self, field: Field) -> None:
        if _has_control_characters(field):
            raise ValidationError(_l("Remove the control characters from this text."))


@dataclass(frozen=True)
class Section:
    slug: str
    title: Any
    form: type[SectionForm]


SECTIONS: tuple[Section, ...] = (
    Section("identification", _l("Identification and awarding body"), IdentificationForm),
    Section("level", _l("Level, size and hours"), LevelForm),
    Section("classification", _l("Classification and justification"), ClassificationForm),
    Section("outcomes", _l("Learning outcomes"), OutcomesForm),
    Section("assessments", _l("Assessment"), AssessmentsForm),
    Section("admission", _l("Admission and support"), AdmissionForm),
    Section("delivery", _l("Delivery"), DeliveryForm),
    Section("staff", _l("Staff"), StaffForm),
    Section("resources", _l("Resources and pathways"), ResourcesForm),
    Section("quality", _l("Quality assurance and indicators"), QualityForm),
)
BY_SLUG = {section.slug: section for section in SECTIONS}


def keys(form_class: type[SectionForm]) -> list[str]:
    """The format's top-level keys a section form writes."""
    return [name for name, value in vars(form_class).items()
            if hasattr(value, "field_class") and name not in CONTROL_KEYS]


def section_form(section: Section, draft: dict[str, Any] | None = None) -> SectionForm:
    """The section's form: from the posted data, or (on GET) filled from the draft."""
    if draft is None:
        return section.form()
    form = section.form(data={key: draft.get(key) for key in keys(section.form)})
    _keep_unknown_choices(form)
    return form


def payload(form: SectionForm) -> dict[str, Any]:
    """The form's data as a fragment of the proposal format."""
    return {key: _clean(getattr(form, key).data) for key in keys(type(form))}


def row_button(form: SectionForm, formdata: Any) -> bool:
    """Add or remove a row when one of those buttons was pressed; True when it was (nothing is saved then)."""
    if not form.rows:
        return False
    rows = _row_list(form)
    if "add_row" in formdata:
        if len(rows.entries) < MAX_ROWS:
            rows.append_entry()
        return True
    pressed = [key for key in formdata if key.startswith("remove_row-")]
    if not pressed:
        return False
    index = pressed[0].removeprefix("remove_row-")
    if index.isascii() and index.isdigit() and int(index) < len(rows.entries):
        del rows.entries[int(index)]
    return True


def _row_list(form: SectionForm) -> FieldList:
    holder: Any = form
    for name in form.rows:
        holder = getattr(holder, name)
    return holder


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if key not in CONTROL_KEYS}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def _keep_unknown_choices(form: Form) -> None:
    """A stored value missing from its list (e.g. from an import) stays visible instead of being lost."""
    for field in _walk(form):
        if isinstance(field, SelectField) and not isinstance(field, SelectMultipleField) and field.data:
            known = [choice.value for choice in field._choices_from_input(field.choices) or []]
            if field.data not in known and isinstance(field.data, str):
                field.choices = [*field._choices_from_input(field.choices),
                                 SelectChoice(field.data, f"{field.data} (not in the list)")]


def _walk(form: Any) -> Iterator[Field]:
    for field in form:
        if isinstance(field, FormField):
            yield from _walk(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                yield from _walk(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield field


# Other forms --------------------------------------------------------------------------------------

class NewProgrammeForm(FlaskForm):
    title = StringField(_l("Title of the programme"), validators=[DataRequired(), Length(max=SHORT)])
    submit = SubmitField(_l("Create the draft"))

    def validate_title(self, field: Field) -> None:
        if _has_control_characters(field):
            raise ValidationError(_l("Remove the control characters from this text."))


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, DOCX or ODT)"), validators=[FileRequired(_l("Choose a file to upload."))])
    kind = SelectField(_l("Kind of document"),
                       choices=[SelectChoice(k.value, k.value.replace("_", " ").capitalize()) for k in AttachmentKind])
    description = StringField(_l("Description"), validators=[Length(max=SHORT)])
    upload = SubmitField(_l("Upload"))

    def validate_description(self, field: Field) -> None:
        if _has_control_characters(field):
            raise ValidationError(_l("Remove the control characters from this text."))


class ElmImportForm(FlaskForm):
    file = FileField(_l("Europass ELM v3 JSON-LD file"), validators=[FileRequired(_l("Choose a file to import."))])
    submit = SubmitField(_l("Import as a new draft"))


