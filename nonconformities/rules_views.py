"""The ISO secretary's rules for nonconformities (ISO 9001:2008 clauses 8.3, 8.5.2): the page and its form.

Everyone who reads nonconformities sees the rules; only the ISO secretary changes them. This
module also connects the late-dossier rules to the dossiers: after every import, API batch or
browser action that records late dossiers, ``late_dossiers.raise_from_late_dossiers`` runs on them.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.validators import InputRequired, NumberRange

from nonconformities import late_dossiers
from nonconformities.late_dossiers_rules import NUMBERS, can_manage_rules, current_rules, update_rules
from nonconformities.models import SEVERITY_LABELS
from nonconformities.timeliness_compare import compare_step_timeliness
from processes.dossiers import recorded
from processes.dossiers.views import working_time_label
from qms.forms import BaseForm
from qms.permissions import Permission, require_permission
from qms.timeutil import utcnow
from qms.web import perform

bp = Blueprint("nc_rules", __name__, url_prefix="/nonconformities/rules")


def _number(label, key: str, description=""):
    low, high = NUMBERS[key]
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=low, max=high)], description=description)


class RulesForm(BaseForm):
    raise_on_late_dossier = BooleanField(_l("A dossier finished late raises a nonconformity"))
    raise_on_late_step = BooleanField(_l("A step over its allotment by more than the margin raises a nonconformity"))
    late_step_margin_hours = _number(_l("Margin of a late step (working hours)"), "late_step_margin_hours",
                                     _l("0: any late step that used more than its allotted time."))
    grouping_window_days = _number(_l("Grouping window (days)"), "grouping_window_days",
                                   _l("Late dossiers of a procedure and step are attached to its open nonconformity "
                                      "raised within this many days; otherwise a new one is opened."))
    default_severity = RadioField(_l("Severity of a nonconformity raised from late dossiers"), choices=[])
    effectiveness_after_working_days = _number(_l("Effectiveness check after (working days)"),
                                               "effectiveness_after_working_days")
    reminder_lead_working_days = _number(_l("Remind owners before the due date (working days)"),
                                         "reminder_lead_working_days")
    escalate_unit_head_after_working_days = _number(_l("Escalate to the unit head after (working days overdue)"),
                                                    "escalate_unit_head_after_working_days")
    escalate_director_after_working_days = _number(_l("Then to the director after (more working days)"),
                                                   "escalate_director_after_working_days")
    default_action_working_days = _number(_l("Default time for an action (working days)"),
                                          "default_action_working_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_severity.choices = [(key.value, label) for key, label in SEVERITY_LABELS.items()]


def _form_of(rules) -> RulesForm:
    data = {key: getattr(rules, key) for key in NUMBERS}
    data |= {"raise_on_late_dossier": rules.raise_on_late_dossier, "raise_on_late_step": rules.raise_on_late_step,
             "default_severity": rules.default_severity.value}
    return RulesForm(data=data)


@bp.get("/")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def index():
    rules = current_rules()
    return render_template("nonconformities/rules.html", rules=rules, form=_form_of(rules),
                           can_manage=can_manage_rules(current_user))


@bp.post("/")
@require_permission(Permission.NONCONFORMITIES_MANAGE)
def save():
    form = RulesForm()
    if not form.validate_on_submit():
        return render_template("nonconformities/rules.html", rules=current_rules(), form=form, can_manage=True), 422
    return perform(lambda: update_rules(form.data, actor=current_user), done=_("The rules are saved."),
                   back=url_for("nc_rules.index"))


def _step_timeliness(nc):
    """The before/after figures of a late-dossier nonconformity's step (``_timeliness_compare.html``)."""
    return compare_step_timeliness(nc, now=utcnow())


def init_app(app: Flask) -> None:
    """Register the rules page, the helpers of the before/after partial and the listener of recorded dossiers."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(nc_step_timeliness=_step_timeliness, nc_working_time=working_time_label)
    recorded.listen(app, late_dossiers.raise_after_recording)
