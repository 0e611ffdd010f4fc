"""Pages of the internal audit report (ISO 9001:2008 clause 8.2.2): write it, see what it lacks, download it."""

from __future__ import annotations

from io import BytesIO

from flask import render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from audits import findings_services as findings
from audits import report_services as reports
from audits.checklist_permissions import can_write_report
from audits.checklist_services import questions_of
from audits.checklist_views import audit_tabs, bp, load_audit, perform
from audits.report_exports import report_docx
from qms.docx import DOCX_MIMETYPE
from qms.org.services import current_agency
from qms.permissions import Permission, require_permission


@bp.get("/<int:audit_id>/report")
@require_permission(Permission.AUDITS_VIEW)
def report(audit_id: int):
    audit = load_audit(audit_id)
    rows = findings.findings_of(audit)
    questions = questions_of(audit)
    return render_template("audit_checklists/report.html", audit=audit, gaps=reports.report_gaps(audit),
                           counts=findings.counts_by_kind(rows), total_findings=len(rows),
                           answered=sum(1 for q in questions if q.result is not None), total=len(questions),
                           may_write=can_write_report(current_user, audit), **audit_tabs(audit))


@bp.post("/<int:audit_id>/report")
@require_permission(Permission.AUDITS_VIEW)
def write_report(audit_id: int):
    audit = load_audit(audit_id)
    return perform(lambda: reports.write_report(audit, actor=current_user, summary=request.form.get("summary", ""),
                                                conclusion=request.form.get("conclusion", "")),
                   done=_("Report saved."), back=url_for(".report", audit_id=audit.id))


@bp.get("/<int:audit_id>/report.docx")
@require_permission(Permission.AUDITS_VIEW)
def report_download(audit_id: int):
    audit = load_audit(audit_id)
    questions = questions_of(audit)
    content = report_docx(audit, findings.findings_of(audit), agency=current_agency(),
                          answered=sum(1 for q in questions if q.result is not None), total=len(questions))
    return send_file(BytesIO(content), mimetype=DOCX_MIMETYPE, as_attachment=True,
                     download_name=f"Bao-cao-danh-gia-noi-bo-{audit.code}.docx")
