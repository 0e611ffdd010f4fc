"""The internal audit report (Báo cáo đánh giá nội bộ, ISO 9001:2008 clause 8.2.2): what it needs, who writes it.

The lead auditor writes the summary and the conclusion while the audit is in progress. The report is
ready, and the audit may be marked reported, when both are written and every checklist question is
answered (conforming, nonconformity, observation or not applicable).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from audits.checklist_models import ChecklistQuestion
from audits.checklist_permissions import can_write_report
from audits.models import Audit
from qms.errors import Conflict, Forbidden
from qms.extensions import db


def unanswered_count(audit: Audit) -> int:
    return db.session.scalar(select(func.count(ChecklistQuestion.id)).where(
        ChecklistQuestion.audit_id == audit.id, ChecklistQuestion.result.is_(None))) or 0


def report_gaps(audit: Audit) -> list[str]:
    """What the report still lacks, one message each (empty when it is ready)."""
    gaps = []
    if not (audit.summary or "").strip():
        gaps.append(_("The report's summary is not written."))
    if not (audit.conclusion or "").strip():
        gaps.append(_("The report's conclusion is not written."))
    open_questions = unanswered_count(audit)
    if open_questions:
        gaps.append(_("%(count)s checklist questions are not answered (mark them not applicable if they do not "
                      "apply).", count=open_questions))
    return gaps


def report_ready(audit: Audit) -> bool:
    """Summary and conclusion written, every question answered or marked not applicable."""
    return not report_gaps(audit)


def write_report(audit: Audit, *, actor, summary: str, conclusion: str) -> Audit:
    """The lead auditor writes (or rewrites) the report's summary and conclusion."""
    if audit.status != "in_progress":
        raise Conflict(_("The report of %(code)s is written while the audit is in progress; it is %(state)s.",
                         code=audit.code, state=audit.status.label))
    if not can_write_report(actor, audit):
        raise Forbidden(_("Only the lead auditor of %(code)s writes its report.", code=audit.code))
    audit.summary, audit.conclusion = (summary or "").strip(), (conclusion or "").strip()
    db.session.flush()
    return audit
