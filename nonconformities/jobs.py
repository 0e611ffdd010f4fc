"""Scheduled jobs of nonconformities (ISO 9001:2008 8.5.2 d-f, 5.5.3): reminders, escalation, late dossiers.

Each is a plain function of ``now`` returning a one-line summary (``qms scheduler`` or ``qms run-job``):

* owners are reminded of their actions due within N working days, and told when one is overdue;
* an action overdue for N working days is escalated to the head of the nonconformity's unit, and
  after N more to the director;
* the ISO secretaries and the internal auditors who own no action of it are told when a
  nonconformity's effectiveness check is due;
* late dossiers a hook missed raise or join their nonconformity (``late_dossiers``).

Every count is in the agency's working days (``qms.calendar``), and the reminders run on working
days only: run on a Saturday, a Sunday or a public holiday they send nothing, and the next working
day's run sends them (their dedupe keys name the action and its due date, never the day of the run,
so each fires once however often the jobs run).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from nonconformities.late_dossiers import raise_from_late_dossiers
from nonconformities.late_dossiers_rules import current_rules
from nonconformities.models import ENDED_STATUSES, ActionStatus, CorrectiveAction, Nonconformity, NcStatus
from qms.calendar.services import add_working_days, is_working_day
from qms.extensions import db
from qms.notifications.services import notify
from qms.permissions import Role
from qms.timeutil import to_local
from qms.users.models import User, UserRole

NOT_A_WORKING_DAY = "not a working day: nothing sent"


def _open_actions() -> list[CorrectiveAction]:
    """The open actions of open nonconformities, by due date."""
    return list(db.session.scalars(
        select(CorrectiveAction).join(Nonconformity, Nonconformity.id == CorrectiveAction.nc_id)
        .where(CorrectiveAction.status == ActionStatus.OPEN,
               Nonconformity.status.not_in([status.value for status in ENDED_STATUSES]))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)))


def _holders(role: Role, unit_id: int | None = None) -> list[User]:
    """The active users holding *role* (in *unit_id* when given)."""
    query = select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role,
                                                                          User.is_active.is_(True))
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    return list(db.session.scalars(query.order_by(User.id)).unique())


def _url(action: CorrectiveAction) -> str:
    return f"/nonconformities/{action.nc_id}"


def _action_text(action: CorrectiveAction) -> str:
    nc = action.nonconformity
    return _("%(code)s: %(action)s (owner %(owner)s, due %(due)s)", code=nc.code, action=action.description[:120],
             owner=action.owner.full_name, due=f"{action.due_on:%d/%m/%Y}")


def remind_due_actions(now: datetime) -> str:
    """Remind each owner of their open actions due within the reminder lead (working days), once per due date."""
    today = to_local(now).date()
    if not is_working_day(today):
        return NOT_A_WORKING_DAY
    horizon = add_working_days(today, current_rules().reminder_lead_working_days)
    due = [a for a in _open_actions() if today <= a.due_on <= horizon]
    sent = 0
    for action in due:
        sent += notify(action.owner, kind="nonconformity.action_due",
                       title=_("Action due on %(due)s: %(code)s", due=f"{action.due_on:%d/%m/%Y}",
                               code=action.nonconformity.code),
                       body=_action_text(action), url=_url(action),
                       dedupe_key=f"nc-action-due:{action.id}:{action.due_on.isoformat()}", now=now) is not None
    return f"{sent} reminder(s) of {len(due)} action(s) due by {horizon:%d/%m/%Y}"


def remind_overdue_actions(now: datetime) -> str:
    """Tell each owner once that an open action of theirs is past its due date."""
    today = to_local(now).date()
    if not is_working_day(today):
        return NOT_A_WORKING_DAY
    overdue = [a for a in _open_actions() if a.due_on < today]
    sent = 0
    for action in overdue:
        sent += notify(action.owner, kind="nonconformity.action_overdue",
                       title=_("Overdue action: %(code)s", code=action.nonconformity.code),
                       body=_action_text(action), url=_url(action),
                       dedupe_key=f"nc-action-overdue:{action.id}:{action.due_on.isoformat()}", now=now) is not None
    return f"{sent} overdue notice(s) of {len(overdue)} overdue action(s)"


def escalation_dates(due_on: date, *, head_after: int, director_after: int) -> tuple[date, date]:
    """The working days on which an action due on *due_on* and still open goes to the unit head, then the director."""
    return (add_working_days(due_on, max(head_after, 1)),
            add_working_days(due_on, max(head_after, 1) + max(director_after, 1)))


def escalate_overdue_actions(now: datetime) -> str:
    """Escalate actions overdue for N working days to the head of the NC's unit, then after N more to the director."""
    today = to_local(now).date()
    if not is_working_day(today):
        return NOT_A_WORKING_DAY
    rules = current_rules()
    heads_told = directors_told = 0
    directors = None
    for action in (a for a in _open_actions() if a.due_on < today):
        to_head, to_director = escalation_dates(action.due_on, head_after=rules.escalate_unit_head_after_working_days,
                                                director_after=rules.escalate_director_after_working_days)
        if today >= to_head:
            unit_id = action.nonconformity.unit_id or action.owner.unit_id
            for head in _holders(Role.UNIT_HEAD, unit_id):
                heads_told += _escalate(head, action, "head", now) is not None
        if today >= to_director:
            directors = directors if directors is not None else _holders(Role.DIRECTOR)
            for director in directors:
                directors_told += _escalate(director, action, "director", now) is not None
    return f"{heads_told} escalation(s) to unit heads, {directors_told} to the director"


def _escalate(person: User, action: CorrectiveAction, level: str, now: datetime):
    return notify(person, kind=f"nonconformity.escalated_{level}",
                  title=_("Escalated, still overdue: %(code)s", code=action.nonconformity.code),
                  body=_action_text(action), url=_url(action),
                  dedupe_key=f"nc-escalate-{level}:{action.id}:{action.due_on.isoformat()}", now=now)


def remind_effectiveness_checks(now: datetime) -> str:
    """Tell the ISO secretaries and the internal auditors (owners of none of its actions) that a check is due."""
    today = to_local(now).date()
    if not is_working_day(today):
        return NOT_A_WORKING_DAY
    due = list(db.session.scalars(
        select(Nonconformity).where(Nonconformity.status.in_([NcStatus.IN_PROGRESS, NcStatus.EFFECTIVENESS_CHECK]),
                                    Nonconformity.effectiveness_due_on.is_not(None),
                                    Nonconformity.effectiveness_due_on <= today)
        .order_by(Nonconformity.effectiveness_due_on, Nonconformity.id)).unique())
    if not due:
        return "no effectiveness check due"
    checkers = {user.id: user for role in (Role.ISO_SECRETARY, Role.INTERNAL_AUDITOR) for user in _holders(role)}
    sent = 0
    for nc in due:
        owners = {action.owner_id for action in nc.actions}
        for checker in checkers.values():
            if checker.id in owners:
                continue  # an owner never verifies their own nonconformity's actions
            sent += notify(checker, kind="nonconformity.check_due",
                           title=_("Effectiveness check due: %(code)s", code=nc.code),
                           body=_("%(title)s. The check was due on %(due)s.", title=nc.title,
                                  due=f"{nc.effectiveness_due_on:%d/%m/%Y}"),
                           url=f"/nonconformities/{nc.id}",
                           dedupe_key=f"nc-check-due:{nc.id}:{nc.effectiveness_due_on.isoformat()}",
                           now=now) is not None
    return f"{sent} notice(s) of {len(due)} effectiveness check(s) due"


def raise_late_dossier_nonconformities(now: datetime) -> str:
    """Raise or join nonconformities for every late dossier not yet attached (what the hooks missed)."""
    return str(raise_from_late_dossiers(now=now))
