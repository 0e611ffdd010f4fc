"""Pages of the bulk import of dossier records (ISO 9001:2008 clauses 7.5.1, 8.2.3): upload an export of a
one-stop system, map its columns the first time, follow the import's progress bar, read its report or its
errors and download them as .xlsx.

Thin views over ``importing`` and ``import_jobs``; the import itself runs in a background thread (one
transaction, all or nothing) while the page polls ``/progress`` from ``static/js/dossier_import.js``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from processes.dossiers import import_jobs, importing
from processes.dossiers.import_exports import errors_filename, errors_workbook
from processes.dossiers.import_forms import MappingForm, UploadForm, column_selects, proposal_from
from processes.dossiers.import_models import ColumnMapping, DossierImport, ImportStatus
from processes.dossiers.importing_mapping import suggest
from processes.dossiers.importing_readers import ImportFileRefused
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.ui import NavItem, add_nav

bp = Blueprint("dossier_imports", __name__, url_prefix="/dossiers/imports")
SHOWN_ERRORS = 200


def _start(batch: DossierImport) -> None:
    import_jobs.start_in_background(current_app._get_current_object(), batch.id)


@bp.route("/", methods=["GET", "POST"])
@require_permission(Permission.DOSSIERS_IMPORT)
def index():
    request.max_content_length = importing.limit_bytes()  # an export may be larger than an office upload
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = importing.receive_file(upload.stream, upload.filename or "", actor=current_user,
                                           dry_run=form.dry_run.data)
        except (ImportFileRefused, DomainError) as error:
            db.session.rollback()
            form.file.errors.append(error.message)
        else:
            db.session.commit()
            if batch.status == ImportStatus.MAPPING:
                return redirect(url_for(".mapping", import_id=batch.id))
            _start(batch)
            return redirect(url_for(".show", import_id=batch.id))
    imports = db.session.scalars(select(DossierImport).order_by(DossierImport.id.desc()).limit(30)).all()
    mappings = db.session.scalars(select(ColumnMapping).order_by(ColumnMapping.name)).all()
    return render_template("dossier_imports/index.html", form=form, imports=imports, mappings=mappings,
                           summary=importing.summary), 422 if form.is_submitted() and form.errors else 200


@bp.route("/<int:import_id>/mapping", methods=["GET", "POST"])
@require_permission(Permission.DOSSIERS_IMPORT)
def mapping(import_id: int):
    batch = db.get_or_404(DossierImport, import_id)
    if batch.status != ImportStatus.MAPPING:
        return redirect(url_for(".show", import_id=batch.id))
    layout = request.form.get("layout") or request.args.get("layout") or None
    suggestion = suggest(batch.headers, layout)
    form = MappingForm(layout=suggestion.layout, name=batch.filename.rsplit(".", 1)[0][:120])
    problems = []
    if form.validate_on_submit() and "save" in request.form:
        proposal = proposal_from(request.form, suggestion.layout, batch.headers)
        try:
            importing.save_mapping(batch, proposal, name=form.name.data, date_format=form.date_format.data,
                                   actor=current_user)
        except DomainError as error:
            db.session.rollback()
            problems.append(error.message)
        else:
            db.session.commit()
            _start(batch)
            return redirect(url_for(".show", import_id=batch.id))
    fields, steps = column_selects(batch.headers, suggestion, request.form if request.method == "POST" else None)
    return render_template("dossier_imports/mapping.html", batch=batch, form=form, fields=fields, steps=steps,
                           problems=problems), 422 if problems else 200


@bp.get("/<int:import_id>")
@require_permission(Permission.DOSSIERS_IMPORT)
def show(import_id: int):
    batch = db.get_or_404(DossierImport, import_id)
    if batch.status == ImportStatus.MAPPING:
        return redirect(url_for(".mapping", import_id=batch.id))
    if import_jobs.settle_stalled(batch):
        db.session.commit()
    return render_template("dossier_imports/show.html", batch=batch, summary=importing.summary(batch),
                           earlier=importing.earlier_imports(batch), errors=batch.errors[:SHOWN_ERRORS],
                           progress=import_jobs.read_progress(batch.id))


@bp.get("/<int:import_id>/progress")
@require_permission(Permission.DOSSIERS_IMPORT)
def progress(import_id: int):
    batch = db.get_or_404(DossierImport, import_id)
    if import_jobs.settle_stalled(batch):
        db.session.commit()
    data = import_jobs.read_progress(batch.id) if not batch.status_code.is_over else {"percent": 100}
    return jsonify(status=batch.status_code.value, label=batch.status_code.label, over=batch.status_code.is_over,
                   percent=data.get("percent", 0), phase=data.get("phase", ""),
                   phase_label=phase_label(data.get("phase", "")), detail=importing.progress_detail(data),
                   rows_read=data.get("rows_read"),
                   total_rows=data.get("total_rows"), dossiers=data.get("dossiers"), steps=data.get("steps"))


@bp.get("/<int:import_id>/errors.xlsx")
@require_permission(Permission.DOSSIERS_IMPORT)
def errors(import_id: int):
    batch = db.get_or_404(DossierImport, import_id)
    if not batch.errors:
        abort(404)
    return Response(errors_workbook(batch), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{errors_filename(batch)}"'})


def phase_label(phase: str) -> str:
    return {"waiting": _("Waiting for another import to finish"), "reading": _("Reading the file"),
            "importing": _("Checking and writing the dossiers"), "checking": _("Checking the rest of the file"),
            "done": _("Finished")}.get(phase, phase)


def init_app(app: Flask) -> None:
    app.config.setdefault("DOSSIER_IMPORT_MAX_MB", importing.DEFAULT_MAX_MB)
    app.register_blueprint(bp)
    app.jinja_env.globals.setdefault("import_phase_label", phase_label)
    app.jinja_env.globals.setdefault("import_progress_detail", importing.progress_detail)
    add_nav(app, NavItem(_l("Processes"), _l("Import dossiers"), "dossier_imports.index", Permission.DOSSIERS_IMPORT,
                         325))
