"""Document-control settings and registers: type code patterns, distribution lists, acknowledgement registers."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.documents import distribution, services
from qms.documents.models import Acknowledgement, DocumentType, Revision
from qms.documents.revision_views import load_revision
from qms.documents.views import bp
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today
from qms.users.models import User


@bp.route("/types", methods=["GET", "POST"])
@require_permission(Permission.DOCUMENTS_MANAGE)
def types():
    """The ISO secretary sets each type's code pattern; the preview shows the next code."""
    rows = db.session.scalars(select(DocumentType).order_by(DocumentType.id)).all()
    if request.method == "POST":
        doc_type = db.get_or_404(DocumentType, request.form.get("type_id", 0, type=int))
        try:
            services.update_document_type(doc_type, pattern=request.form.get("code_pattern", ""),
                                          next_number=request.form.get("next_number", type=int),
                                          actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for("documents.types"))
        db.session.commit()
        flash(_("Code pattern of %(type)s saved.", type=doc_type.name), "success")
        return redirect(url_for("documents.types"))
    previews = {}
    for doc_type in rows:
        try:
            previews[doc_type.id] = services.format_code(doc_type, doc_type.next_number, _ParentExample())
        except DomainError as error:
            previews[doc_type.id] = error.message
    return render_template("documents/types.html", types=rows, previews=previews)


class _ParentExample:
    code = "QT-01"



@bp.route("/<int:document_id>/revisions/<int:revision_id>/distribution", methods=["GET", "POST"])
@require_permission(Permission.DOCUMENTS_DRAFT)
def distribution_list(document_id: int, revision_id: int):
    revision = load_revision(document_id, revision_id)
    if request.method == "POST":
        try:
            distribution.set_distribution(revision, unit_ids=request.form.getlist("unit_ids", type=int),
                                          user_ids=request.form.getlist("user_ids", type=int), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            return redirect(url_for("documents.distribution_list", document_id=document_id, revision_id=revision_id))
        db.session.commit()
        flash(_("Distribution list saved."), "success")
        return redirect(url_for("documents.revision", document_id=document_id, revision_id=revision_id))
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order)).all()
    people = db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name)).all()
    chosen = distribution.entries(revision)
    return render_template("documents/distribution.html", revision=revision, units=units, people=people,
                           chosen_units={e.unit_id for e in chosen if e.unit_id},
                           chosen_users={e.user_id for e in chosen if e.user_id})


@bp.get("/<int:document_id>/revisions/<int:revision_id>/acknowledgements")
@require_permission(Permission.DOCUMENTS_VIEW)
def acknowledgements(document_id: int, revision_id: int):
    """Sổ theo dõi phân phối và xác nhận: who confirmed, when, who is overdue."""
    revision = load_revision(document_id, revision_id)
    rows = _acknowledgements(revision)
    if request.args.get("format") == "xlsx":
        from qms.documents.exports import acknowledgement_register_xlsx
        from qms.org.services import current_agency

        content = acknowledgement_register_xlsx(revision, rows, local_today(), agency=current_agency())
        name = f"phan-phoi-{revision.document.code}-{revision.numbering}.xlsx".replace("/", "_")
        return Response(content, mimetype=XLSX_MIMETYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("documents/acknowledgements.html", revision=revision, rows=rows, today=local_today())


def _acknowledgements(revision: Revision) -> list[Acknowledgement]:
    return db.session.scalars(select(Acknowledgement).join(User, Acknowledgement.user_id == User.id)
                              .where(Acknowledgement.revision_id == revision.id).order_by(User.full_name)).all()
