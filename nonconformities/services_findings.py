"""Nonconformities raised from internal audit findings (ISO 9001:2008 clauses 8.2.2 and 8.3, 8.5.2).

A major or minor nonconformity found by an audit becomes a nonconformity in one click, once: the
finding's statement, evidence and requirement become its description, the kind its severity, and the
unit, procedure and clause carry over; ``source_ref`` cites the audit and the finding (ĐGNB-2026-01/NC-01).
The audit closes only when every nonconformity raised from its findings is closed, rejected or a
duplicate: ``open_count_of_audit`` is the counter the audits module asks through its hook.
Services flush and never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from audits.checklist_models import Finding, FindingKind
from audits.models import Audit
from nonconformities import permissions as can
from nonconformities.models import ENDED_STATUSES, NcSource, Nonconformity, Severity
from nonconformities.services import raise_nonconformity
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db

SEVERITY_OF_KIND = {FindingKind.MAJOR_NC: Severity.MAJOR, FindingKind.MINOR_NC: Severity.MINOR}
TITLE_LENGTH = 200


def nonconformity_of_finding(finding: Finding) -> Nonconformity | None:
    return db.session.scalar(select(Nonconformity).where(Nonconformity.audit_finding_id == finding.id))


def raise_from_finding(finding: Finding, *, actor, now: datetime | None = None) -> tuple[Nonconformity, bool]:
    """Raise the nonconformity of an audit finding; (nonconformity, True) when raised now, (the existing one,
    False) when the finding already has one, so that a second click leads to it and changes nothing."""
    existing = nonconformity_of_finding(finding)
    if existing is not None:
        return existing, False
    audit = db.session.get(Audit, finding.audit_id)
    if not can.finding_becomes_nonconformity(finding):
        raise DomainError(_("%(ref)s is “%(kind)s”: only a major or minor nonconformity found by an audit "
                            "becomes a nonconformity.", ref=finding.reference, kind=finding.kind.label), field="kind")
    if str(audit.status) not in can.AUDIT_STATES_RAISING:
        raise Conflict(_("Nonconformities are raised from the findings of an audit in progress or reported; "
                         "%(code)s is “%(status)s”.", code=audit.code, status=audit.status.label))
    if not can.can_raise_from_finding(actor, audit):
        raise Forbidden(_("Only the audit team of %(code)s, the ISO secretary and internal auditors raise a "
                          "nonconformity from its findings.", code=audit.code))
    nc = raise_nonconformity(
        source=NcSource.AUDIT_FINDING, title=_title(finding.statement), description=_description(finding),
        severity=SEVERITY_OF_KIND[finding.kind], unit=finding.unit, procedure=finding.procedure,
        clause=finding.clause_code, source_ref=f"{audit.code}/{finding.reference}", audit_finding_id=finding.id,
        actor=actor, now=now)
    return nc, True


def _title(statement: str) -> str:
    line = (statement or "").strip().splitlines()[0].strip() if (statement or "").strip() else ""
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def _description(finding: Finding) -> str:
    """The finding as the nonconformity's description, written in the agency's language: it is a record."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        parts = [finding.statement.strip()]
        if finding.evidence.strip():
            parts.append(_("Evidence: %(text)s", text=finding.evidence.strip()))
        if finding.requirement.strip():
            parts.append(_("Requirement: %(text)s", text=finding.requirement.strip()))
        if finding.procedure is None and finding.process_label:  # a QMS procedure: the record has no field for it
            parts.append(_("Process: %(text)s", text=finding.process_label))
    return "\n\n".join(parts)


# For the audits module's hooks --------------------------------------------------------------------------------


def open_count_of_audit(audit) -> int:
    """How many nonconformities raised from the audit's findings are not closed, rejected or duplicate."""
    return db.session.scalar(
        select(func.count()).select_from(Nonconformity)
        .join(Finding, Finding.id == Nonconformity.audit_finding_id)
        .where(Finding.audit_id == audit.id, Nonconformity.status.not_in([str(s) for s in ENDED_STATUSES]))) or 0


def nonconformities_of(finding_ids: list[int]) -> dict[int, Nonconformity]:
    """Finding id → the nonconformity raised from it, for the findings given."""
    if not finding_ids:
        return {}
    rows = db.session.scalars(select(Nonconformity).where(Nonconformity.audit_finding_id.in_(finding_ids)))
    return {nc.audit_finding_id: nc for nc in rows}
