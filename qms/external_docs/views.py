"""Web pages: the register of external documents and the three-month update flags.

ISO 9001:2008 clause 4.2.3 f (documents of external origin are identified and their distribution
controlled); QĐ 19/2014/QĐ-TTg Art. 4.4a (legal changes enter the QMS within three months).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.external_docs import panels, services
from qms.external_docs.exports import register_xlsx, superseded_by_text
from qms.external_docs.forms import ExternalDocumentForm, RelationForm
from qms.external_docs.models import ExternalDocument, ExternalKind, ExternalStatus, RelationKind, UpdateFlag
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today, to_local
from qms.ui import NavItem, add_nav

bp = Blueprint("external_docs", __name__, url_prefix="/external-documents")
EXPORT_LIMIT = 10_000


def _filters() -> dict:
    return {key: request.args.get(key, "").strip() for key in ("q", "kind", "status")}


@bp.get("/")
@require_permission(Permission.EXTERNAL_DOCS_VIEW)
def index():
    page = db.paginate(services.register_query(**_filters()), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)
    return render_template("external_docs/index.html", page=page, kinds=list(ExternalKind),
                           statuses=list(ExternalStatus),
                           superseded_by=services.superseding_relations(d.id for d in page.items),
                           superseded_by_text=superseded_by_text)


@bp.get("/export.xlsx")
@require_permission(Permission.EXTERNAL_DOCS_VIEW)
def export():
    documents = db.session.scalars(services.register_query(**_filters()).limit(EXPORT_LIMIT)).all()
    content = register_xlsx(documents, services.superseding_relations(d.id for d in documents))
    audit.record(db.session, "external_docs.exported", object_type="external_documents",
                 summary=f"{len(documents)} entries", after={"filters": _filters()})
    db.session.commit()
    filename = f"danh-muc-tai-lieu-ben-ngoai-{local_today():%Y%m%d}.xlsx"
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _form_page(document: ExternalDocument | None):
    form = ExternalDocumentForm(obj=document)
    form.fill_choices()
    if request.method == "GET" and document is not None:
        form.kind.data, form.status.data = document.kind.value, document.status.value
    if form.validate_on_submit():
        try:
            if document is None:
                saved = services.create_external_document(form.values(), actor=current_user)
            else:
                saved = services.update_external_document(document, form.values(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "number").errors.append(error.message)
            return render_template("external_docs/form.html", form=form, document=document), 422
        db.session.commit()
        flash(_("%(number)s saved in the register.", number=saved.number), "success")
        return redirect(url_for("external_docs.detail", external_document_id=saved.id))
    return render_template("external_docs/form.html", form=form, document=document)


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.EXTERNAL_DOCS_MANAGE)
def new():
    return _form_page(None)


@bp.route("/<int:external_document_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.EXTERNAL_DOCS_MANAGE)
def edit(external_document_id: int):
    return _form_page(db.get_or_404(ExternalDocument, external_document_id))


def _relation_form(document: ExternalDocument) -> RelationForm:
    form = RelationForm()
    others = db.session.scalars(select(ExternalDocument).where(ExternalDocument.id != document.id)
                                .order_by(ExternalDocument.number)).all()
    form.fill_choices(others)
    if not form.is_submitted():
        form.kind.data = RelationKind.AMENDS.value
    return form


@bp.get("/<int:external_document_id>")
@require_permission(Permission.EXTERNAL_DOCS_VIEW)
def detail(external_document_id: int):
    document = db.get_or_404(ExternalDocument, external_document_id)
    supersedes, superseded = services.relations_of(document)
    return render_template("external_docs/detail.html", document=document, supersedes=supersedes,
                           superseded=superseded, citations=services.citations_of(document),
                           flags=services.flags_of_relations(r.id for r in supersedes),
                           relation_form=_relation_form(document), today=local_today(),
                           document_url=panels.document_url, superseded_by_text=superseded_by_text)


@bp.post("/<int:external_document_id>/relations")
@require_permission(Permission.EXTERNAL_DOCS_MANAGE)
def record_relation(external_document_id: int):
    document = db.get_or_404(ExternalDocument, external_document_id)
    back = redirect(url_for("external_docs.detail", external_document_id=document.id))
    form = _relation_form(document)
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "danger")
        return back
    target = db.get_or_404(ExternalDocument, form.target_id.data)
    try:
        relation = services.record_relation(document, target, form.kind.data, actor=current_user,
                                            effective_on=form.effective_on.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return back
    flagged = db.session.scalar(select(func.count(UpdateFlag.id)).where(UpdateFlag.relation_id == relation.id))
    db.session.commit()
    flash(_("Recorded: %(source)s %(kind)s %(target)s. Internal documents to update: %(count)d.",
            source=document.number, kind=relation.kind.label, target=target.number, count=flagged), "success")
    return back


@bp.get("/flags")
@require_permission(Permission.EXTERNAL_DOCS_VIEW)
def flags():
    today = local_today()
    return render_template("external_docs/flags.html", open_flags=services.open_flags(today),
                           resolved=services.resolved_flags(), today=today, to_local=to_local,
                           document_url=panels.document_url)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    section = _l("Documents")
    add_nav(app, NavItem(section, _l("External documents"), "external_docs.index", Permission.EXTERNAL_DOCS_VIEW,
                         205))
    add_nav(app, NavItem(section, _l("Documents to update"), "external_docs.flags", Permission.EXTERNAL_DOCS_VIEW,
                         206))
    panels.init_app(app)
