"""Request guards: sign-in required by default, forced password change, read-only accounts, audit actor."""

from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qms.audit import log as audit
from qms.extensions import db, login_manager
from qms.permissions import READ_ONLY_ROLES
from qms.timeutil import local_today

# Endpoints a user who must change their password, or a read-only account, can still use.
_ALWAYS_ALLOWED = frozenset({"auth.change_password", "auth.logout", "home.set_language", "static"})


def load_user(alternative_id: str):
    """Flask-Login loader: the session stays valid only while the account is usable and unchanged."""
    from qms.users.models import User

    try:
        user_id, version = (int(part) for part in alternative_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_active:
        return None
    if user.is_expired(local_today()):
        return None
    return user


def _client_ip() -> str:
    return request.remote_addr or ""


def _guard():
    actor = audit.Actor.of_user(current_user, _client_ip()) if current_user.is_authenticated else \
        audit.Actor(None, "anonymous", _client_ip())
    request.environ["qms.audit_token"] = audit.set_actor(actor)

    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 and 405 are answered by Flask
    view = current_app.view_functions.get(endpoint)
    if endpoint == "static" or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if endpoint in _ALWAYS_ALLOWED:
        return None
    if current_user.must_change_password:
        return redirect(url_for("auth.change_password", next=request.full_path))
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_user.role_set and \
            current_user.role_set <= READ_ONLY_ROLES:
        abort(403)
    return None


def _reset_actor(exc):
    token = request.environ.pop("qms.audit_token", None)
    if token is not None:
        audit.reset_actor(token)


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.before_request(_guard)
    app.teardown_request(_reset_actor)
