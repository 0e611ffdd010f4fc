"""Audit plans (Kế hoạch đánh giá, ISO 9001:2008 clause 8.2.2): scope, team with enforced independence,
auditees, sessions, criteria, and the moves planned → notified → in progress → reported → closed.

Independence is checked whenever the team or the scope changes: a team member never audits a unit
they belong to, nor a procedure whose document they drafted, reviewed or approved. Services flush,
never commit, and raise ``DomainError`` naming who and why.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from audits import clauses, permissions
from audits.models import (Audit, AuditAuditee, AuditClause, Auditor, AuditProcess, AuditProgramme, AuditSession,
                           AuditStatus, AuditTeamMember, AuditTransition, AuditUnit, TeamRole)
from audits.permissions import AuditorFacts, ProcessFacts, RevisionPeople, UnitFacts
from audits.services import audits_done, lead_minimum
from audits.workflow import Action, InvalidTransition, next_state
from processes.models import AdministrativeProcedure, ProcessVersion
from qms.audit import log as audit_log
from qms.documents.models import Document, Revision, RevisionState
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.notifications.services import notify
from qms.org.models import Unit
from qms.timeutil import format_date, utcnow
from qms.users.models import User


# Facts for the independence predicate -----------------------------------------------------------------


def auditor_facts(auditor: Auditor) -> AuditorFacts:
    return AuditorFacts(name=auditor.user.full_name, user_id=auditor.user_id, unit_ids=auditor.unit_ids)


def unit_facts(unit_ids) -> list[UnitFacts]:
    ids = list(unit_ids)
    if not ids:
        return []
    return [UnitFacts(u.id, u.name) for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))]


def _revision_people(document_ids, revision_ids=()) -> list[RevisionPeople]:
    condition = Revision.document_id.in_(list(document_ids))
    if revision_ids:
        condition = or_(condition, Revision.id.in_(list(revision_ids)))
    rows = db.session.scalars(select(Revision).where(condition, Revision.state != RevisionState.CANCELLED)
                              .order_by(Revision.id)).all()
    return [RevisionPeople(r.numbering, r.drafted_by_id, r.reviewed_by_id, r.approved_by_id) for r in rows]


def process_facts(procedure_ids=(), document_ids=()) -> list[ProcessFacts]:
    """The people behind each procedure in scope: a TTHC through its QT document and its process versions'
    revisions, a QMS procedure through its own revisions."""
    facts = []
    for procedure in db.session.scalars(select(AdministrativeProcedure)
                                        .where(AdministrativeProcedure.id.in_(list(procedure_ids)))):
        revision_ids = db.session.scalars(select(ProcessVersion.revision_id)
                                          .where(ProcessVersion.procedure_id == procedure.id)).all()
        documents = [procedure.document_id] if procedure.document_id else []
        facts.append(ProcessFacts(f"{procedure.code} {procedure.name}", tuple(_revision_people(documents, revision_ids))))
    for document in db.session.scalars(select(Document).where(Document.id.in_(list(document_ids)))):
        facts.append(ProcessFacts(f"{document.code} {document.title}", tuple(_revision_people([document.id]))))
    return facts


def check_independence(auditors, *, unit_ids, procedure_ids=(), document_ids=()) -> None:
    """Refuse (DomainError) when any of *auditors* would audit their own unit or their own procedure."""
    units = unit_facts(unit_ids)
    processes = process_facts(procedure_ids, document_ids)
    issues = [issue for auditor in auditors
              for issue in permissions.independence_issues(auditor_facts(auditor), units, processes)]
    if issues:
        raise DomainError(" ".join(issue.message for issue in issues), field="team")


# Plans ---------------------------------------------------------------------------------------------


def next_code(year: int) -> str:
    """The next free code of *year*: ĐGNB-2026-01, ĐGNB-2026-02, ..."""
    prefix = f"ĐGNB-{year}-"
    taken = set(db.session.scalars(select(Audit.code).where(Audit.code.like(prefix + "%"))))
    number = 1
    while f"{prefix}{number:02d}" in taken:
        number += 1
    return f"{prefix}{number:02d}"


def create_audit(values: dict, *, actor, programme: AuditProgramme | None = None) -> Audit:
    """Plan an audit (in the year's programme while it is a draft, or on its own) with its dates and scope."""
    if not permissions.can_manage_audits(actor):
        raise Forbidden(_("Only the ISO secretary and internal auditors keep the audits."))
    if programme is not None and programme.status != "draft":
        raise Conflict(_("The programme of %(year)d is %(status)s: audits are added to a draft programme only.",
                         year=programme.year, status=programme.status.label))
    start, end = values.get("planned_start"), values.get("planned_end") or values.get("planned_start")
    _check_dates(start, end, programme)
    title = (values.get("title") or "").strip()
    if not title:
        raise DomainError(_("The title is required."), field="title")
    audit = Audit(code=(values.get("code") or "").strip() or next_code(start.year), title=title,
                  programme_id=programme.id if programme else None, planned_start=start, planned_end=end,
                  objectives=(values.get("objectives") or "").strip(), criteria=(values.get("criteria") or "").strip(),
                  created_by_id=getattr(actor, "id", None))
    if db.session.scalar(select(Audit.id).where(Audit.code == audit.code)) is not None:
        raise Conflict(_("The code %(code)s is already used.", code=audit.code), field="code")
    db.session.add(audit)
    db.session.flush()
    set_scope(audit, unit_ids=values.get("unit_ids", ()), procedure_ids=values.get("procedure_ids", ()),
              document_ids=values.get("document_ids", ()), clause_codes=values.get("clause_codes", ()), actor=actor)
    return audit


def _check_dates(start: date | None, end: date | None, programme: AuditProgramme | None) -> None:
    if start is None:
        raise DomainError(_("Give the planned start date."), field="planned_start")
    if end < start:
        raise DomainError(_("The audit cannot end before it starts."), field="planned_end")
    if programme is not None and start.year != programme.year:
        raise DomainError(_("An audit of the %(year)d programme starts in %(year)d.", year=programme.year),
                          field="planned_start")


def update_audit(audit: Audit, values: dict, *, actor) -> Audit:
    """Change an audit's title, dates, objectives and free criteria while it has not started."""
    _require_editable(audit, actor)
    start, end = values.get("planned_start", audit.planned_start), values.get("planned_end", audit.planned_end)
    _check_dates(start, end, audit.programme)
    audit.planned_start, audit.planned_end = start, end
    for key in ("title", "objectives", "criteria"):
        if key in values:
            setattr(audit, key, (values[key] or "").strip())
    if not audit.title:
        raise DomainError(_("The title is required."), field="title")
    db.session.flush()
    return audit


def _require_editable(audit: Audit, actor) -> None:
    if not permissions.can_edit_plan(actor, audit):
        if audit.status not in (AuditStatus.PLANNED, AuditStatus.NOTIFIED):
            raise Conflict(_("%(code)s has started: its plan no longer changes.", code=audit.code))
        raise Forbidden(_("Only the ISO secretary, internal auditors and the audit's lead auditor change its plan."))


def set_scope(audit: Audit, *, unit_ids=(), procedure_ids=(), document_ids=(), clause_codes=(), actor) -> Audit:
    """Replace the audit's scope; refused when a team member would then audit their own unit or procedure."""
    _require_editable(audit, actor)
    unit_ids, procedure_ids = sorted({int(i) for i in unit_ids}), sorted({int(i) for i in procedure_ids})
    document_ids = sorted({int(i) for i in document_ids})
    codes = sorted({c.strip() for c in clause_codes if c and c.strip()}, key=clauses.sort_key)
    unknown = [c for c in codes if not clauses.is_clause(c)]
    if unknown:
        raise DomainError(_("Unknown clause: %(codes)s.", codes=", ".join(unknown)), field="clause_codes")
    check_independence([m.auditor for m in audit.team], unit_ids=unit_ids, procedure_ids=procedure_ids,
                       document_ids=document_ids)
    _replace(audit.unit_rows, {r.unit_id: r for r in audit.unit_rows}, unit_ids, lambda i: AuditUnit(unit_id=i))
    _replace(audit.clause_rows, {r.clause_code: r for r in audit.clause_rows}, codes,
             lambda c: AuditClause(clause_code=c))
    keep = {("p", i) for i in procedure_ids} | {("d", i) for i in document_ids}
    current = {("p", r.procedure_id) if r.procedure_id else ("d", r.document_id): r for r in audit.process_rows}
    _replace(audit.process_rows, current, sorted(keep),
             lambda k: AuditProcess(procedure_id=k[1]) if k[0] == "p" else AuditProcess(document_id=k[1]))
    db.session.flush()
    return audit


def _replace(rows: list, current: dict, wanted, make) -> None:
    """Make the collection *rows* hold exactly *wanted*, keeping the rows that stay (no needless churn)."""
    wanted = list(wanted)
    for key, row in current.items():
        if key not in wanted:
            rows.remove(row)
    rows.extend(make(key) for key in wanted if key not in current)


def set_team(audit: Audit, *, lead: Auditor, members=(), actor) -> Audit:
    """Put a lead auditor and members on the audit: registered, active, independent of the scope, and a lead
    who has led or joined enough reported audits."""
    _require_editable(audit, actor)
    team = [lead] + [m for m in dict.fromkeys(members) if m.id != lead.id]
    for auditor in team:
        if not auditor.is_active or not auditor.user.is_active:
            raise DomainError(_("%(name)s is not an active registered auditor.", name=auditor.user.full_name),
                              field="team")
    done, minimum = audits_done([lead.id]).get(lead.id, 0), lead_minimum()
    if not permissions.may_lead(done, minimum):
        raise DomainError(_("%(name)s cannot lead an audit yet: a lead auditor must have led or joined at least "
                            "%(minimum)d reported audits (%(done)d so far).",
                            name=lead.user.full_name, minimum=minimum, done=done), field="lead")
    check_independence(team, unit_ids=audit.unit_ids,
                       procedure_ids=[p.procedure_id for p in audit.process_rows if p.procedure_id],
                       document_ids=[p.document_id for p in audit.process_rows if p.document_id])
    audit.team.clear()
    db.session.flush()  # the old lead row goes before the new one comes (one lead per audit)
    audit.team.extend(AuditTeamMember(auditor_id=a.id, auditor=a, role=TeamRole.LEAD if a is lead else TeamRole.MEMBER)
                      for a in team)
    audit.lead_auditor_id, audit.lead_auditor = lead.id, lead
    db.session.flush()
    return audit


def set_auditees(audit: Audit, users, *, actor) -> Audit:
    """The people audited, told of the plan and reminded before the audit."""
    _require_editable(audit, actor)
    wanted = sorted({u.id for u in users})
    _replace(audit.auditees, {r.user_id: r for r in audit.auditees}, wanted, lambda i: AuditAuditee(user_id=i))
    db.session.flush()
    return audit


def add_session(audit: Audit, *, starts_at: datetime, ends_at: datetime, unit_id: int | None = None,
                topic: str = "", actor) -> AuditSession:
    """Add a session to the schedule; it falls within the audit's planned dates."""
    _require_editable(audit, actor)
    if ends_at <= starts_at:
        raise DomainError(_("A session ends after it starts."), field="ends_at")
    from qms.timeutil import to_local

    if not audit.planned_start <= to_local(starts_at).date() <= audit.planned_end:
        raise DomainError(_("A session falls between %(start)s and %(end)s.", start=format_date(audit.planned_start),
                            end=format_date(audit.planned_end)), field="starts_at")
    session = AuditSession(audit_id=audit.id, starts_at=starts_at, ends_at=ends_at, unit_id=unit_id,
                           topic=topic.strip())
    audit.sessions.append(session)
    db.session.flush()
    return session


def remove_session(audit: Audit, session: AuditSession, *, actor) -> None:
    _require_editable(audit, actor)
    audit.sessions.remove(session)
    db.session.flush()


def criteria_documents(audit: Audit) -> list[Document]:
    """The documents in force the audit checks against: the QT documents of its procedures in scope."""
    ids = {p.document_id for p in audit.process_rows if p.document_id}
    ids |= {p.procedure.document_id for p in audit.process_rows if p.procedure and p.procedure.document_id}
    if not ids:
        return []
    return db.session.scalars(select(Document).where(Document.id.in_(ids), Document.status == "effective")
                              .order_by(Document.code)).all()


# States ----------------------------------------------------------------------------------------------


def move_audit(audit: Audit, action: Action, *, actor, comment: str = "", now: datetime | None = None,
               plan_url: str = "") -> Audit:
    """Move the audit one step: notify sends the plan to the team and auditees, report needs the report
    written, close needs every nonconformity it raised closed."""
    if not permissions.can_move_audit(actor, audit):
        raise Forbidden(_("Only the ISO secretary, internal auditors and the audit's lead auditor move the audit."))
    now = now or utcnow()
    source = audit.status
    try:
        target = next_state(action, source)
    except InvalidTransition:
        raise Conflict(_("%(action)s is not possible while %(code)s is “%(status)s”.", action=action.label,
                         code=audit.code, status=source.label)) from None
    if action == Action.NOTIFY:
        _check_ready_to_notify(audit)
        audit.notified_at = now
        _send_plan(audit, now, plan_url)
    elif action == Action.START:
        audit.started_at = now
    elif action == Action.REPORT:
        import audits

        if not audits.report_ready(audit):
            raise DomainError(_("Write the audit report before marking %(code)s as reported.", code=audit.code))
        audit.reported_at = now
    elif action == Action.CLOSE:
        import audits

        still_open = audits.open_nonconformities(audit)
        if still_open:
            raise DomainError(_("%(code)s still has %(count)d open nonconformities: close them first.",
                                code=audit.code, count=still_open))
        audit.closed_at = now
    audit.status = target
    audit_log.tag(db.session, audit, f"audit.{action.value}", audit.code)
    db.session.add(AuditTransition(audit_id=audit.id, action=action.value, from_state=source.value,
                                   to_state=target.value, actor_id=getattr(actor, "id", None),
                                   actor_name=getattr(actor, "full_name", "system"), at=now, comment=comment))
    db.session.flush()
    return audit


def _check_ready_to_notify(audit: Audit) -> None:
    if audit.lead_auditor_id is None:
        raise DomainError(_("Choose the lead auditor before sending the plan."), field="lead")
    if not audit.unit_rows and not audit.process_rows:
        raise DomainError(_("Put at least one unit or procedure in scope before sending the plan."))


def participants(audit: Audit) -> list[User]:
    """The team and the auditees, each once."""
    people = {m.auditor.user.id: m.auditor.user for m in audit.team}
    people.update({a.user.id: a.user for a in audit.auditees})
    return list(people.values())


def _send_plan(audit: Audit, now: datetime, plan_url: str) -> None:
    for person in participants(audit):
        notify(person, kind="audit.plan", title=_("Audit plan %(code)s: %(title)s", code=audit.code, title=audit.title),
               body=_("From %(start)s to %(end)s. The plan (.docx) can be downloaded from the audit's page.",
                      start=format_date(audit.planned_start), end=format_date(audit.planned_end)),
               url=plan_url or f"/audits/{audit.id}", dedupe_key=f"audit-plan:{audit.id}", now=now)
