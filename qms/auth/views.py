"""Sign in, sign out, change password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from qms.audit import log as audit
from qms.auth import services
from qms.auth.forms import ChangePasswordForm, LoginForm
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import public

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, ip=request.remote_addr or "")
        except services.LoginRefused as refused:
            db.session.commit()  # keep the failed attempt and any lock
            form.password.errors.append(refused.message)
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        next_url = _safe_next(request.args.get("next"))
        session.clear()  # a fresh session at sign-in: nothing planted before it survives
        login_user(user, remember=form.remember.data)
        session.permanent = True
        if user.must_change_password:
            flash(_("Please choose a new password before you continue."), "warning")
            return redirect(url_for("auth.change_password"))
        return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    audit.record(db.session, "auth.logout", current_user._get_current_object(), summary=current_user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
            return render_template("auth/change_password.html", form=form), 422
        db.session.commit()
        login_user(user)  # the session version changed: keep this session, end the others
        flash(_("Your password has been changed."), "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/change_password.html", form=form)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
