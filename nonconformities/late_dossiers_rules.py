"""The ISO secretary's rules for nonconformities (ISO 9001:2008 8.3, 8.5.2): one audited row.

How late dossiers raise nonconformities (which lateness counts, the margin of a late step, the
grouping window), the severity they get, and the working days of the reminders, the escalation
and the effectiveness check. ``current_rules`` is the one getter every page, service and job reads them
through; it gives the defaults (those of the model's columns) while nobody has saved them.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from nonconformities.models import NonconformityRules, Severity
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, has_permission
from qms.timeutil import utcnow

#: The rules while nobody has saved them: the columns' own defaults, so that they are written once (``models``).
DEFAULTS = {column.key: column.default.arg for column in NonconformityRules.__table__.columns
            if column.default is not None and column.default.is_scalar}
#: The whole-number rules with their bounds (a window of ten years, a margin of a year of working hours).
NUMBERS = {"late_step_margin_hours": (0, 2000), "grouping_window_days": (0, 3650),
           "effectiveness_after_working_days": (0, 250), "reminder_lead_working_days": (0, 60),
           "escalate_unit_head_after_working_days": (0, 60), "escalate_director_after_working_days": (0, 60),
           "default_action_working_days": (1, 250)}


def current_rules() -> NonconformityRules:
    """The saved rules, or the defaults (not saved) when nobody has set them yet."""
    return db.session.get(NonconformityRules, 1) or NonconformityRules(id=1, **DEFAULTS)


def can_manage_rules(user) -> bool:
    return has_permission(user, Permission.NONCONFORMITIES_MANAGE)


def update_rules(values: dict, *, actor, now: datetime | None = None) -> NonconformityRules:
    """Save the rules (the ISO secretary); every number within its bounds. Audited as a row change."""
    if not can_manage_rules(actor):
        raise Forbidden(_("Only the ISO secretary sets the rules of nonconformities."))
    for key, (low, high) in NUMBERS.items():
        value = values.get(key)
        if not isinstance(value, int) or not low <= value <= high:
            raise DomainError(_("%(rule)s: a whole number from %(low)d to %(high)d.",
                                rule=_rule_label(key), low=low, high=high), field=key)
    rules = db.session.get(NonconformityRules, 1)
    if rules is None:
        rules = NonconformityRules(id=1, **DEFAULTS)
        db.session.add(rules)
    for key in NUMBERS:
        setattr(rules, key, values[key])
    rules.raise_on_late_dossier = bool(values.get("raise_on_late_dossier"))
    rules.raise_on_late_step = bool(values.get("raise_on_late_step"))
    rules.default_severity = Severity(values.get("default_severity") or Severity.MINOR)
    rules.updated_by_id = getattr(actor, "id", None)
    rules.updated_at = now or utcnow()
    db.session.flush()
    return rules


def _rule_label(key: str) -> str:
    labels = {
        "late_step_margin_hours": _("Margin of a late step (working hours)"),
        "grouping_window_days": _("Grouping window (days)"),
        "effectiveness_after_working_days": _("Effectiveness check after (working days)"),
        "reminder_lead_working_days": _("Remind owners before the due date (working days)"),
        "escalate_unit_head_after_working_days": _("Escalate to the unit head after (working days overdue)"),
        "escalate_director_after_working_days": _("Then to the director after (more working days)"),
        "default_action_working_days": _("Default time for an action (working days)"),
    }
    return labels[key]
