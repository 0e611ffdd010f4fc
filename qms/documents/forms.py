"""Forms of the document-control pages."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qms.documents.models import ChangeKind
from qms.forms import BaseForm, VNDateField


class DocumentForm(BaseForm):
    type_id = SelectField(_l("Document type"), coerce=int, choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=60)],
                       description=_l("Leave empty to use the next code of the type's pattern."))
    parent_id = SelectField(_l("Belongs to procedure"), coerce=int, choices=[])
    owner_unit_id = SelectField(_l("Owning unit"), coerce=int, choices=[])
    review_interval_months = IntegerField(_l("Periodic review every (months)"), default=12,
                                          validators=[Optional(), NumberRange(min=1, max=120)])


class DocumentSettingsForm(BaseForm):
    owner_unit_id = SelectField(_l("Owning unit"), coerce=int, choices=[])
    review_interval_months = IntegerField(_l("Periodic review every (months)"),
                                          validators=[DataRequired(), NumberRange(min=1, max=120)])


class RevisionForm(BaseForm):
    """The change record of a draft; the sections come as parallel lists from the editor."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    change_summary = TextAreaField(_l("Summary of the change"), validators=[Length(max=5000)])
    change_location = StringField(_l("Where (page / section)"), validators=[Length(max=300)])
    change_basis = TextAreaField(_l("Reason or legal basis"), validators=[Length(max=5000)])
    requested_by = StringField(_l("Requested by"), validators=[Length(max=200)])
    planned_effective_on = VNDateField(_l("Planned effective date"), validators=[Optional()])


class OpenRevisionForm(BaseForm):
    change_kind = RadioField(_l("Kind of change"), choices=[], default=ChangeKind.AMENDMENT.value)
    change_summary = TextAreaField(_l("Summary of the change"), validators=[Length(max=5000)])
    change_location = StringField(_l("Where (page / section)"), validators=[Length(max=300)])
    change_basis = TextAreaField(_l("Reason or legal basis"), validators=[Length(max=5000)])
    requested_by = StringField(_l("Requested by"), validators=[Length(max=200)])

    def fill_choices(self):
        self.change_kind.choices = [(k.value, k.label) for k in (ChangeKind.AMENDMENT, ChangeKind.REISSUE)]


class SignForm(BaseForm):
    password = PasswordField(_l("Your password (electronic signature)"), validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
    effective_on = VNDateField(_l("Effective date"), validators=[Optional()])


class CommentForm(BaseForm):
    comment = TextAreaField(_l("Reason / comments"), validators=[DataRequired(), Length(max=2000)])
