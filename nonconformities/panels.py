"""Home-page panel "my corrective actions" (ISO 9001:2008 clause 8.5.2): everyone sees their own open
actions with their due dates, the overdue ones in red."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _

from nonconformities import queries
from qms.permissions import Permission, has_permission
from qms.timeutil import format_date, to_local
from qms.ui import HomePanel, add_home_panel


def my_actions_panel(user, now):
    """The signed-in user's open actions, earliest due first; None when they own none."""
    if not has_permission(user, Permission.NONCONFORMITIES_RAISE):
        return None
    actions = queries.open_actions_of(user.id)
    if not actions:
        return None
    today = to_local(now).date()
    items = []
    for action in actions:
        text = _("%(code)s: %(action)s, due %(date)s", code=action.nonconformity.code,
                 action=action.description[:120], date=format_date(action.due_on))
        url = url_for("nonconformities.detail", nc_id=action.nc_id, _anchor=f"action-{action.id}")
        items.append((text, url, "danger" if action.is_overdue(today) else None))
    tone = "danger" if any(a.is_overdue(today) for a in actions) else "default"
    return HomePanel(_("My corrective actions"), items, "", tone)


def init_app(app: Flask) -> None:
    add_home_panel(app, my_actions_panel)
