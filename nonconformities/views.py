"""Pages of the nonconformity register (ISO 9001:2008 clauses 8.3, 8.5.2, 8.5.3): the list with its filters,
raising a new one, the detail with the whole story, the figures and the two exports. The POST actions
of the workflow are in ``views_actions`` on the same blueprint.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from audits.clauses import CLAUSES
from audits.models import Audit
from nonconformities import exports, queries, services
from nonconformities import permissions as can
from nonconformities.late_dossiers_rules import current_rules
from nonconformities.models import (
    CAUSE_LABELS,
    ActionKind,
    NcSource,
    NcStatus,
    Nonconformity,
    NonconformityEvidence,
    Severity,
)
from nonconformities.workflow import Action, allowed_actions
from processes.models import AdministrativeProcedure, ProcessStep
from qms.errors import DomainError
from qms.extensions import db
from qms.files.models import StoredFile
from qms.files.views import send_stored
from qms.org.models import Unit
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today, parse_local_date, utcnow
from qms.ui import NavItem, add_nav
from qms.users.models import User

bp = Blueprint("nonconformities", __name__, url_prefix="/nonconformities")


def _units():
    return db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.name)).all()


@bp.get("/")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def index():
    filters = queries.Filters.from_args(request.args)
    rows = db.session.scalars(queries.filtered(filters)).unique().all()
    counts = services.count_by_status()
    return render_template("nonconformities/index.html", rows=rows, filters=filters, counts=counts,
                           sources=list(NcSource), statuses=list(NcStatus), units=_units(), today=local_today(),
                           can_raise=can.can_raise(current_user), can_manage=can.can_manage(current_user))


@bp.get("/register.xlsx")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def register_xlsx():
    filters = queries.Filters.from_args(request.args)
    rows = db.session.scalars(queries.filtered(filters)).unique().all()
    data = exports.register_xlsx(rows, filters=filters, today=local_today())
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=so-theo-doi-khong-phu-hop.xlsx"})


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.NONCONFORMITIES_RAISE)
def new():
    procedures = db.session.scalars(select(AdministrativeProcedure).order_by(AdministrativeProcedure.code)).all()
    values = request.form if request.method == "POST" else {"severity": "minor", "source": "staff"}
    if request.method == "POST":
        unit = db.session.get(Unit, int(values.get("unit_id") or 0) or -1)
        procedure = db.session.get(AdministrativeProcedure, int(values.get("procedure_id") or 0) or -1)
        step = db.session.get(ProcessStep, int(values.get("step_id") or 0) or -1)
        try:
            nc = services.raise_nonconformity(
                source=values.get("source", ""), title=values.get("title", ""),
                description=values.get("description", ""), severity=values.get("severity", ""), unit=unit,
                procedure=procedure, step=step, clause=values.get("clause", ""),
                source_ref=values.get("source_ref", ""), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return render_template("nonconformities/new.html", values=values, units=_units(),
                                   procedures=procedures, sources=list(NcSource), severities=list(Severity)), 422
        db.session.commit()
        flash(_("%(code)s raised.", code=nc.code), "success")
        return redirect(url_for("nonconformities.detail", nc_id=nc.id))
    return render_template("nonconformities/new.html", values=values, units=_units(), procedures=procedures,
                           sources=list(NcSource), severities=list(Severity))


@bp.get("/<int:nc_id>")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def detail(nc_id: int):
    nc = db.get_or_404(Nonconformity, nc_id)
    open_ncs = []
    if can.can_end(current_user, nc):
        open_ncs = db.session.scalars(select(Nonconformity).where(Nonconformity.id != nc.id)
                                      .where(Nonconformity.status.not_in(["closed", "rejected", "duplicate"]))
                                      .order_by(Nonconformity.code)).all()
    users = db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name)).all()
    from qms.documents.models import Document, DocumentStatus

    documents = db.session.scalars(select(Document).where(Document.status == DocumentStatus.EFFECTIVE)
                                   .order_by(Document.code)).all()
    finding = nc.audit_finding
    return render_template("nonconformities/detail.html", nc=nc, can=can, user=current_user, Action=Action,
                           actions_allowed=allowed_actions(nc.status), users=users, open_ncs=open_ncs,
                           documents=documents, cause_labels=CAUSE_LABELS, action_kinds=list(ActionKind),
                           today=local_today(), severities=list(Severity), finding=finding, clauses=CLAUSES,
                           finding_audit=db.session.get(Audit, finding.audit_id) if finding else None,
                           default_days=current_rules().default_action_working_days)


@bp.get("/<int:nc_id>/form.docx")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def request_form_docx(nc_id: int):
    nc = db.get_or_404(Nonconformity, nc_id)
    data = exports.request_form_docx(nc)
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename=phieu-yeu-cau-hdkp-{nc.code}.docx"})


@bp.get("/<int:nc_id>/evidence/<int:evidence_id>/file")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def evidence_file(nc_id: int, evidence_id: int):
    piece = db.get_or_404(NonconformityEvidence, evidence_id)
    if piece.nc_id != nc_id or piece.file_id is None:
        abort(404)
    return send_stored(db.session.get(StoredFile, piece.file_id), piece.filename or "evidence")


@bp.get("/figures")
@require_permission(Permission.NONCONFORMITIES_VIEW)
def figures():
    today = local_today()
    try:
        date_from = parse_local_date(request.args["from"]) if request.args.get("from") else date(today.year, 1, 1)
        date_to = parse_local_date(request.args["to"]) if request.args.get("to") else today
    except ValueError:
        date_from, date_to = date(today.year, 1, 1), today
    result = queries.figures(date_from, date_to, today, utcnow())
    return render_template("nonconformities/figures.html", figures=result, today=today,
                           can_manage=can.can_manage(current_user))


def init_app(app: Flask) -> None:
    from nonconformities import views_actions  # noqa: F401 - the POST routes on bp

    app.register_blueprint(bp)
    app.jinja_env.globals["status_label"] = lambda value: NcStatus(value).label
    add_nav(app, NavItem(_l("Improvement"), _l("Nonconformities"), "nonconformities.index",
                         Permission.NONCONFORMITIES_VIEW, order=60))
    add_nav(app, NavItem(_l("Improvement"), _l("Nonconformity figures"), "nonconformities.figures",
                         Permission.NONCONFORMITIES_VIEW, order=61))
