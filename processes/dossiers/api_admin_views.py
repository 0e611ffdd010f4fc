"""The ISO secretary's page of the ingest API's client systems: create one (its token is shown once, on
the answer to the creation, and never again) and revoke one. Services in ``api_clients``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from processes.dossiers import api_clients
from processes.dossiers.api_models import ApiClient
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.forms import BaseForm
from qms.permissions import Permission, require_permission

bp = Blueprint("dossier_api_admin", __name__, url_prefix="/dossiers/api-clients")


class ApiClientForm(BaseForm):
    name = StringField(_l("Client system"), validators=[DataRequired(), Length(max=120)],
                       description=_l("The one-stop information system that will push events, e.g. "
                                      "\"Hệ thống thông tin giải quyết TTHC tỉnh\"."))


def _require_manager() -> None:
    if not api_clients.can_manage_api_clients(current_user):
        abort(403)


def _page(form: ApiClientForm, token: str | None = None, status: int = 200):
    clients = db.session.scalars(select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name)).all()
    return render_template("dossier_api/clients.html", form=form, clients=clients, token=token), status


@bp.route("/", methods=["GET", "POST"])
@require_permission(Permission.DOSSIERS_IMPORT)
def index():
    _require_manager()
    form = ApiClientForm()
    if not form.validate_on_submit():
        return _page(form, status=422 if form.is_submitted() else 200)
    try:
        client, token = api_clients.create_api_client({"name": form.name.data}, actor=current_user)
    except Forbidden:
        abort(403)
    except DomainError as error:
        form.name.errors = [error.message]
        return _page(form, status=409)
    db.session.commit()
    flash(_("Client system %(name)s created. Copy its token now: it will not be shown again.", name=client.name),
          "success")
    return _page(ApiClientForm(formdata=None), token=token, status=201)


@bp.post("/<int:client_id>/revoke")
@require_permission(Permission.DOSSIERS_IMPORT)
def revoke(client_id: int):
    _require_manager()
    client = db.get_or_404(ApiClient, client_id)
    try:
        api_clients.revoke_api_client(client, actor=current_user)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("dossier_api_admin.index"))
    db.session.commit()
    flash(_("The token of %(name)s is revoked.", name=client.name), "success")
    return redirect(url_for("dossier_api_admin.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
