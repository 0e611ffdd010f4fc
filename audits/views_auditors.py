"""The register of internal auditors (ISO 9001:2008 clauses 6.2.2 and 8.2.2): certificate, units, audits done."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audits import services
from audits.forms import AuditorForm
from audits.models import Auditor
from audits.views import bp
from qms.errors import DomainError
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import Permission, require_permission
from qms.users.models import User
from qms.web import perform


@bp.get("/auditors")
@require_permission(Permission.AUDITS_VIEW)
def auditors():
    rows = db.session.scalars(select(Auditor).join(User, Auditor.user_id == User.id)
                              .order_by(Auditor.is_active.desc(), User.full_name)).all()
    return render_template("audits/auditors.html", auditors=rows, done=services.audits_done(),
                           minimum=services.lead_minimum())


def _form(auditor: Auditor | None = None) -> AuditorForm:
    form = AuditorForm(obj=auditor)
    if auditor is None:
        registered = select(Auditor.user_id)
        users = db.session.scalars(select(User).where(User.is_active.is_(True), User.id.not_in(registered))
                                   .order_by(User.full_name)).all()
        form.user_id.choices = [(u.id, f"{u.full_name} ({u.unit.name if u.unit else '—'})") for u in users]
    else:
        form.user_id.choices = [(auditor.user_id, auditor.user.full_name)]
        if not form.is_submitted():
            form.unit_ids.data = [row.unit_id for row in auditor.unit_rows]
    form.unit_ids.choices = [(u.id, u.name) for u in db.session.scalars(
        select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.name))]
    return form


def _values(form: AuditorForm) -> dict:
    return {key: getattr(form, key).data for key in ("certificate_issuer", "certificate_number", "certificate_on",
                                                     "prior_audits", "note")}


@bp.route("/auditors/new", methods=["GET", "POST"])
@require_permission(Permission.AUDITS_MANAGE)
def new_auditor():
    form = _form()
    if form.validate_on_submit():
        try:
            services.register_auditor(db.get_or_404(User, form.user_id.data), _values(form), actor=current_user,
                                      unit_ids=form.unit_ids.data or [])
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("The auditor was registered."), "success")
            return redirect(url_for("audits.auditors"))
    return render_template("audits/auditor_form.html", form=form, auditor=None), 422 if form.errors else 200


@bp.route("/auditors/<int:auditor_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.AUDITS_MANAGE)
def edit_auditor(auditor_id: int):
    auditor = db.get_or_404(Auditor, auditor_id)
    form = _form(auditor)
    if form.validate_on_submit():
        try:
            services.update_auditor(auditor, _values(form), actor=current_user, unit_ids=form.unit_ids.data or [])
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("The auditor's record was saved."), "success")
            return redirect(url_for("audits.auditors"))
    return render_template("audits/auditor_form.html", form=form, auditor=auditor), 422 if form.errors else 200


@bp.post("/auditors/<int:auditor_id>/deactivate")
@require_permission(Permission.AUDITS_MANAGE)
def deactivate_auditor(auditor_id: int):
    auditor = db.get_or_404(Auditor, auditor_id)
    return perform(lambda: services.set_auditor_active(auditor, False, actor=current_user),
                   done=_("%(name)s can no longer be put on an audit team.", name=auditor.user.full_name),
                   back=url_for("audits.auditors"))


@bp.post("/auditors/<int:auditor_id>/reactivate")
@require_permission(Permission.AUDITS_MANAGE)
def reactivate_auditor(auditor_id: int):
    auditor = db.get_or_404(Auditor, auditor_id)
    return perform(lambda: services.set_auditor_active(auditor, True, actor=current_user),
                   done=_("%(name)s is an active auditor again.", name=auditor.user.full_name),
                   back=url_for("audits.auditors"))
