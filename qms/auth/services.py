"""Authentication services: sign-in with lockout, password change and reset.

Every outcome (success, failure, lock, refusal) is written to the audit log in the
caller's transaction; the caller commits even when sign-in is refused, so that the
failed attempt and the lock are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.auth.passwords import (
    burn_verification_time,
    generate_temporary_password,
    hash_password,
    password_problems,
    verify_password,
)
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, has_permission
from qms.timeutil import format_datetime, to_local, utcnow
from qms.users.models import User


class LoginRefused(DomainError):
    """Sign-in refused; the message is safe to show (it never says whether the username exists)."""


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == func.lower(username.strip())))


def authenticate(username: str, password: str, *, ip: str = "", now: datetime | None = None) -> User:
    """Check a sign-in attempt; lock the account after too many failures; return the user or raise."""
    now = now or utcnow()
    cfg = current_app.config
    user = find_user_by_username(username)
    if user is None:
        burn_verification_time(password)
        audit.record(db.session, "auth.login_failed", object_type="users", summary=username[:64],
                     after={"username": username[:64], "reason": "unknown_user"},
                     actor=audit.Actor(None, username[:64] or "?", ip))
        raise LoginRefused(_("Wrong username or password."))

    actor = audit.Actor.of_user(user, ip)
    if user.is_locked(now):
        audit.record(db.session, "auth.login_refused", user, summary=user.username,
                     after={"reason": "locked", "locked_until": user.locked_until}, actor=actor)
        raise LoginRefused(_("This account is locked until %(time)s after too many failed sign-ins.",
                             time=format_datetime(user.locked_until)))

    if not verify_password(user.password_hash, password):
        if user.locked_until is not None:  # an earlier lock has ended: start counting afresh
            user.locked_until = None
            user.failed_login_count = 0
        user.failed_login_count += 1
        audit.record(db.session, "auth.login_failed", user, summary=user.username,
                     after={"reason": "wrong_password", "failed_login_count": user.failed_login_count},
                     actor=actor)
        if user.failed_login_count >= int(cfg["LOGIN_MAX_ATTEMPTS"]):
            user.locked_until = now + timedelta(minutes=float(cfg["LOGIN_LOCK_MINUTES"]))
            audit.record(db.session, "auth.locked", user, summary=user.username,
                         after={"locked_until": user.locked_until, "failed_login_count": user.failed_login_count},
                         actor=actor)
            db.session.flush()
            raise LoginRefused(_("Wrong username or password. This account is now locked until %(time)s.",
                                 time=format_datetime(user.locked_until)))
        db.session.flush()
        raise LoginRefused(_("Wrong username or password."))

    if not user.is_active:
        audit.record(db.session, "auth.login_refused", user, summary=user.username,
                     after={"reason": "inactive"}, actor=actor)
        raise LoginRefused(_("This account has been deactivated."))
    if user.is_expired(to_local(now).date()):
        audit.record(db.session, "auth.login_refused", user, summary=user.username,
                     after={"reason": "expired", "expires_on": user.expires_on}, actor=actor)
        raise LoginRefused(_("This account expired on %(date)s.", date=user.expires_on.strftime("%d/%m/%Y")))

    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.flush()
    audit.record(db.session, "auth.login", user, summary=user.username, after={"ip": ip}, actor=actor)
    return user


def change_password(user: User, current: str, new: str, *, now: datetime | None = None) -> None:
    """The user changes their own password; every other session of theirs ends."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is wrong."), field="current_password")
    if verify_password(user.password_hash, new):
        raise DomainError(_("The new password must differ from the current one."), field="new_password")
    problems = password_problems(new, username=user.username, full_name=user.full_name)
    if problems:
        raise DomainError(" ".join(problems), field="new_password")
    _set_password(user, new, now=now, must_change=False)
    audit.tag(db.session, user, "auth.password_changed", user.username)
    db.session.flush()


def reset_password(target: User, *, actor: User, now: datetime | None = None) -> str:
    """An administrator sets a temporary password, which the user must change at next sign-in."""
    if not has_permission(actor, Permission.USERS_MANAGE):
        raise Forbidden(_("You may not reset passwords."))
    temporary = generate_temporary_password()
    _set_password(target, temporary, now=now, must_change=True)
    target.failed_login_count = 0
    target.locked_until = None
    audit.tag(db.session, target, "auth.password_reset", target.username)
    db.session.flush()
    return temporary


def unlock(target: User, *, actor: User) -> None:
    """An administrator lifts a lock before it ends."""
    if not has_permission(actor, Permission.USERS_MANAGE):
        raise Forbidden(_("You may not unlock accounts."))
    before = {"locked_until": target.locked_until, "failed_login_count": target.failed_login_count}
    target.failed_login_count = 0
    target.locked_until = None
    db.session.flush()
    audit.record(db.session, "auth.unlocked", target, summary=target.username, before=before,
                 after={"locked_until": None, "failed_login_count": 0})


def _set_password(user: User, password: str, *, now: datetime | None, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now or utcnow()
    user.must_change_password = must_change
    user.session_version += 1
