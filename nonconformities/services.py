"""Nonconformity services: raising, the workflow transitions, effectiveness checks, closure, rejection and
duplicates (ISO 9001:2008 clauses 8.3, 8.5.2). The analysis lives in ``services_analysis``, the actions in
``services_actions``.

Every transition writes a ``NonconformityTransition`` row; every row change reaches the audit log (the
models are audited), with entries named ``nonconformity.<action>``. Services flush and never commit.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from audits.clauses import is_clause
from nonconformities import permissions as can
from nonconformities import workflow
from nonconformities.late_dossiers_rules import current_rules
from nonconformities.models import (
    ENDED_STATUSES,
    ActionStatus,
    EffectivenessCheck,
    EvidenceKind,
    NcSource,
    NcStatus,
    Nonconformity,
    NonconformityEvidence,
    NonconformityTransition,
    Severity,
)
from nonconformities.workflow import Action
from qms.audit import log as audit
from qms.calendar.services import add_working_days
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.timeutil import to_local, utcnow


def next_code(now: datetime) -> str:
    """The next free code of the year: NC-2026-001, NC-2026-002, ... (never reused)."""
    year = to_local(now).year
    prefix = f"NC-{year}-"
    codes = db.session.scalars(select(Nonconformity.code).where(Nonconformity.code.like(f"{prefix}%"))).all()
    numbers = [int(code[len(prefix):]) for code in codes if code[len(prefix):].isdigit()]
    return f"{prefix}{(max(numbers) + 1) if numbers else 1:03d}"


def _actor_id(actor) -> int | None:
    return getattr(actor, "id", None)


def _history(nc: Nonconformity, action: str, from_status, to_status, *, actor, now: datetime,
             comment: str = "") -> NonconformityTransition:
    row = NonconformityTransition(nc_id=nc.id, action=str(action), from_status=from_status and str(from_status),
                                  to_status=str(to_status), actor_id=_actor_id(actor),
                                  actor_name=getattr(actor, "full_name", "") or "", at=now, comment=comment)
    nc.transitions.append(row)
    return row


def _refuse_ended(nc: Nonconformity) -> None:
    if nc.status in ENDED_STATUSES:
        raise Conflict(_("%(code)s is %(status)s: a closed record cannot be changed.", code=nc.code,
                         status=nc.status.label))


def _move(nc: Nonconformity, action: Action, *, actor, now: datetime | None, comment: str = "") -> Nonconformity:
    """Apply *action* from the transition table, with its history row and a named audit entry."""
    now = now or utcnow()
    comment = (comment or "").strip()
    try:
        target = workflow.next_status(action, nc.status)
    except workflow.InvalidTransition:
        raise Conflict(_("%(action)s is not possible while %(code)s is at the stage “%(status)s”.",
                         action=action.label, code=nc.code, status=nc.status.label)) from None
    if action in workflow.COMMENT_REQUIRED and not comment:
        raise DomainError(_("Give a reason."), field="comment")
    before = nc.status
    with db.session.no_autoflush:  # the new status and its history row reach the database together
        _history(nc, action, before, target, actor=actor, now=now, comment=comment)
        nc.status = target
    audit.tag(db.session, nc, f"nonconformity.{action}", f"{nc.code}: {before} → {target}")
    db.session.flush()
    return nc


# Raising -----------------------------------------------------------------------------------------------


def raise_nonconformity(*, source: NcSource | str, title: str, description: str, severity: Severity | str,
                        unit, procedure=None, step=None, clause: str = "", source_ref: str = "",
                        audit_finding_id: int | None = None, actor, now: datetime | None = None) -> Nonconformity:
    """Open a nonconformity (status new). Called by the page, by the audits module for a finding
    (``audit_finding_id``, ``source_ref``) and by the late-dossier rules (actor: the system)."""
    if not can.can_raise(actor):
        raise Forbidden(_("You may not raise nonconformities."))
    now = now or utcnow()
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the nonconformity a title."), field="title")
    if unit is None:
        raise DomainError(_("Choose the unit concerned."), field="unit_id")
    if step is not None and (procedure is None or step.version.procedure_id != procedure.id):
        raise DomainError(_("The step does not belong to the chosen procedure."), field="step_id")
    try:
        source, severity = NcSource(source), Severity(severity)
    except ValueError as error:
        raise DomainError(str(error)) from None
    nc = Nonconformity(code=next_code(now), title=title[:300], description=(description or "").strip(),
                       source=source, source_ref=(source_ref or "").strip()[:120], audit_finding_id=audit_finding_id,
                       severity=severity, unit_id=unit.id, procedure_id=procedure.id if procedure else None,
                       step_id=step.id if step else None, clause=(clause or "").strip()[:20],
                       status=NcStatus.NEW, raised_by_id=_actor_id(actor), raised_at=now, updated_at=now)
    db.session.add(nc)
    audit.tag(db.session, nc, "nonconformity.raised", f"{nc.code}: {title[:200]}")
    db.session.flush()
    if audit_finding_id is not None or source == NcSource.AUDIT_FINDING:
        nc.evidence.append(NonconformityEvidence(kind=EvidenceKind.FINDING, text=nc.source_ref or title,
                                                 added_by_id=_actor_id(actor), added_at=now))
    _history(nc, Action.RAISE, None, NcStatus.NEW, actor=actor, now=now)
    db.session.flush()
    return nc


def update_details(nc: Nonconformity, *, actor, title: str, description: str, severity, clause: str,
                   now: datetime | None = None) -> Nonconformity:
    """Correct the title, description, severity and clause while the nonconformity is open."""
    _refuse_ended(nc)
    if not (can.can_manage(actor) or can.can_analyse(actor, nc)):
        raise Forbidden(_("You may not edit this nonconformity."))
    if not (title or "").strip():
        raise DomainError(_("Give the nonconformity a title."), field="title")
    try:
        severity = Severity(severity)
    except ValueError:
        raise DomainError(_("Choose the severity: major or minor."), field="severity") from None
    clause = (clause or "").strip()
    if clause and not is_clause(clause):
        raise DomainError(_("Clause \"%(code)s\" is not a clause of ISO 9001:2008 (4 to 8).", code=clause),
                          field="clause")
    nc.title, nc.description = title.strip()[:300], (description or "").strip()
    nc.severity, nc.clause = severity, clause
    audit.tag(db.session, nc, "nonconformity.edited", nc.code)
    db.session.flush()
    return nc


def add_evidence(nc: Nonconformity, *, actor, kind: EvidenceKind | str, text: str = "", stored_file=None,
                 filename: str = "", dossier=None, step_run=None, now: datetime | None = None) -> NonconformityEvidence:
    """Attach a note, a file or a dossier; a dossier already attached is not attached twice."""
    _refuse_ended(nc)
    if not can.can_raise(actor):
        raise Forbidden(_("You may not add evidence."))
    kind = EvidenceKind(kind)
    if dossier is not None:
        existing = next((e for e in nc.evidence if e.dossier_id == dossier.id), None)
        if existing is not None:
            return existing
    if kind == EvidenceKind.NOTE and not (text or "").strip():
        raise DomainError(_("Write the note."), field="text")
    if kind == EvidenceKind.FILE and stored_file is None:
        raise DomainError(_("Choose a file."), field="file")
    row = NonconformityEvidence(kind=kind, text=(text or "").strip(), file_id=stored_file.id if stored_file else None,
                                filename=filename, dossier_id=dossier.id if dossier else None,
                                step_run_id=step_run.id if step_run else None, added_by_id=_actor_id(actor),
                                added_at=now or utcnow())
    nc.evidence.append(row)
    db.session.flush()
    return row


# Workflow ----------------------------------------------------------------------------------------------


def start_analysis(nc: Nonconformity, *, actor, now: datetime | None = None) -> Nonconformity:
    """Accept the nonconformity for analysis (triage)."""
    if not (can.can_manage(actor) or can.can_analyse(actor, nc)):
        raise Forbidden(_("You may not analyse this nonconformity."))
    return _move(nc, Action.START_ANALYSIS, actor=actor, now=now)


def finish_analysis(nc: Nonconformity, *, actor, now: datetime | None = None) -> Nonconformity:
    """The root cause is known: go on to plan the actions."""
    if not can.can_analyse(actor, nc):
        raise Forbidden(_("You may not analyse this nonconformity."))
    if not nc.root_cause.strip():
        raise DomainError(_("State the root cause before planning the actions."), field="root_cause")
    return _move(nc, Action.FINISH_ANALYSIS, actor=actor, now=now)


def return_plan(nc: Nonconformity, *, actor, comment: str, now: datetime | None = None) -> Nonconformity:
    """The approver sends the plan back for more analysis, saying why."""
    if not can.can_approve_plan(actor, nc):
        raise Forbidden(_("Only the unit head of the unit concerned or the ISO secretary approves the plan."))
    return _move(nc, Action.RETURN_PLAN, actor=actor, now=now, comment=comment)


def approve_plan(nc: Nonconformity, *, actor, comment: str = "", now: datetime | None = None) -> Nonconformity:
    """The unit head of the unit concerned, or the ISO secretary, approves the action plan."""
    if not can.can_approve_plan(actor, nc):
        raise Forbidden(_("Only the unit head of the unit concerned or the ISO secretary approves the plan."))
    if nc.status == NcStatus.ACTION_PLAN and not nc.open_actions:
        raise DomainError(_("The plan has no open action: add at least one corrective or preventive action."))
    now = now or utcnow()
    nc.plan_approved_by_id, nc.plan_approved_at, nc.plan_comment = actor.id, now, (comment or "").strip()
    return _move(nc, Action.APPROVE_PLAN, actor=actor, now=now, comment=comment)


def start_actions(nc: Nonconformity, *, actor, now: datetime | None = None) -> Nonconformity:
    """Work on the approved actions begins (done by the first progress note, or explicitly)."""
    if not (can.can_manage(actor) or actor.id in nc.owner_ids):
        raise Forbidden(_("Only an owner of an action or the ISO secretary starts the actions."))
    return _move(nc, Action.START_ACTIONS, actor=actor, now=now)


def request_check(nc: Nonconformity, *, actor, now: datetime | None = None) -> Nonconformity:
    """Every action is done: the effectiveness check falls due after the rules' working days."""
    if not (can.can_manage(actor) or actor.id in nc.owner_ids):
        raise Forbidden(_("Only an owner of an action or the ISO secretary asks for the check."))
    if nc.status == NcStatus.IN_PROGRESS and nc.open_actions:
        raise Conflict(_("%(count)d action(s) are still open: finish or cancel them first.",
                         count=len(nc.open_actions)))
    now = now or utcnow()
    nc.effectiveness_due_on = add_working_days(to_local(now).date(), current_rules().effectiveness_after_working_days)
    return _move(nc, Action.REQUEST_CHECK, actor=actor, now=now)


def record_check(nc: Nonconformity, *, actor, is_effective: bool, comment: str, evidence: str = "",
                 stored_file=None, filename: str = "", now: datetime | None = None) -> EffectivenessCheck:
    """Record the effectiveness check. Never by an owner of one of the actions; not effective sends the
    nonconformity back to analysis. A later check supersedes an earlier one, which stays as it was."""
    if not can.can_verify(actor, nc):
        if actor.id in nc.owner_ids:
            raise Forbidden(_("You own an action of %(code)s: its effectiveness must be checked by someone else.",
                              code=nc.code))
        raise Forbidden(_("Only an internal auditor or the ISO secretary checks effectiveness."))
    if nc.status != NcStatus.EFFECTIVENESS_CHECK:
        raise Conflict(_("%(code)s is not waiting for an effectiveness check.", code=nc.code))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Say what was checked and what was found."), field="comment")
    now = now or utcnow()
    check = EffectivenessCheck(nc_id=nc.id, checked_by_id=actor.id, checked_at=now, is_effective=bool(is_effective),
                               comment=comment, evidence=(evidence or "").strip(),
                               file_id=stored_file.id if stored_file else None, filename=filename)
    nc.checks.append(check)
    audit.tag(db.session, check, "nonconformity.checked",
              f"{nc.code}: {'effective' if is_effective else 'not effective'}")
    db.session.flush()
    if not is_effective:
        _move(nc, Action.NOT_EFFECTIVE, actor=actor, now=now, comment=comment)
    return check


def close_nonconformity(nc: Nonconformity, *, actor, now: datetime | None = None) -> Nonconformity:
    """Close after a verified-effective check. Refused while an action is open or the check is missing
    (the database refuses too: see the keys in ``models``)."""
    if not can.can_close(actor, nc):
        raise Forbidden(_("You may not close this nonconformity."))
    if nc.open_actions:
        raise Conflict(_("%(code)s cannot close: %(count)d action(s) are still open.", code=nc.code,
                         count=len(nc.open_actions)))
    check = nc.latest_check
    if check is None or not check.is_effective or nc.status != NcStatus.EFFECTIVENESS_CHECK:
        raise Conflict(_("%(code)s cannot close before a check has found the actions effective.", code=nc.code))
    now = now or utcnow()
    nc.closed_at, nc.closed_by_id, nc.is_closed = now, actor.id, True
    nc.closed_check_id, nc.closed_check_is_effective = check.id, True
    return _move(nc, Action.CLOSE, actor=actor, now=now)


def reject_nonconformity(nc: Nonconformity, *, actor, reason: str, now: datetime | None = None) -> Nonconformity:
    """Not a nonconformity after all: the ISO secretary rejects it, giving the reason."""
    if not can.can_end(actor, nc):
        raise Forbidden(_("Only the ISO secretary rejects a nonconformity."))
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="comment")
    _cancel_open_actions(nc, actor=actor, now=now or utcnow())
    nc.status_reason = (reason or "").strip()
    return _move(nc, Action.REJECT, actor=actor, now=now, comment=reason)


def mark_duplicate(nc: Nonconformity, original: Nonconformity | None, *, actor, reason: str,
                   now: datetime | None = None) -> Nonconformity:
    """*nc* repeats *original*: its evidence is copied to the original (a dossier once), then it ends."""
    if not can.can_end(actor, nc):
        raise Forbidden(_("Only the ISO secretary marks duplicates."))
    if original is None:
        raise DomainError(_("Choose the nonconformity it repeats."), field="duplicate_of_id")
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="comment")
    if original.id == nc.id or original.status in ENDED_STATUSES:
        raise DomainError(_("Choose another nonconformity that is still open."), field="duplicate_of_id")
    now = now or utcnow()
    attached = {e.dossier_id for e in original.evidence if e.dossier_id is not None}
    for piece in nc.evidence:
        if piece.dossier_id is not None and piece.dossier_id in attached:
            continue
        text = piece.text or ""
        original.evidence.append(NonconformityEvidence(
            kind=piece.kind, dossier_id=piece.dossier_id, step_run_id=piece.step_run_id, file_id=piece.file_id,
            filename=piece.filename, added_by_id=_actor_id(actor), added_at=now,
            text=(f"{text} ({nc.code})" if text else nc.code)))
    original.evidence.append(NonconformityEvidence(
        kind=EvidenceKind.NOTE, added_by_id=_actor_id(actor), added_at=now,
        text=_("Merged from %(code)s: %(title)s", code=nc.code, title=nc.title)))
    _cancel_open_actions(nc, actor=actor, now=now)
    nc.duplicate_of_id, nc.status_reason = original.id, (reason or "").strip()
    return _move(nc, Action.MARK_DUPLICATE, actor=actor, now=now, comment=reason)


def _cancel_open_actions(nc: Nonconformity, *, actor, now: datetime) -> None:
    for action in nc.open_actions:
        action.status, action.nc_open_guard = ActionStatus.CANCELLED, None
    db.session.flush()


# Queries used by pages and jobs -------------------------------------------------------------------------


def count_by_status() -> dict[NcStatus, int]:
    rows = db.session.execute(select(Nonconformity.status, func.count()).group_by(Nonconformity.status)).all()
    return {NcStatus(status): count for status, count in rows}


def is_overdue_check(nc: Nonconformity, today: date) -> bool:
    return (nc.status == NcStatus.EFFECTIVENESS_CHECK and nc.effectiveness_due_on is not None
            and nc.effectiveness_due_on < today)
