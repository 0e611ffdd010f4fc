"""Home page, health check and language switch."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, make_response, redirect, render_template, request
from flask_login import current_user
from sqlalchemy import text

from qms.extensions import db
from qms.home import panels
from qms.i18n import LANGUAGE_COOKIE
from qms.permissions import public
from qms.timeutil import utcnow

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    user = current_user._get_current_object()
    now = utcnow()
    built = [builder(user, now) for builder in current_app.extensions.get("qms_home_panels", [])]
    return render_template("home/index.html", panels=[p for p in built if p is not None])


@bp.get("/healthz")
@public
def healthz():
    """For a load balancer: 200 when the database answers, 503 when it does not. No sign-in."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/language")
@public
def set_language():
    """Remember the chosen language in a cookie and, when signed in, on the account."""
    lang = request.form.get("lang", "")
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = make_response(redirect(target))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    panels.init_app(app)
