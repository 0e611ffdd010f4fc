"""Forms of internal audits (ISO 9001:2008 clause 8.2.2): auditor record, programme, audit plan, team, sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qms.forms import BaseForm


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AuditorForm(BaseForm):
    user_id = SelectField(_l("Person"), coerce=int, validators=[InputRequired()])
    certificate_issuer = StringField(_l("Training certificate issued by"), validators=[Length(max=200)])
    certificate_number = StringField(_l("Certificate number"), validators=[Length(max=60)])
    certificate_on = DateField(_l("Certificate date"), validators=[Optional()])
    unit_ids = MultiCheckboxField(_l("Other units they belong to or work for"), coerce=int,
                                  description=_l("Their own unit always counts: they never audit it."))
    prior_audits = IntegerField(_l("Audits led or joined before this register"), default=0,
                                validators=[Optional(), NumberRange(min=0, max=500)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class ProgrammeForm(BaseForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title"), validators=[Length(max=300)],
                        description=_l("Left empty: “Internal audit programme” and the year."))
    objectives = TextAreaField(_l("Objectives"), validators=[Length(max=4000)])


class AuditForm(BaseForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=300)])
    planned_start = DateField(_l("Planned start"), validators=[InputRequired()])
    planned_end = DateField(_l("Planned end"), validators=[InputRequired()])
    objectives = TextAreaField(_l("Objectives"), validators=[Length(max=4000)])
    criteria = TextAreaField(_l("Other criteria"), validators=[Length(max=4000)],
                             description=_l("TCVN ISO 9001:2008 and the documents in force of the procedures in scope "
                                            "are listed automatically."))
    unit_ids = MultiCheckboxField(_l("Units"), coerce=int)
    procedure_ids = SelectMultipleField(_l("Administrative procedures (TTHC)"), coerce=int)
    document_ids = SelectMultipleField(_l("QMS procedures"), coerce=int)
    clause_codes = MultiCheckboxField(_l("Clauses of ISO 9001:2008"))


class TeamForm(BaseForm):
    lead_id = SelectField(_l("Lead auditor"), coerce=int, validators=[InputRequired()])
    member_ids = MultiCheckboxField(_l("Auditors"), coerce=int)


class AuditeesForm(BaseForm):
    user_ids = SelectMultipleField(_l("Auditees"), coerce=int)


class SessionForm(BaseForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    starts = TimeField(_l("Starting time"), validators=[InputRequired()])
    ends = TimeField(_l("Ending time"), validators=[InputRequired()])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])
    topic = StringField(_l("What is audited"), validators=[Length(max=300)])


class SignForm(BaseForm):
    password = PasswordField(_l("Your password (signature)"), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class CommentForm(BaseForm):
    comment = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(max=2000)])
