"""Auditor register and yearly audit programme (ISO 9001:2008 clause 8.2.2).

Services flush but never commit; they raise ``DomainError`` with a message naming the rule.
Audit plans (scope, team, sessions, states) are in ``audits.plan_services``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from audits import permissions
from audits.models import (Audit, Auditor, AuditorUnit, AuditProgramme, AuditTeamMember,
                           ProgrammeTransition)
from audits.workflow import DONE_STATES, InvalidTransition, ProgrammeAction, next_programme_state
from qms.audit import log as audit_log
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Role
from qms.signatures import services as signatures
from qms.signatures.models import SignatureMeaning
from qms.timeutil import to_local, utcnow
from qms.users.models import User


# Auditors ------------------------------------------------------------------------------------------


def register_auditor(user: User, values: dict, *, actor, unit_ids=()) -> Auditor:
    """Enter *user* in the register of internal auditors with their training certificate."""
    _require_manager(actor)
    if db.session.scalar(select(Auditor.id).where(Auditor.user_id == user.id)) is not None:
        raise Conflict(_("%(name)s is already in the register of auditors.", name=user.full_name), field="user_id")
    if not user.is_active:
        raise DomainError(_("%(name)s's account is deactivated.", name=user.full_name), field="user_id")
    auditor = Auditor(user_id=user.id, user=user)
    db.session.add(auditor)
    _apply_auditor_values(auditor, values, unit_ids)
    db.session.flush()
    return auditor


def update_auditor(auditor: Auditor, values: dict, *, actor, unit_ids=()) -> Auditor:
    """Change an auditor's certificate, note and the units they belong to."""
    _require_manager(actor)
    _apply_auditor_values(auditor, values, unit_ids)
    db.session.flush()
    return auditor


def _apply_auditor_values(auditor: Auditor, values: dict, unit_ids) -> None:
    for key in ("certificate_issuer", "certificate_number", "note"):
        if key in values:
            setattr(auditor, key, (values[key] or "").strip())
    if "prior_audits" in values:
        if (values["prior_audits"] or 0) < 0:
            raise DomainError(_("The number of earlier audits cannot be negative."), field="prior_audits")
        auditor.prior_audits = values["prior_audits"] or 0
    if "certificate_on" in values:
        auditor.certificate_on = values["certificate_on"]
    wanted = {int(u) for u in unit_ids}
    auditor.unit_rows = [row for row in auditor.unit_rows if row.unit_id in wanted] + [
        AuditorUnit(unit_id=unit_id) for unit_id in sorted(wanted - {row.unit_id for row in auditor.unit_rows})]


def set_auditor_active(auditor: Auditor, active: bool, *, actor) -> Auditor:
    """Deactivate (or reactivate) an auditor: an inactive auditor cannot be put on a team."""
    _require_manager(actor)
    auditor.is_active = active
    audit_log.tag(db.session, auditor, "auditor.reactivated" if active else "auditor.deactivated", str(auditor))
    db.session.flush()
    return auditor


def audits_done(auditor_ids=None) -> dict[int, int]:
    """Per auditor, how many audits they led or joined that were reported (or closed), plus the earlier
    audits entered on their record."""
    query = (select(AuditTeamMember.auditor_id, func.count(AuditTeamMember.id)).join(Audit)
             .where(Audit.status.in_([s.value for s in DONE_STATES])).group_by(AuditTeamMember.auditor_id))
    prior = select(Auditor.id, Auditor.prior_audits)
    if auditor_ids is not None:
        query = query.where(AuditTeamMember.auditor_id.in_(list(auditor_ids)))
        prior = prior.where(Auditor.id.in_(list(auditor_ids)))
    done = dict(db.session.execute(prior).all())
    for auditor_id, count in db.session.execute(query).all():
        done[auditor_id] = done.get(auditor_id, 0) + count
    return done


def lead_minimum() -> int:
    """How many reported audits a lead auditor must have led or joined (AUDIT_LEAD_MIN_AUDITS)."""
    return int(current_app.config.get("AUDIT_LEAD_MIN_AUDITS", 2))


def _require_manager(actor) -> None:
    if not permissions.can_manage_audits(actor):
        raise Forbidden(_("Only the ISO secretary and internal auditors keep the audits."))


# Programme -----------------------------------------------------------------------------------------


def create_programme(year: int, values: dict, *, actor) -> AuditProgramme:
    """Open the audit programme of *year* (one per year)."""
    _require_manager(actor)
    if not 2000 <= int(year) <= 2100:
        raise DomainError(_("Give a year between 2000 and 2100."), field="year")
    if db.session.scalar(select(AuditProgramme.id).where(AuditProgramme.year == year)) is not None:
        raise Conflict(_("The programme of %(year)d already exists.", year=year), field="year")
    programme = AuditProgramme(year=year, created_by_id=getattr(actor, "id", None),
                               title=(values.get("title") or "").strip()
                               or _("Internal audit programme %(year)d", year=year),
                               objectives=(values.get("objectives") or "").strip())
    db.session.add(programme)
    db.session.flush()
    return programme


def update_programme(programme: AuditProgramme, values: dict, *, actor) -> AuditProgramme:
    """Change the title and objectives of a draft programme."""
    if not permissions.can_edit_programme(actor, programme):
        raise Forbidden(_("Only a draft programme can be changed, by the ISO secretary or an internal auditor."))
    programme.title = (values.get("title") or programme.title).strip()
    programme.objectives = (values.get("objectives") or "").strip()
    db.session.flush()
    return programme


def programme_content(programme: AuditProgramme) -> dict:
    """What the director signs: the programme and each planned audit's dates and scope."""
    audits = db.session.scalars(select(Audit).where(Audit.programme_id == programme.id).order_by(Audit.code)).all()
    return {
        "year": programme.year, "title": programme.title, "objectives": programme.objectives,
        "audits": [{"code": a.code, "title": a.title, "start": a.planned_start, "end": a.planned_end,
                    "units": sorted(a.unit_ids), "clauses": a.clause_codes,
                    "processes": sorted((p.procedure_id or 0, p.document_id or 0) for p in a.process_rows)}
                   for a in audits],
    }


def _programme_event(programme, action, source, target, actor, *, comment="", now=None) -> None:
    db.session.add(ProgrammeTransition(programme_id=programme.id, action=action.value, from_state=source.value,
                                       to_state=target.value, actor_id=getattr(actor, "id", None),
                                       actor_name=getattr(actor, "full_name", "system"), at=now or utcnow(),
                                       comment=comment))


def _move_programme(programme, action: ProgrammeAction, actor, *, comment="", now=None) -> None:
    source = programme.status
    try:
        target = next_programme_state(action, source)
    except InvalidTransition:
        raise Conflict(_("%(action)s is not possible while the programme is “%(status)s”.", action=action.label,
                         status=source.label)) from None
    programme.status = target
    audit_log.tag(db.session, programme, f"audit_programme.{action.value}", programme.title)
    _programme_event(programme, action, source, target, actor, comment=comment, now=now)


def submit_programme(programme: AuditProgramme, *, actor, comment: str = "",
                     now: datetime | None = None) -> None:
    """Send the draft programme to the director for approval; it must plan at least one audit."""
    if not permissions.can_edit_programme(actor, programme):
        raise Forbidden(_("Only a draft programme is submitted, by the ISO secretary or an internal auditor."))
    if not programme.audits:
        raise DomainError(_("Plan at least one audit before submitting the programme (QĐ 19/2014: at least one "
                            "internal audit a year)."))
    now = now or utcnow()
    programme.submitted_at = now
    _move_programme(programme, ProgrammeAction.SUBMIT, actor, comment=comment, now=now)
    db.session.flush()


def return_programme(programme: AuditProgramme, *, actor, comment: str, now: datetime | None = None) -> None:
    """The director sends the programme back with comments; it is a draft again."""
    now = now or utcnow()
    if not permissions.can_approve_programme(actor, programme, to_local(now).date()):
        raise Forbidden(_("Only the director, or a deputy holding a delegation today, returns the programme."))
    if not comment.strip():
        raise DomainError(_("Give a reason."), field="comment")
    programme.submitted_at = None
    _move_programme(programme, ProgrammeAction.RETURN, actor, comment=comment, now=now)
    db.session.flush()


def approve_programme(programme: AuditProgramme, *, actor, password: str, comment: str = "",
                      now: datetime | None = None) -> None:
    """The director (or a deputy signing "KT. Giám đốc") approves the programme with their password."""
    now = now or utcnow()
    if not permissions.can_approve_programme(actor, programme, to_local(now).date()):
        raise Forbidden(_("Only the director, or a deputy holding a delegation today, approves the programme."))
    capacity = "" if actor.has_role(Role.DIRECTOR) else "KT. Giám đốc"
    signature = signatures.sign(programme, SignatureMeaning.APPROVED, signer=actor, password=password,
                                content_hash=signatures.content_sha256(programme_content(programme)),
                                capacity=capacity, comment=comment, now=now)
    programme.approved_at, programme.approved_by_id = now, actor.id
    programme.approver_capacity, programme.signature_id = capacity, signature.id
    _move_programme(programme, ProgrammeAction.APPROVE, actor, comment=comment, now=now)
    db.session.flush()


def programme_of(year: int) -> AuditProgramme | None:
    return db.session.scalar(select(AuditProgramme).where(AuditProgramme.year == year))


def audits_of_year(year: int) -> list[Audit]:
    """Every audit planned to start in *year*, in or out of the programme."""
    return db.session.scalars(select(Audit).where(Audit.planned_start >= date(year, 1, 1),
                                                  Audit.planned_start <= date(year, 12, 31))
                              .order_by(Audit.planned_start, Audit.code)).all()
