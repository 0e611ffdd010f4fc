"""Forms for record categories, filing a quality record and disposing of records."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from qms.forms import BaseForm, VNDateField

CATEGORY_CODE_RULE = Regexp(r"^[A-Za-z0-9./_-]+$",
                            message=_l("Use letters, digits, dot, slash, dash or underscore only."))


class CategoryForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CATEGORY_CODE_RULE],
                       description=_l("For example HS-QT01-01: the record's number in the procedure's list."))
    name = StringField(_l("Name of the quality record"), validators=[DataRequired(), Length(max=300)])
    procedure_id = SelectField(_l("Procedure that produces it"), coerce=int, choices=[])
    keeping_unit_id = SelectField(_l("Keeping unit"), coerce=int, choices=[])
    location = StringField(_l("Where it is kept"), validators=[Length(max=300)],
                           description=_l("Cabinet, shelf, folder or electronic folder."))
    retention_months = IntegerField(_l("Retention (months)"),
                                    validators=[Optional(), NumberRange(min=1, max=1200)],
                                    description=_l("Counted from the date of each quality record."))
    is_permanent = BooleanField(_l("Kept permanently"))
    disposal_method = StringField(_l("Disposal method"), validators=[Length(max=300)],
                                  description=_l("For example: shredded, or handed over to the archives."))
    is_active = BooleanField(_l("In use"), default=True)

    def fill_choices(self, documents, units):
        self.procedure_id.choices = [(0, "—")] + [(d.id, f"{d.code} {d.title}") for d in documents]
        self.keeping_unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.is_permanent.data and self.retention_months.data is None:
            self.retention_months.errors.append(_l("Give the retention in months, or tick \"Kept permanently\"."))
            return False
        return True

    def values(self) -> dict:
        return {"code": self.code.data, "name": self.name.data, "procedure_id": self.procedure_id.data or None,
                "keeping_unit_id": self.keeping_unit_id.data or None, "location": self.location.data or "",
                "retention_months": None if self.is_permanent.data else self.retention_months.data,
                "disposal_method": self.disposal_method.data or "", "is_active": self.is_active.data}


class RecordForm(BaseForm):
    category_id = SelectField(_l("Category"), coerce=int, choices=[],
                              validators=[NumberRange(min=1, message=_l("Choose a category."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    reference = StringField(_l("Number and symbol"), validators=[Length(max=120)],
                            description=_l("For example 15/BB-STTTT, when the record has one."))
    record_date = VNDateField(_l("Date of the quality record"), validators=[DataRequired()])
    unit_id = SelectField(_l("Unit"), coerce=int, choices=[])
    file = FileField(_l("File"), description=_l(
        "Word (.docx), Excel (.xlsx), PDF or a scan (.png, .jpg), checked by content. Leave empty for a paper "
        "record kept at the category's location."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def fill_choices(self, categories, units):
        self.category_id.choices = [(0, "—")] + [(c.id, f"{c.code} {c.name}") for c in categories]
        self.unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]


class DisposeForm(BaseForm):
    note = TextAreaField(_l("Disposal minutes"), validators=[DataRequired(), Length(max=2000)],
                         description=_l("Number and date of the minutes (biên bản hủy), how the records were "
                                        "disposed of, who took part."))


class DisposeManyForm(DisposeForm):
    record_ids = SelectMultipleField(_l("Quality records"), coerce=int, choices=[],
                                     validators=[DataRequired(message=_l("Choose at least one quality record."))])
