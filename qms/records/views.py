"""Web pages: Quality records (ISO 9001:2008 clause 4.2.4): categories, records, downloads, retention, disposal."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.documents.models import Document, DocumentStatus
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.files.views import send_stored
from qms.org.models import Unit
from qms.org.services import current_agency
from qms.permissions import Permission, has_permission, require_permission
from qms.records import panels, services
from qms.records.exports import categories_xlsx, records_xlsx
from qms.records.forms import CategoryForm, DisposeForm, DisposeManyForm, RecordForm
from qms.records.models import QualityRecord, RecordCategory
from qms.records.permissions import can_dispose, can_download, can_file_records, can_manage_records
from qms.timeutil import local_today
from qms.ui import NavItem, add_nav
from qms.users.models import User

bp = Blueprint("records", __name__, url_prefix="/records")
RETENTION_LIST_LIMIT = 1000


def _units(active_only: bool = True):
    query = select(Unit).order_by(Unit.sort_order, Unit.name)
    return db.session.scalars(query.where(Unit.is_active.is_(True)) if active_only else query).all()


def _categories(active_only: bool = False):
    query = select(RecordCategory).order_by(RecordCategory.code)
    return db.session.scalars(query.where(RecordCategory.is_active.is_(True)) if active_only else query).unique().all()


def _people(*ids) -> dict[int, User]:
    wanted = {i for i in ids if i}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def _xlsx_response(content: bytes, stem: str) -> Response:
    filename = f"{stem}-{local_today():%Y%m%d}.xlsx"
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Records ----------------------------------------------------------------------------------------------------


@bp.get("/")
@require_permission(Permission.RECORDS_VIEW)
def index():
    filters = services.RecordFilters.from_args(request.args)
    page = services.search_records(filters, per_page=current_app.config["PAGE_SIZE"])
    first, last = db.session.execute(select(func.min(QualityRecord.record_date),
                                            func.max(QualityRecord.record_date))).one()
    years = list(range(last.year, first.year - 1, -1)) if first else []
    units = _units(active_only=False)
    return render_template("records/index.html", page=page, filters=filters, categories=_categories(),
                           units=units, units_by_id={u.id: u for u in units}, years=years, today=local_today(),
                           can_file=can_file_records(current_user))


@bp.get("/export.xlsx")
@require_permission(Permission.RECORDS_VIEW)
def export():
    filters = services.RecordFilters.from_args(request.args)
    records = services.records_for_export(filters)
    audit.record(db.session, "records.exported", object_type="quality_records", summary=f"{len(records)} records",
                 after={"filters": request.args.to_dict()})
    db.session.commit()
    people = _people(*(r.created_by_id for r in records), *(r.disposed_by_id for r in records))
    units = {u.id: u for u in _units(active_only=False)}
    return _xlsx_response(records_xlsx(records, people, units), "ho-so-chat-luong")


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.RECORDS_FILE)
def new():
    form = RecordForm()
    form.fill_choices(_categories(active_only=True), _units())
    if request.method == "GET":
        form.unit_id.data = current_user.unit_id or 0
        form.category_id.data = request.args.get("category", 0, type=int)
    if form.validate_on_submit():
        values = {"category": db.get_or_404(RecordCategory, form.category_id.data), "title": form.title.data,
                  "reference": form.reference.data, "record_date": form.record_date.data,
                  "unit_id": form.unit_id.data or None, "notes": form.notes.data}
        try:
            record = services.file_record(values, form.file.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "title", form.title).errors.append(error.message)
            return render_template("records/form.html", form=form), 422
        db.session.commit()
        flash(_("Quality record \"%(title)s\" filed.", title=record.title), "success")
        return redirect(url_for("records.detail", record_id=record.id))
    return render_template("records/form.html", form=form), 422 if form.errors else 200


@bp.get("/<int:record_id>")
@require_permission(Permission.RECORDS_VIEW)
def detail(record_id: int):
    record = db.get_or_404(QualityRecord, record_id)
    history = []
    if has_permission(current_user, Permission.AUDIT_LOG_VIEW):
        history = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "quality_records",
                                     AuditEntry.object_id == str(record.id))
            .order_by(AuditEntry.seq.desc()).limit(20)).all()
    today = local_today()
    return render_template("records/detail.html", record=record, history=history, today=today,
                           unit=db.session.get(Unit, record.unit_id) if record.unit_id else None,
                           people=_people(record.created_by_id, record.disposed_by_id),
                           may_download=can_download(current_user, record),
                           may_dispose=can_dispose(current_user, record, today), dispose_form=DisposeForm())


@bp.get("/<int:record_id>/download")
@require_permission(Permission.RECORDS_VIEW)
def download(record_id: int):
    record = db.get_or_404(QualityRecord, record_id)
    if not can_download(current_user, record):
        abort(403)
    if record.file is None:
        abort(404)
    return send_stored(record.file, record.filename)


@bp.post("/<int:record_id>/dispose")
@require_permission(Permission.RECORDS_MANAGE)
def dispose(record_id: int):
    record = db.get_or_404(QualityRecord, record_id)
    form = DisposeForm()
    if not form.validate_on_submit():
        flash(_("Give the disposal minutes (number, date, how the records were disposed of)."), "danger")
        return redirect(url_for("records.detail", record_id=record.id))
    try:
        services.dispose_record(record, actor=current_user, note=form.note.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("records.detail", record_id=record.id))
    db.session.commit()
    flash(_("Quality record \"%(title)s\" disposed of; the disposal is recorded.", title=record.title), "success")
    return redirect(url_for("records.detail", record_id=record.id))


def _due_records():
    query = services.retention_ended_query(local_today()).limit(RETENTION_LIST_LIMIT)
    return db.session.scalars(query).unique().all()


@bp.get("/retention-ended")
@require_permission(Permission.RECORDS_MANAGE)
def retention_ended():
    return _retention_page(DisposeManyForm(), _due_records())


def _retention_page(form, due, status: int = 200):
    units = {u.id: u for u in _units(active_only=False)}
    return render_template("records/retention_ended.html", records=due, form=form, units_by_id=units,
                           limit=RETENTION_LIST_LIMIT), status


@bp.post("/retention-ended/dispose")
@require_permission(Permission.RECORDS_MANAGE)
def dispose_many():
    due = _due_records()
    form = DisposeManyForm()
    form.record_ids.choices = [(r.id, r.title) for r in due]
    if not form.validate_on_submit():
        return _retention_page(form, due, 422)
    chosen = [r for r in due if r.id in set(form.record_ids.data)]
    try:
        services.dispose_records(chosen, actor=current_user, note=form.note.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("records.retention_ended"))
    db.session.commit()
    flash(_("%(n)d quality record(s) disposed of; the disposal is recorded.", n=len(chosen)), "success")
    return redirect(url_for("records.retention_ended"))


# Categories (Danh mục hồ sơ) --------------------------------------------------------------------------------


@bp.get("/categories")
@require_permission(Permission.RECORDS_VIEW)
def categories():
    counts = dict(db.session.execute(select(QualityRecord.category_id, func.count())
                                     .where(QualityRecord.disposed_at.is_(None))
                                     .group_by(QualityRecord.category_id)).all())
    return render_template("records/categories.html", categories=_categories(), counts=counts,
                           can_manage=can_manage_records(current_user))


@bp.get("/categories/export.xlsx")
@require_permission(Permission.RECORDS_VIEW)
def export_categories():
    rows = _categories()
    audit.record(db.session, "record_categories.exported", object_type="record_categories",
                 summary=f"{len(rows)} categories")
    db.session.commit()
    agency = current_agency()
    return _xlsx_response(categories_xlsx(rows, agency.name if agency else ""), "danh-muc-ho-so-chat-luong")


def _documents(current_id: int | None):
    query = select(Document).where((Document.status != DocumentStatus.WITHDRAWN) | (Document.id == current_id))
    return db.session.scalars(query.order_by(Document.code)).unique().all()


def _category_form_page(category: RecordCategory | None):
    form = CategoryForm(obj=category)
    form.fill_choices(_documents(category.procedure_id if category else None), _units())
    if request.method == "GET" and category is not None:
        form.procedure_id.data = category.procedure_id or 0
        form.keeping_unit_id.data = category.keeping_unit_id or 0
        form.is_permanent.data = category.retention_months is None
    if form.validate_on_submit():
        try:
            saved = services.save_category(category, form.values(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "code", form.code).errors.append(error.message)
            return render_template("records/category_form.html", form=form, category=category), 422
        db.session.commit()
        flash(_("Category %(code)s saved.", code=saved.code), "success")
        return redirect(url_for("records.categories"))
    status = 422 if form.errors else 200
    return render_template("records/category_form.html", form=form, category=category), status


@bp.route("/categories/new", methods=["GET", "POST"])
@require_permission(Permission.RECORDS_MANAGE)
def new_category():
    return _category_form_page(None)


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.RECORDS_MANAGE)
def edit_category(category_id: int):
    return _category_form_page(db.get_or_404(RecordCategory, category_id))


@bp.app_template_filter("record_retention")
def _retention_filter(months):
    return services.retention_text(months)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    section = _l("Quality records")
    add_nav(app, NavItem(section, _l("Quality records"), "records.index", Permission.RECORDS_VIEW, 400))
    add_nav(app, NavItem(section, _l("Record categories"), "records.categories", Permission.RECORDS_VIEW, 401))
    add_nav(app, NavItem(section, _l("Retention ended"), "records.retention_ended", Permission.RECORDS_MANAGE, 402))
    panels.init_app(app)
