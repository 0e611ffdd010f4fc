"""Forms for the agency, units and positions."""

from flask_babel import lazy_gettext as _l
from qms.forms import BaseForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from qms.org.models import UnitKind

CODE_RULE = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, dot, dash or underscore only."))


class AgencyForm(BaseForm):
    name = StringField(_l("Agency name"), validators=[DataRequired(), Length(max=200)])
    parent_body = StringField(_l("Parent body"), validators=[Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[Length(max=50)])
    code = StringField(_l("Agency code (TT 01/2018 Art. 19)"), validators=[Length(max=50)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Length(max=50)])
    email = StringField(_l("E-mail"), validators=[Length(max=120)])


class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30), CODE_RULE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[Length(max=60)])
    kind = SelectField(_l("Kind"), choices=[])
    parent_id = SelectField(_l("Parent unit"), coerce=int, choices=[])
    sort_order = IntegerField(_l("Order"), default=0, validators=[Optional()])
    description = TextAreaField(_l("Functions and duties"), validators=[Length(max=5000)])
    is_active = BooleanField(_l("Active"), default=True)

    def fill_choices(self, units):
        self.kind.choices = [(k.value, k.label) for k in UnitKind]
        self.parent_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]


class PositionForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30), CODE_RULE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    rank = IntegerField(_l("Rank (lower comes first)"), default=100, validators=[Optional()])
    is_leadership = BooleanField(_l("Leadership position"))
    is_active = BooleanField(_l("Active"), default=True)
