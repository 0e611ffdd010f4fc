"""Web pages of document control: the master list, documents and their settings (revisions: revision_views)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qms.documents import queries, services
from qms.documents.forms import DocumentForm, DocumentSettingsForm, OpenRevisionForm
from qms.documents.models import ChangeKind, Document, DocumentKind, DocumentStatus, DocumentType
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import Permission, can_read_revision, has_permission, require_permission
from qms.timeutil import local_today
from qms.ui import NavItem, add_nav

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.get("/")
@require_permission(Permission.DOCUMENTS_VIEW)
def index():
    filters = queries.MasterListFilters.from_args(request.args, can_see_drafts=_can_see_drafts())
    page = db.paginate(queries.master_list(filters), per_page=30, error_out=False)
    effective = queries.effective_revisions(d.id for d in page.items)
    types = db.session.scalars(select(DocumentType).order_by(DocumentType.id)).all()
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order)).all()
    return render_template("documents/index.html", page=page, effective=effective, filters=filters, types=types,
                           units=units,
                           statuses=list(DocumentStatus), today=local_today())


def _can_see_drafts() -> bool:
    return has_permission(current_user, Permission.DOCUMENTS_DRAFT) or \
        has_permission(current_user, Permission.DOCUMENTS_REVIEW)


@bp.get("/export.xlsx")
@require_permission(Permission.DOCUMENTS_VIEW)
def export_master_list():
    from qms.documents.exports import master_list_xlsx
    from qms.org.services import current_agency

    filters = queries.MasterListFilters.from_args(request.args, can_see_drafts=_can_see_drafts())
    documents = db.session.scalars(queries.master_list(filters)).all()
    effective = queries.effective_revisions(d.id for d in documents)
    content = master_list_xlsx([(d, effective.get(d.id)) for d in documents], agency=current_agency())
    return Response(content, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="danh-muc-tai-lieu-{local_today():%Y%m%d}.xlsx"'})


def _fill_document_form(form: DocumentForm) -> None:
    types = db.session.scalars(select(DocumentType).where(DocumentType.is_active.is_(True))
                               .order_by(DocumentType.id)).all()
    procedures = db.session.scalars(select(Document).join(DocumentType)
                                    .where(DocumentType.kind == DocumentKind.PROCEDURE,
                                           Document.status != DocumentStatus.WITHDRAWN)
                                    .order_by(Document.code)).all()
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order)).all()
    form.type_id.choices = [(t.id, f"{t.name} ({t.abbreviation})") for t in types]
    form.parent_id.choices = [(0, "—")] + [(d.id, f"{d.code} {d.title}") for d in procedures]
    form.owner_unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.DOCUMENTS_DRAFT)
def new():
    form = DocumentForm()
    _fill_document_form(form)
    if form.validate_on_submit():
        values = {"type_id": form.type_id.data, "title": form.title.data, "code": form.code.data or "",
                  "parent_id": form.parent_id.data or None, "owner_unit_id": form.owner_unit_id.data or None,
                  "review_interval_months": form.review_interval_months.data}
        try:
            document = services.create_document(values, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "title", form.title).errors.append(error.message)
            return render_template("documents/new.html", form=form, proposals=_proposals()), 422
        db.session.commit()
        flash(_("Document %(code)s registered; write its first issue.", code=document.code), "success")
        return redirect(url_for("documents.edit_revision", document_id=document.id,
                                revision_id=document.latest_revision.id))
    return render_template("documents/new.html", form=form, proposals=_proposals())


def _proposals() -> dict[int, str]:
    """The next code of each type without a parent, shown as the code field's placeholder."""
    types = db.session.scalars(select(DocumentType).where(DocumentType.needs_parent.is_(False))).all()
    proposals = {t.id: services.propose_code(t) for t in types}
    return {type_id: code for type_id, code in proposals.items() if code}


@bp.get("/<int:document_id>")
@require_permission(Permission.DOCUMENTS_VIEW)
def detail(document_id: int):
    document = db.get_or_404(Document, document_id)
    today = local_today()
    visible = [r for r in document.revisions if can_read_revision(current_user, r, today)]
    effective = services.effective_revision_of(document)
    if not visible and effective is None:
        abort(404)
    open_form = OpenRevisionForm()
    open_form.fill_choices()
    settings_form = DocumentSettingsForm(obj=document)
    settings_form.owner_unit_id.choices = [(0, "—")] + [
        (u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.sort_order))]
    settings_form.owner_unit_id.data = settings_form.owner_unit_id.data or document.owner_unit_id or 0
    return render_template("documents/detail.html", document=document, effective=effective, revisions=visible,
                           in_progress=services.revision_in_progress(document), open_form=open_form,
                           settings_form=settings_form, today=today)


@bp.post("/<int:document_id>/revisions/open")
@require_permission(Permission.DOCUMENTS_DRAFT)
def open_revision(document_id: int):
    document = db.get_or_404(Document, document_id)
    form = OpenRevisionForm()
    form.fill_choices()
    if not form.validate_on_submit():
        flash(_("Choose the kind of change."), "danger")
        return redirect(url_for("documents.detail", document_id=document.id))
    values = {k: getattr(form, k).data or "" for k in ("change_summary", "change_location", "change_basis",
                                                       "requested_by")}
    try:
        revision = services.open_revision(document, ChangeKind(form.change_kind.data), actor=current_user,
                                          values=values)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("documents.detail", document_id=document.id))
    db.session.commit()
    flash(_("Revision %(numbering)s opened from the text in force.", numbering=revision.numbering), "success")
    return redirect(url_for("documents.edit_revision", document_id=document.id, revision_id=revision.id))


@bp.post("/<int:document_id>/settings")
@require_permission(Permission.DOCUMENTS_MANAGE)
def settings(document_id: int):
    document = db.get_or_404(Document, document_id)
    form = DocumentSettingsForm()
    form.owner_unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in db.session.scalars(select(Unit))]
    if form.validate_on_submit():
        services.update_document(document, {"owner_unit_id": form.owner_unit_id.data or None,
                                            "review_interval_months": form.review_interval_months.data},
                                 actor=current_user)
        db.session.commit()
        flash(_("Saved."), "success")
    else:
        flash(" ".join(sum(form.errors.values(), [])), "danger")
    return redirect(url_for("documents.detail", document_id=document.id))


@bp.post("/<int:document_id>/withdraw")
@require_permission(Permission.DOCUMENTS_MANAGE)
def withdraw(document_id: int):
    document = db.get_or_404(Document, document_id)
    try:
        services.withdraw_document(document, actor=current_user, reason=request.form.get("reason", ""))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("documents.detail", document_id=document.id))
    db.session.commit()
    flash(_("%(code)s has been withdrawn; its last revision is kept, marked obsolete.", code=document.code), "success")
    return redirect(url_for("documents.detail", document_id=document.id))


def init_app(app: Flask) -> None:
    from qms.documents import attachment_views, revision_views, settings_views  # noqa: F401 - routes on bp
    from qms.documents import request_views  # noqa: F401 - change requests and periodic reviews (routes, nav, panels)

    app.register_blueprint(bp)
    section = _l("Documents")
    add_nav(app, NavItem(section, _l("Master list"), "documents.index", Permission.DOCUMENTS_VIEW, 100))
    add_nav(app, NavItem(section, _l("My tasks"), "documents.tasks", Permission.DOCUMENTS_VIEW, 101))
    add_nav(app, NavItem(section, _l("Document types and codes"), "documents.types", Permission.DOCUMENTS_MANAGE, 109))
    from qms.documents import panels

    panels.init_app(app)

