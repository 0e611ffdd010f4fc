"""Services for accounts, roles and signing delegations. They flush, never commit."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.auth.passwords import generate_temporary_password, hash_password, password_problems
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import (
    Permission,
    Role,
    can_change_roles,
    can_deactivate,
    can_manage_delegation,
    has_permission,
)
from qms.timeutil import utcnow
from qms.users.models import Delegation, User, UserRole

USERNAME_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_PROFILE_FIELDS = ("full_name", "email", "phone", "unit_id", "position_id", "expires_on")


def _require_users_manage(actor) -> None:
    if not has_permission(actor, Permission.USERS_MANAGE):
        raise Forbidden(_("You may not manage user accounts."))


def _validate_profile(values: dict, roles: set[Role]) -> None:
    if not (values.get("full_name") or "").strip():
        raise DomainError(_("The full name is required."), field="full_name")
    if not roles:
        raise DomainError(_("Give the account at least one role."), field="roles")
    if Role.EXTERNAL_AUDITOR in roles:
        if roles != {Role.EXTERNAL_AUDITOR}:
            raise DomainError(_("An external auditor's account is read-only and holds no other role."),
                              field="roles")
        if not values.get("expires_on"):
            raise DomainError(_("An external auditor's account needs an expiry date."), field="expires_on")


def create_user(values: dict, roles, *, actor, password: str | None = None,
                now: datetime | None = None) -> tuple[User, str]:
    """Open an account; returns it with its initial password, which must be changed at first sign-in."""
    _require_users_manage(actor)
    roles = {Role(r) for r in roles}
    username = (values.get("username") or "").strip().lower()
    if not USERNAME_RULE.match(username):
        raise DomainError(_("A username has 3 to 64 characters: lower-case letters, digits, dot, dash, "
                            "underscore."), field="username")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        raise Conflict(_("The username %(username)s is already taken.", username=username), field="username")
    _validate_profile(values, roles)
    if password is None:
        password = generate_temporary_password()
        must_change = True
    else:
        problems = password_problems(password, username=username)
        if problems:
            raise DomainError(" ".join(problems), field="password")
        must_change = False
    user = User(username=username, password_hash=hash_password(password), must_change_password=must_change,
                password_changed_at=now or utcnow())
    for key in _PROFILE_FIELDS:
        if key in values:
            setattr(user, key, values[key].strip() if isinstance(values[key], str) else values[key])
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    user.refresh_search_key()
    db.session.add(user)
    db.session.flush()
    audit.record(db.session, "user.roles_changed", user, summary=user.username,
                 before={"roles": []}, after={"roles": sorted(roles)})
    return user, password


def update_user(user: User, values: dict, roles, *, actor) -> User:
    """Change a profile and its roles; a role change is logged with the roles before and after."""
    _require_users_manage(actor)
    roles = {Role(r) for r in roles}
    _validate_profile(values, roles)
    if not can_change_roles(actor, user, roles):
        raise Forbidden(_("You cannot take the administrator role from your own account."))
    for key in _PROFILE_FIELDS:
        if key in values:
            setattr(user, key, values[key].strip() if isinstance(values[key], str) else values[key])
    user.refresh_search_key()
    before = user.role_set
    if roles != before:
        user.role_rows = [row for row in user.role_rows if row.role in roles] + \
            [UserRole(role=role) for role in sorted(roles - before)]
        user.session_version += 1  # new permissions apply from the next request, not a stale session
        audit.record(db.session, "user.roles_changed", user, summary=user.username,
                     before={"roles": sorted(before)}, after={"roles": sorted(roles)})
    db.session.flush()
    return user


def deactivate_user(user: User, *, actor, reason: str = "") -> None:
    """Close an account without deleting anything it did; its sessions end at once."""
    if not can_deactivate(actor, user):
        raise Forbidden(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise Conflict(_("The account is already inactive."))
    user.is_active = False
    user.session_version += 1
    audit.tag(db.session, user, "user.deactivated", reason[:300] or user.username)
    db.session.flush()


def reactivate_user(user: User, *, actor) -> None:
    """Open a deactivated account again."""
    _require_users_manage(actor)
    if user.is_active:
        raise Conflict(_("The account is already active."))
    user.is_active = True
    audit.tag(db.session, user, "user.reactivated", user.username)
    db.session.flush()


def create_delegation(director: User, deputy: User, starts_on: date, ends_on: date, *, actor,
                      scope: str = "", decision_ref: str = "") -> Delegation:
    """The director lets a deputy sign "KT. Giám đốc" from *starts_on* to *ends_on* inclusive."""
    if not can_manage_delegation(actor, director):
        raise Forbidden(_("You may only record delegations of your own signature."))
    if not director.has_role(Role.DIRECTOR):
        raise DomainError(_("%(name)s does not hold the director role.", name=director.full_name),
                          field="director_id")
    if deputy.id == director.id:
        raise DomainError(_("A director cannot delegate to themselves."), field="deputy_id")
    if not deputy.is_active:
        raise DomainError(_("%(name)s's account is inactive.", name=deputy.full_name), field="deputy_id")
    if ends_on < starts_on:
        raise DomainError(_("The period ends before it starts."), field="ends_on")
    delegation = Delegation(director_id=director.id, deputy_id=deputy.id, starts_on=starts_on, ends_on=ends_on,
                            scope=scope.strip(), decision_ref=decision_ref.strip(), created_by_id=actor.id)
    db.session.add(delegation)
    db.session.flush()
    db.session.expire(deputy, ["delegations_received"])
    return delegation


def revoke_delegation(delegation: Delegation, *, actor, now: datetime | None = None) -> None:
    """End a delegation before its last day; the record stays."""
    if not can_manage_delegation(actor, delegation.director):
        raise Forbidden(_("You may only revoke delegations of your own signature."))
    if delegation.revoked_at is not None:
        raise Conflict(_("This delegation was already revoked."))
    delegation.revoked_at = now or utcnow()
    delegation.revoked_by_id = actor.id
    audit.tag(db.session, delegation, "delegation.revoked")
    db.session.flush()
    db.session.expire(delegation.deputy, ["delegations_received"])
