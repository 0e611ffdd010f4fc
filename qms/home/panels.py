"""Home-page panels of the kernel: accounts that need an administrator's attention, delegations."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from qms.extensions import db
from qms.permissions import Permission, Role, has_permission
from qms.timeutil import format_date, format_datetime, to_local
from qms.ui import HomePanel, add_home_panel


def accounts_panel(user, now):
    """Locked accounts, forced password changes and external accounts about to expire."""
    if not has_permission(user, Permission.USERS_MANAGE):
        return None
    from qms.users.models import User

    today = to_local(now).date()
    rows = db.session.scalars(
        select(User).where(User.is_active.is_(True)).where(or_(
            User.locked_until > now,
            User.expires_on.between(today, today + timedelta(days=14)),
        )).order_by(User.full_name)
    ).all()
    items = []
    for row in rows:
        url = url_for("users.detail", user_id=row.id)
        if row.is_locked(now):
            items.append((_("%(name)s is locked until %(time)s", name=row.full_name,
                            time=format_datetime(row.locked_until)), url, "danger"))
        else:
            items.append((_("%(name)s's account expires on %(date)s", name=row.full_name,
                            date=format_date(row.expires_on)), url, "warning"))
    return HomePanel(_("Accounts"), items, _("No account needs attention."))


def delegation_panel(user, now):
    """Directors and deputies see the signing delegations in force today."""
    if not (user.has_role(Role.DIRECTOR) or user.delegations_received):
        return None
    from qms.users.models import Delegation

    today = to_local(now).date()
    rows = db.session.scalars(
        select(Delegation).where(Delegation.revoked_at.is_(None), Delegation.starts_on <= today,
                                 Delegation.ends_on >= today)
        .where(or_(Delegation.director_id == user.id, Delegation.deputy_id == user.id))
    ).all()
    items = [(_("%(deputy)s signs \"KT. Giám đốc\" for %(director)s until %(date)s",
                deputy=d.deputy.full_name, director=d.director.full_name, date=format_date(d.ends_on)),
              url_for("users.delegations"), None) for d in rows]
    return HomePanel(_("Signing delegations in force"), items, _("No delegation is in force today."))


def init_app(app: Flask) -> None:
    add_home_panel(app, accounts_panel)
    add_home_panel(app, delegation_panel)
