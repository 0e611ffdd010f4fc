"""The action plan of a nonconformity (ISO 9001:2008 clauses 8.5.2 c-e, 8.5.3): corrections, corrective
and preventive actions with an owner, a due date counted in working days on the agency calendar and
what done looks like; progress notes with evidence; a document change opens a change request.

An open action holds ``nc_open_guard = false``, which keeps its nonconformity from closing (see
``models``); completing or cancelling it clears the guard. Services flush and never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from nonconformities import permissions as can
from nonconformities import services, workflow
from nonconformities.models import ActionKind, ActionProgress, ActionStatus, CorrectiveAction, NcStatus, Nonconformity
from nonconformities.workflow import Action
from qms.audit import log as audit
from qms.calendar.services import add_working_days
from qms.documents.change_requests import file_change_request
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.timeutil import to_local, utcnow

MAX_WORKING_DAYS = 250


def _require_plan_open(nc: Nonconformity, actor) -> None:
    if nc.status not in workflow.PLAN_OPEN:
        raise Conflict(_("Actions are planned during the analysis and the action plan, not at the stage "
                         "“%(status)s”.", status=nc.status.label))
    if not can.can_analyse(actor, nc):
        raise Forbidden(_("You may not plan the actions of this nonconformity."))


def add_action(nc: Nonconformity, *, actor, kind: ActionKind | str, description: str, owner, working_days: int,
               done_criteria: str, now: datetime | None = None) -> CorrectiveAction:
    """Plan an action; its due date is *working_days* working days from today on the agency calendar."""
    _require_plan_open(nc, actor)
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe the action."), field="description")
    if owner is None or not owner.is_active:
        raise DomainError(_("Choose an active owner for the action."), field="owner_id")
    if not (done_criteria or "").strip():
        raise DomainError(_("Say what done looks like."), field="done_criteria")
    if working_days is None or not 1 <= int(working_days) <= MAX_WORKING_DAYS:
        raise DomainError(_("Give between %(low)d and %(high)d working days.", low=1, high=MAX_WORKING_DAYS),
                          field="working_days")
    now = now or utcnow()
    action = CorrectiveAction(kind=ActionKind(kind), description=description, owner_id=owner.id,
                              working_days=int(working_days),
                              due_on=add_working_days(to_local(now).date(), int(working_days)),
                              done_criteria=done_criteria.strip(), status=ActionStatus.OPEN, nc_open_guard=False,
                              created_by_id=actor.id, created_at=now)
    nc.actions.append(action)
    audit.tag(db.session, action, "nonconformity.action_added", f"{nc.code}: {description[:200]}")
    db.session.flush()
    return action


def cancel_action(action: CorrectiveAction, *, actor, reason: str, now: datetime | None = None) -> CorrectiveAction:
    """Withdraw a planned action (before the plan is approved, or by the ISO secretary later), with a reason."""
    nc = action.nonconformity
    if nc.status not in workflow.PLAN_OPEN and not can.can_manage(actor):
        raise Forbidden(_("Only the ISO secretary cancels an action of an approved plan."))
    if nc.status in workflow.PLAN_OPEN and not can.can_analyse(actor, nc):
        raise Forbidden(_("You may not plan the actions of this nonconformity."))
    if action.status != ActionStatus.OPEN:
        raise Conflict(_("The action is no longer open."))
    if not (reason or "").strip():
        raise DomainError(_("Give a reason."), field="reason")
    action.status, action.nc_open_guard = ActionStatus.CANCELLED, None
    action.progress.append(ActionProgress(text=_("Cancelled: %(reason)s", reason=reason.strip()), by_id=actor.id,
                                          at=now or utcnow()))
    db.session.flush()
    return action


def _require_running(action: CorrectiveAction, actor) -> Nonconformity:
    nc = action.nonconformity
    if nc.status not in workflow.ACTIONS_RUNNING:
        raise Conflict(_("Progress is recorded once the plan is approved and until the check (stage “%(status)s”).",
                         status=nc.status.label))
    if not can.can_record_progress(actor, action):
        raise Forbidden(_("Only the owner of the action or the ISO secretary records its progress."))
    return nc


def record_progress(action: CorrectiveAction, *, actor, text: str, stored_file=None, filename: str = "",
                    now: datetime | None = None) -> ActionProgress:
    """A progress note with optional evidence; the first one starts the approved plan."""
    nc = _require_running(action, actor)
    text = (text or "").strip()
    if not text and stored_file is None:
        raise DomainError(_("Write what was done or attach the evidence."), field="text")
    now = now or utcnow()
    if nc.status == NcStatus.APPROVED:
        services._move(nc, Action.START_ACTIONS, actor=actor, now=now)
    note = ActionProgress(text=text, file_id=stored_file.id if stored_file else None, filename=filename,
                          by_id=actor.id, at=now)
    action.progress.append(note)
    db.session.flush()
    return note


def complete_action(action: CorrectiveAction, *, actor, text: str = "", now: datetime | None = None) -> CorrectiveAction:
    """The owner declares the action done (what done looks like is met)."""
    nc = _require_running(action, actor)
    now = now or utcnow()
    if nc.status == NcStatus.APPROVED:
        services._move(nc, Action.START_ACTIONS, actor=actor, now=now)
    if (text or "").strip():
        action.progress.append(ActionProgress(text=text.strip(), by_id=actor.id, at=now))
    action.status, action.nc_open_guard = ActionStatus.DONE, None
    action.completed_at, action.completed_by_id = now, actor.id
    audit.tag(db.session, action, "nonconformity.action_done", f"{nc.code}: {action.description[:200]}")
    db.session.flush()
    return action


def request_document_change(action: CorrectiveAction, document, *, actor, proposed_change: str,
                            now: datetime | None = None):
    """The action needs a document changed: file a change request on *document* and link it to the action."""
    nc = action.nonconformity
    if action.status != ActionStatus.OPEN:
        raise Conflict(_("The action is no longer open."))
    if not (can.can_record_progress(actor, action) or can.can_analyse(actor, nc)):
        raise Forbidden(_("Only the owner of the action or the ISO secretary asks for the change."))
    if action.change_request_id is not None:
        raise Conflict(_("A change request is already linked to this action."))
    if document is None:
        raise DomainError(_("Choose the document to change."), field="document_id")
    reason = _("Corrective action of %(code)s: %(action)s", code=nc.code, action=action.description)
    change_request = file_change_request(document, actor=actor, reason=reason, proposed_change=proposed_change,
                                         source=f"nonconformity:{nc.id}", now=now)
    action.change_request_id = change_request.id
    db.session.flush()
    return change_request
