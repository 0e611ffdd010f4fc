"""Dossier reports and forms (ISO 9001:2008 clauses 7.5.1, 8.2.3, 8.4): the monthly report on screen and
as .xlsx, the Sổ theo dõi hồ sơ (Mẫu 06) of a period, and the Word forms of one dossier (Mẫu 01, 02, 04, 05).

Every reader of dossiers may open them: they show what the agency recorded, they change nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from processes.dossiers import forms_docx, reports
from processes.dossiers.models import Dossier, SupplementRequest
from processes.dossiers.report_exports import monthly_report_xlsx, register_xlsx
from qms.docx import DOCX_MIMETYPE
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.org.services import current_agency
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today, parse_local_date
from qms.ui import NavItem, add_nav

bp = Blueprint("dossier_reports", __name__, url_prefix="/dossier-reports")


def _download(content: bytes, mimetype: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def _month() -> tuple[int, int]:
    """The month asked for (?year=&month=), this month when absent; 400 when malformed."""
    today = local_today()
    try:
        year = int(request.args.get("year") or today.year)
        month = int(request.args.get("month") or today.month)
    except ValueError:
        abort(400)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(400)
    return year, month


@bp.get("/")
@require_permission(Permission.DOSSIERS_VIEW)
def index():
    year, month = _month()
    report = reports.monthly_report(year, month)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return render_template("dossier_reports/index.html", report=report, previous=previous, following=following,
                           years=range(local_today().year - 5, local_today().year + 1),
                           register_from=report.start, register_to=report.last_day)


@bp.get("/monthly.xlsx")
@require_permission(Permission.DOSSIERS_VIEW)
def monthly_xlsx():
    year, month = _month()
    content = monthly_report_xlsx(reports.monthly_report(year, month), agency=current_agency())
    return _download(content, XLSX_MIMETYPE, f"bao-cao-ho-so-{year}-{month:02d}.xlsx")


@bp.get("/register.xlsx")
@require_permission(Permission.DOSSIERS_VIEW)
def register_xlsx_download():
    try:
        start = parse_local_date(request.args.get("from", ""))
        end = parse_local_date(request.args.get("to", ""))
    except ValueError:
        flash(_("Give the period of the register as two dates, dd/mm/yyyy."), "danger")
        return redirect(url_for("dossier_reports.index"))
    if end < start or (end - start).days > 366:
        flash(_("The register covers at most a year, from the first date to the second."), "danger")
        return redirect(url_for("dossier_reports.index"))
    rows = reports.register_rows(start, end + timedelta(days=1))
    content = register_xlsx(rows, start=start, end=end, agency=current_agency())
    return _download(content, XLSX_MIMETYPE, f"so-theo-doi-ho-so-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")


# The forms of one dossier ------------------------------------------------------------------------------------


def _form(dossier: Dossier, number: str, content: bytes, suffix: str = "") -> Response:
    return _download(content, DOCX_MIMETYPE, f"Mau{number}-{dossier.code}{suffix}.docx")


@bp.get("/dossier/<int:dossier_id>/mau-01.docx")
@require_permission(Permission.DOSSIERS_VIEW)
def receipt_docx(dossier_id: int):
    dossier = db.get_or_404(Dossier, dossier_id)
    book = reports.register_number(dossier)
    return _form(dossier, "01", forms_docx.receipt_docx(dossier, agency=current_agency(), book=book))


@bp.get("/dossier/<int:dossier_id>/supplement/<int:request_id>/mau-02.docx")
@require_permission(Permission.DOSSIERS_VIEW)
def supplement_docx(dossier_id: int, request_id: int):
    dossier = db.get_or_404(Dossier, dossier_id)
    supplement = db.get_or_404(SupplementRequest, request_id)
    if supplement.dossier_id != dossier.id:
        abort(404)
    content = forms_docx.supplement_docx(dossier, supplement, agency=current_agency())
    return _form(dossier, "02", content, f"-{supplement.id}")


@bp.get("/dossier/<int:dossier_id>/mau-04.docx")
@require_permission(Permission.DOSSIERS_VIEW)
def apology_docx(dossier_id: int):
    dossier = db.get_or_404(Dossier, dossier_id)
    apology = reports.apology_of(dossier) or abort(404)
    return _form(dossier, "04", forms_docx.apology_docx(dossier, apology, agency=current_agency()))


@bp.get("/dossier/<int:dossier_id>/mau-05.docx")
@require_permission(Permission.DOSSIERS_VIEW)
def control_sheet_docx(dossier_id: int):
    dossier = db.get_or_404(Dossier, dossier_id)
    return _form(dossier, "05", forms_docx.control_sheet_docx(dossier, agency=current_agency()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Processes"), _l("Dossier reports"), "dossier_reports.index",
                         Permission.DOSSIERS_VIEW, 320))
