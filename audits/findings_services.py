"""Findings of internal audits (ISO 9001:2008 clause 8.2.2): record, withdraw, acknowledge; group for the report.

A finding is a major or minor nonconformity, an observation (điểm lưu ý) or a strength (điểm mạnh),
numbered within its audit, with its clause, unit, process, evidence and the requirement concerned.
The team records it while the audit is in progress, from a checklist question in one step (clause,
unit, process and evidence pre-filled) or on its own. An auditee of the audit, or the head of the
unit concerned, acknowledges it with a comment; an acknowledged finding no longer changes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

import audits
from audits import clauses
from audits.checklist_models import ChecklistQuestion, Finding, FindingKind, QuestionResult
from audits.checklist_permissions import can_acknowledge, can_work_on
from audits.models import Audit
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import utcnow

#: The kind a question's result suggests for its finding.
KIND_OF_RESULT = {QuestionResult.NONCONFORMITY: FindingKind.MINOR_NC, QuestionResult.OBSERVATION:
                  FindingKind.OBSERVATION, QuestionResult.CONFORMING: FindingKind.STRENGTH}


def findings_of(audit: Audit) -> list[Finding]:
    return list(db.session.scalars(select(Finding).where(Finding.audit_id == audit.id).order_by(Finding.number)))


def finding_defaults(audit: Audit, question: ChecklistQuestion) -> dict:
    """What a finding from *question* starts with: its clause, the unit of its step (or of its process, or the
    only unit in scope), its process, the result's kind and the evidence noted with the sampled codes."""
    scope_units = audit.unit_ids
    candidates = []
    if question.step is not None:
        candidates.append(question.step.unit_id)
    if question.procedure is not None:
        candidates.append(question.procedure.owner_unit_id)
    if question.document is not None:
        candidates.append(question.document.owner_unit_id)
    unit_id = next((u for u in candidates if u and (not scope_units or u in scope_units)), None)
    if unit_id is None and len(scope_units) == 1:
        unit_id = scope_units[0]
    evidence = question.notes
    if question.sampled:
        evidence = "\n".join(filter(None, [evidence, _("Dossiers sampled: %(codes)s.",
                                                           codes=", ".join(question.sampled))]))
    step = question.step
    return {"kind": KIND_OF_RESULT.get(question.result, FindingKind.MINOR_NC).value,
            "clause_code": question.clause_code, "unit_id": unit_id, "procedure_id": question.procedure_id,
            "document_id": question.document_id, "evidence": evidence,
            "requirement": question.text if step is None else f"{step.code} – {step.name}: {question.text}"}


def _require_team(audit: Audit, actor) -> None:
    if audit.status != "in_progress":
        raise Conflict(_("Findings are recorded while the audit is in progress; %(code)s is %(state)s.",
                         code=audit.code, state=audit.status.label))
    if not can_work_on(actor, audit):
        raise Forbidden(_("Only the audit team of %(code)s records its findings.", code=audit.code))


def record_finding(audit: Audit, values: dict, *, actor, question: ChecklistQuestion | None = None,
                   now: datetime | None = None) -> Finding:
    """Record a finding of the audit (numbered next); its unit must be in the audit's scope."""
    _require_team(audit, actor)
    try:
        kind = FindingKind(values.get("kind") or "")
    except ValueError:
        raise DomainError(_("Choose the kind of finding."), field="kind") from None
    code = (values.get("clause_code") or "").strip()
    if not clauses.is_clause(code):
        raise DomainError(_("Clause \"%(code)s\" is not a clause of ISO 9001:2008 (4 to 8).", code=code or "—"),
                          field="clause_code")
    unit = db.session.get(Unit, int(values.get("unit_id") or 0))
    if unit is None:
        raise DomainError(_("Choose the unit the finding concerns."), field="unit_id")
    if audit.unit_ids and unit.id not in audit.unit_ids:
        raise DomainError(_("%(unit)s is not in the scope of %(code)s.", unit=unit.name, code=audit.code),
                          field="unit_id")
    statement = (values.get("statement") or "").strip()
    if not statement:
        raise DomainError(_("State the finding."), field="statement")
    evidence = (values.get("evidence") or "").strip()
    if kind.is_nonconformity and not evidence:
        raise DomainError(_("A nonconformity needs its objective evidence."), field="evidence")
    if question is not None and question.audit_id != audit.id:
        raise Conflict(_("This question belongs to another audit."))
    number = (db.session.scalar(select(func.max(Finding.number)).where(Finding.audit_id == audit.id)) or 0) + 1
    finding = Finding(audit_id=audit.id, number=number, question_id=question.id if question else None, kind=kind,
                      clause_code=code, unit_id=unit.id, procedure_id=values.get("procedure_id") or None,
                      document_id=values.get("document_id") or None, statement=statement, evidence=evidence,
                      requirement=(values.get("requirement") or "").strip(), created_by_id=actor.id,
                      created_at=now or utcnow())
    db.session.add(finding)
    db.session.flush()
    return finding


def withdraw_finding(audit: Audit, finding: Finding, *, actor) -> None:
    """Delete a finding recorded by mistake, before the auditee has acknowledged it."""
    _require_team(audit, actor)
    if finding.audit_id != audit.id:
        raise Conflict(_("This finding belongs to another audit."))
    if finding.acknowledged_at is not None:
        raise Conflict(_("%(ref)s was acknowledged by the auditee: it stays on record.", ref=finding.reference))
    raised = audits.nonconformity_codes_of([finding.id]).get(finding.id)
    if raised:
        raise Conflict(_("%(ref)s became the nonconformity %(code)s: it stays on record.", ref=finding.reference,
                         code=raised))
    db.session.delete(finding)
    db.session.flush()


def acknowledge_finding(audit: Audit, finding: Finding, *, actor, comment: str = "",
                        now: datetime | None = None) -> Finding:
    """The auditee (or the head of the unit concerned) acknowledges a finding, with a comment if they wish."""
    if finding.audit_id != audit.id:
        raise Conflict(_("This finding belongs to another audit."))
    if finding.acknowledged_at is not None:
        raise Conflict(_("%(ref)s is already acknowledged.", ref=finding.reference))
    if not can_acknowledge(actor, audit, finding):
        raise Forbidden(_("%(ref)s is acknowledged by an auditee of %(code)s or by the head of %(unit)s.",
                          ref=finding.reference, code=audit.code, unit=finding.unit.name))
    finding.acknowledged_by_id, finding.acknowledged_at = actor.id, now or utcnow()
    finding.auditee_comment = (comment or "").strip()
    db.session.flush()
    return finding


# For the pages and the report ---------------------------------------------------------------------------------


def counts_by_kind(findings: list[Finding]) -> dict[FindingKind, int]:
    counted = Counter(f.kind for f in findings)
    return {kind: counted.get(kind, 0) for kind in FindingKind}


def by_clause(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """The findings grouped by clause, in the standard's order."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.clause_code, []).append(finding)
    return sorted(groups.items(), key=lambda item: clauses.sort_key(item[0]))


def by_unit(findings: list[Finding]) -> list[tuple[Unit, list[Finding]]]:
    """The findings grouped by unit, in the agency's order of units."""
    groups: dict[int, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.unit_id, []).append(finding)
    units = {f.unit_id: f.unit for f in findings}
    return sorted(((units[key], items) for key, items in groups.items()),
                  key=lambda item: (item[0].sort_order, item[0].name))
