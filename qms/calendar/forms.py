"""Forms of the working calendar page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from qms.calendar.models import CONVENTION_LABELS, TIMELINESS_LABELS
from qms.forms import BaseForm, VNDateField

WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                  _l("Sunday")]


class RulesForm(BaseForm):
    weekdays = SelectMultipleField(_l("Working days of the week"), coerce=int, choices=[])
    convention = RadioField(_l("How deadlines are counted"), choices=[])
    cutoff_enabled = BooleanField(_l("Dossiers received after the cut-off count from the next working day"))
    cutoff_at = TimeField(_l("Cut-off time"), validators=[Optional()])
    timeliness_point = RadioField(_l("A dossier's timeliness is measured"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # choices set here: WTForms 3.3 warns on tuples given at declaration
        self.weekdays.choices = list(enumerate(WEEKDAY_LABELS))
        self.convention.choices = [(key.value, label) for key, label in CONVENTION_LABELS.items()]
        self.timeliness_point.choices = [(key.value, label) for key, label in TIMELINESS_LABELS.items()]


class OfficeHoursForm(BaseForm):
    effective_from = VNDateField(_l("Applies from"), validators=[DataRequired()])
    morning_start = TimeField(_l("Morning from"), validators=[DataRequired()])
    morning_end = TimeField(_l("Morning to"), validators=[DataRequired()])
    afternoon_start = TimeField(_l("Afternoon from"), validators=[DataRequired()])
    afternoon_end = TimeField(_l("Afternoon to"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Length(max=300)], description=_l("e.g. winter hours, QĐ …/QĐ-UBND"))


class ExceptionForm(BaseForm):
    day = VNDateField(_l("Date"), validators=[DataRequired()])
    is_working = RadioField(_l("This date is"), coerce=int, default=0, choices=[])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    legal_reference = TextAreaField(_l("Announced by"), validators=[Length(max=1000)],
                                    description=_l("The notice or decision, e.g. Thông báo …/TB-BNV."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_working.choices = [(0, _l("a day off")), (1, _l("a working day (make-up day)"))]
