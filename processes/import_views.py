"""Pages for the .xlsx round trip of the TTHC catalogue and its process maps (ISO 9001:2008 clauses 4.2.3,
7.5.1): download the export or the empty template; upload a workbook to check it or import it.

Routes on the blueprint of ``processes.views``; the work is done by ``processes.xlsx`` and
``processes.importers``, which the ``qms import-process-maps`` command calls too.
"""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import BooleanField

from processes import importers
from processes.models import AdministrativeProcedure
from processes.permissions import can_import_maps
from processes.views import bp
from processes.xlsx import TEMPLATE_FILENAME, export_filename, export_workbook, template_workbook
from qms.audit import log as audit
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.forms import BaseForm
from qms.permissions import Permission, can_read_revision, require_permission
from qms.timeutil import local_today


class ImportMapsForm(BaseForm):
    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(_l("Choose the .xlsx file to import."))],
                     description=_l("The layout of the template: sheets Thủ tục, Quy trình and Nhánh."))
    dry_run = BooleanField(_l("Check only: report what the import would change, write nothing"))


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/export.xlsx")
@require_permission(Permission.PROCESSES_VIEW)
def export_maps():
    procedures = db.session.scalars(select(AdministrativeProcedure).order_by(AdministrativeProcedure.code)).all()
    today = local_today()
    content = export_workbook(procedures, readable=lambda v: can_read_revision(current_user, v.revision, today))
    audit.record(db.session, "processes.exported", object_type="administrative_procedures",
                 summary=f"{len(procedures)} procedures")
    db.session.commit()
    return _xlsx(content, export_filename(today))


@bp.get("/template.xlsx")
@require_permission(Permission.PROCESSES_VIEW)
def import_template():
    return _xlsx(template_workbook(), TEMPLATE_FILENAME)


@bp.route("/import", methods=["GET", "POST"])
@require_permission(Permission.PROCESSES_VIEW)
def import_maps():
    if not can_import_maps(current_user):
        abort(403)
    form = ImportMapsForm()
    if not form.validate_on_submit():
        return render_template("processes/import.html", form=form), 422 if form.is_submitted() else 200
    upload = form.file.data
    report = importers.import_workbook(upload.stream, upload.filename or "", actor=current_user,
                                       dry_run=form.dry_run.data)
    if report.ok and not report.dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return render_template("processes/import.html", form=ImportMapsForm(formdata=None), report=report,
                           version_url=_version_url), 200 if report.ok else 422


def _version_url(drafted: importers.DraftedVersion) -> str | None:
    """The page of a drafted version (or of its procedure) when those pages exist."""
    if "processes.version" in current_app.view_functions:
        return url_for("processes.version", procedure_id=drafted.procedure_id, version_id=drafted.version_id)
    if "processes.detail" in current_app.view_functions:
        return url_for("processes.detail", procedure_id=drafted.procedure_id)
    return None
