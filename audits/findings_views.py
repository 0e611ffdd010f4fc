"""Pages of audit findings (ISO 9001:2008 clause 8.2.2): the list by clause and by unit, record, acknowledge."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import audits
from audits import findings_services as findings
from audits.checklist_models import Finding, FindingKind
from audits.checklist_permissions import can_acknowledge, can_work_on
from audits.checklist_views import audit_tabs, bp, load_audit, load_question, perform
from audits.clauses import CLAUSES
from qms.extensions import db
from qms.permissions import Permission, require_permission


def _finding(audit, finding_id: int) -> Finding:
    finding = db.get_or_404(Finding, finding_id)
    if finding.audit_id != audit.id:
        abort(404)
    return finding


@bp.get("/<int:audit_id>/findings")
@require_permission(Permission.AUDITS_VIEW)
def findings_page(audit_id: int):
    audit = load_audit(audit_id)
    rows = findings.findings_of(audit)
    question = None
    if request.args.get("question", type=int):
        question = load_question(audit, request.args.get("question", type=int))
    values = findings.finding_defaults(audit, question) if question is not None else {}
    return render_template("audit_checklists/findings.html", audit=audit, findings=rows,
                           by_clause=findings.by_clause(rows), by_unit=findings.by_unit(rows),
                           counts=findings.counts_by_kind(rows), kinds=list(FindingKind), clauses=CLAUSES,
                           scope_units=[row.unit for row in audit.unit_rows], question=question, values=values,
                           may_work=can_work_on(current_user, audit),
                           may_acknowledge={f.id: can_acknowledge(current_user, audit, f) for f in rows},
                           nc_links=audits.finding_links(rows, current_user, audit),
                           **audit_tabs(audit))


@bp.post("/<int:audit_id>/findings")
@require_permission(Permission.AUDITS_VIEW)
def record_finding(audit_id: int):
    audit = load_audit(audit_id)
    question_id = request.form.get("question_id", type=int)
    question = load_question(audit, question_id) if question_id else None
    keys = ("kind", "clause_code", "unit_id", "procedure_id", "document_id", "statement", "evidence", "requirement")
    values = {key: request.form.get(key, "") for key in keys}
    values["procedure_id"] = request.form.get("procedure_id", type=int)
    values["document_id"] = request.form.get("document_id", type=int)
    values["unit_id"] = request.form.get("unit_id", type=int)
    return perform(lambda: findings.record_finding(audit, values, actor=current_user, question=question),
                   done=_("Finding recorded."), back=url_for(".findings_page", audit_id=audit.id))


@bp.post("/<int:audit_id>/findings/<int:finding_id>/acknowledge")
@require_permission(Permission.AUDITS_VIEW)
def acknowledge(audit_id: int, finding_id: int):
    audit = load_audit(audit_id)
    finding = _finding(audit, finding_id)
    return perform(lambda: findings.acknowledge_finding(audit, finding, actor=current_user,
                                                        comment=request.form.get("comment", "")),
                   done=_("Finding acknowledged."), back=url_for(".findings_page", audit_id=audit.id) + f"#f{finding.id}")


@bp.post("/<int:audit_id>/findings/<int:finding_id>/withdraw")
@require_permission(Permission.AUDITS_VIEW)
def withdraw(audit_id: int, finding_id: int):
    audit = load_audit(audit_id)
    finding = _finding(audit, finding_id)
    return perform(lambda: findings.withdraw_finding(audit, finding, actor=current_user),
                   done=_("Finding withdrawn."), back=url_for(".findings_page", audit_id=audit.id))
