"""Forms for user accounts and delegations."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qms.forms import BaseForm, VNDateField
from qms.permissions import Role


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(check_deliverability=False), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Length(max=30)])
    unit_id = SelectField(_l("Unit"), coerce=int, choices=[])
    position_id = SelectField(_l("Position"), coerce=int, choices=[])
    roles = MultiCheckboxField(_l("Roles"), choices=[])
    expires_on = VNDateField(_l("Account expires on"), validators=[Optional()],
                           description=_l("Required for external auditors; the account cannot sign in after it."))

    def fill_choices(self, units, positions):
        self.unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]
        self.position_id.choices = [(0, "—")] + [(p.id, p.name) for p in positions]
        self.roles.choices = [(r.value, r.label) for r in Role]

    def profile_values(self) -> dict:
        return {"username": self.username.data, "full_name": self.full_name.data, "email": self.email.data or "",
                "phone": self.phone.data or "", "unit_id": self.unit_id.data or None,
                "position_id": self.position_id.data or None, "expires_on": self.expires_on.data}


class DeactivateForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


class DelegationForm(BaseForm):
    director_id = SelectField(_l("Director"), coerce=int, choices=[])
    deputy_id = SelectField(_l("Deputy who signs \"KT. Giám đốc\""), coerce=int, choices=[])
    starts_on = VNDateField(_l("From"), validators=[DataRequired()])
    ends_on = VNDateField(_l("To (inclusive)"), validators=[DataRequired()])
    decision_ref = StringField(_l("Delegation decision (number, date)"), validators=[Length(max=120)])
    scope = TextAreaField(_l("Scope"), validators=[Length(max=300)])
