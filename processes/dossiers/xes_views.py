"""Pages for dossier event logs (issue 5; ISO 9001:2008 clauses 8.2.3, 8.4): upload an XES log (.xes or
.xes.gz) to import it, and download the dossiers' event logs as XES or CSV for process-mining tools.

Thin views over ``xes.import_xes`` and ``xes_export``, which the ``qms import-xes`` and ``qms
export-dossiers`` commands call too. The import is synchronous: the logs of a one-stop shop are small.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from processes.dossiers import api, api_admin_views, recorded
from processes.dossiers.api_clients import can_manage_api_clients
from processes.dossiers.followups import records_committed
from processes.dossiers.ingest import IngestRefused
from processes.dossiers.models import Dossier
from processes.dossiers.xes import XesOptions, import_xes, report_lines
from processes.dossiers.xes_export import ExportFilter, csv_document, xes_document
from processes.models import AdministrativeProcedure
from qms.audit import log as audit
from qms.extensions import db
from qms.forms import BaseForm
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today, utcnow
from qms.ui import NavItem, add_nav

bp = Blueprint("dossier_xes", __name__, url_prefix="/dossiers")
OBSERVED = "observed:"


class XesImportForm(BaseForm):
    file = FileField(_l("Event log (.xes or .xes.gz)"), validators=[FileRequired(_l("Choose the XES file to import."))])
    procedure = SelectField(_l("Procedure"), choices=[], validate_choice=True,
                            description=_l("The activities are matched to the steps of this procedure by code or "
                                           "name; without one the log is imported as an observed process."))


class ExportForm(BaseForm):
    class Meta:
        csrf = False  # a GET form: it only reads

    format = SelectField(_l("Format"), choices=[SelectChoice("xes", "XES (IEEE 1849)"), SelectChoice("csv", "CSV")])
    procedure = SelectField(_l("Dossiers of"), choices=[], default="")
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received to"), validators=[Optional()])


def _procedure_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} – {name}") for code, name in db.session.execute(
        select(AdministrativeProcedure.code, AdministrativeProcedure.name).order_by(AdministrativeProcedure.code))]


@bp.route("/xes-import", methods=["GET", "POST"])
@require_permission(Permission.DOSSIERS_IMPORT)
def import_log():
    form = XesImportForm()
    form.procedure.choices = [("", _l("None: an observed process named after the log"))] + _procedure_choices()
    if not form.validate_on_submit():
        return render_template("dossier_xes/import.html", form=form), 422 if form.is_submitted() else 200
    upload = form.file.data
    actor = audit.current_actor()
    mark = recorded.take_mark()
    try:
        report = import_xes(upload.stream, XesOptions(log_name=upload.filename or "log.xes",
                                                      procedure_code=form.procedure.data),
                            actor_name=actor.name, now=utcnow())
    except IngestRefused as refused:
        db.session.rollback()
        return render_template("dossier_xes/import.html", form=form, errors=refused.report.errors,
                               filename=upload.filename), 422
    db.session.commit()
    records_committed(mark)  # after the commit: what follows never refuses the records
    return render_template("dossier_xes/import.html", form=XesImportForm(formdata=None, procedure=""),
                           lines=report_lines(report), filename=upload.filename)


@bp.get("/export")
@require_permission(Permission.DOSSIERS_VIEW)
def export():
    form = ExportForm(request.args)
    observed = db.session.scalars(select(Dossier.activity_set).where(Dossier.procedure_id.is_(None),
                                                                     Dossier.activity_set != "")
                                  .distinct().order_by(Dossier.activity_set)).all()
    form.procedure.choices = [("", _l("All dossiers"))] + _procedure_choices() + \
        [(f"{OBSERVED}{name}", _l("Observed process: %(name)s", name=name)) for name in observed]
    if "format" not in request.args or not form.validate():
        return render_template("dossier_xes/export.html", form=form), 422 if "format" in request.args else 200
    choice = form.procedure.data or ""
    selection = ExportFilter(procedure_code="" if choice.startswith(OBSERVED) else choice,
                             activity_set=choice[len(OBSERVED):] if choice.startswith(OBSERVED) else "",
                             received_from=form.received_from.data, received_to=form.received_to.data)
    fmt = form.format.data
    audit.record(db.session, "dossiers.exported", object_type="dossiers",
                 summary=f"{fmt}: {choice or 'all'} {selection.received_from or ''}–{selection.received_to or ''}")
    db.session.commit()
    pieces = xes_document(selection) if fmt == "xes" else csv_document(selection)
    name = f"dossiers-{local_today():%Y%m%d}.{fmt}"
    mimetype = "application/xml" if fmt == "xes" else "text/csv"
    return Response(stream_with_context(piece.encode("utf-8") for piece in pieces), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.context_processor
def _helpers() -> dict:
    return {"can_manage_api_clients": can_manage_api_clients(current_user)}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    api.init_app(app)
    api_admin_views.init_app(app)
    add_nav(app, NavItem(_l("Processes"), _l("Import an event log (XES)"), "dossier_xes.import_log",
                         Permission.DOSSIERS_IMPORT, 330))
    add_nav(app, NavItem(_l("Processes"), _l("Export event logs"), "dossier_xes.export", Permission.DOSSIERS_VIEW,
                         335))
