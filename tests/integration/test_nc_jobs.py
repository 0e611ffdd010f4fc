"""Reminders and escalation of corrective actions on the agency's working days (issue 7).

The action is due on Tuesday 28/04/2026. Around it: Hùng Kings' day observed on Monday 27/04, Reunification
Day and Labour Day on Thursday 30/04 and Friday 01/05, then a weekend. Two working days after the due date is
therefore Monday 04/05 (29/04 is the first), not Thursday 30/04 nor Saturday 02/05.
"""

from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from nonconformities import jobs
from nonconformities.late_dossiers_rules import update_rules
from nonconformities.models import CorrectiveAction, NcSource, NcStatus, Nonconformity
from qms.extensions import db
from qms.notifications.models import Notification
from qms.timeutil import agency_zone
from tests.process_samples import setup_people, unit

DUE = date(2026, 4, 28)


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=agency_zone())


@pytest.fixture
def people(ctx, make_user):
    people = setup_people(make_user)
    people["head"].unit_id = unit("BCVT")
    db.session.commit()
    return people


@pytest.fixture
def action(people):
    """An open corrective action of a nonconformity of the BCVT office, owned by the specialist."""
    set_rules(people, reminder_lead_working_days=1, escalate_unit_head_after_working_days=2,
              escalate_director_after_working_days=1)
    nc = Nonconformity(code="NC-2026-001", title="Hồ sơ trễ hạn ở bước B3", source=NcSource.LATE_DOSSIER,
                       unit_id=unit("BCVT"), status=NcStatus.IN_PROGRESS, plan_approved_by_id=people["head"].id,
                       plan_approved_at=at(date(2026, 4, 1)), raised_at=at(date(2026, 3, 30)))
    db.session.add(nc)
    db.session.flush()
    action = CorrectiveAction(nc_id=nc.id, description="Bổ sung người thẩm định dự phòng",
                              owner_id=people["specialist"].id, working_days=10, due_on=DUE)
    db.session.add(action)
    db.session.commit()
    return action


def set_rules(people, **values):
    base = {"raise_on_late_dossier": True, "raise_on_late_step": True, "late_step_margin_hours": 0,
            "grouping_window_days": 30, "default_severity": "minor", "effectiveness_after_working_days": 20,
            "reminder_lead_working_days": 3, "escalate_unit_head_after_working_days": 3,
            "escalate_director_after_working_days": 5, "default_action_working_days": 10}
    update_rules(base | values, actor=people["secretary"])
    db.session.commit()


def told(user, kind: str) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                                       Notification.kind == kind))


def run(job, day: date) -> str:
    summary = job(at(day))
    db.session.commit()
    return summary


def test_the_owner_is_reminded_within_the_lead_counted_in_working_days(people, action):
    # Thursday 23/04 + 1 working day = Friday 24/04: not yet
    assert run(jobs.remind_due_actions, date(2026, 4, 23)).startswith("0 reminder(s) of 0")
    # Friday 24/04 + 1 working day = Tuesday 28/04 (Monday 27/04 is Hùng Kings' day observed): reminded, once
    assert run(jobs.remind_due_actions, date(2026, 4, 24)).startswith("1 reminder(s) of 1")
    assert run(jobs.remind_due_actions, date(2026, 4, 28)).startswith("0 reminder(s) of 1")
    assert told(people["specialist"], "nonconformity.action_due") == 1


def test_overdue_is_told_once_on_a_working_day(people, action):
    assert run(jobs.remind_overdue_actions, DUE).startswith("0 overdue notice(s) of 0")
    assert run(jobs.remind_overdue_actions, date(2026, 4, 29)).startswith("1 overdue notice(s) of 1")
    assert run(jobs.remind_overdue_actions, date(2026, 4, 29)).startswith("0 overdue notice(s) of 1")
    assert run(jobs.remind_overdue_actions, date(2026, 5, 4)).startswith("0 overdue notice(s) of 1")
    assert told(people["specialist"], "nonconformity.action_overdue") == 1


def test_escalation_fires_on_the_right_working_day_after_the_holidays_and_the_weekend(people, action):
    assert jobs.escalation_dates(DUE, head_after=2, director_after=1) == (date(2026, 5, 4), date(2026, 5, 5))
    # one working day overdue: nobody above the owner yet
    assert run(jobs.escalate_overdue_actions, date(2026, 4, 29)) == "0 escalation(s) to unit heads, 0 to the director"
    for day in (date(2026, 4, 30), date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)):  # holidays, weekend
        assert run(jobs.escalate_overdue_actions, day) == jobs.NOT_A_WORKING_DAY
    assert told(people["head"], "nonconformity.escalated_head") == 0
    assert run(jobs.escalate_overdue_actions, date(2026, 5, 4)) == "1 escalation(s) to unit heads, 0 to the director"
    assert run(jobs.escalate_overdue_actions, date(2026, 5, 4)) == "0 escalation(s) to unit heads, 0 to the director"
    assert run(jobs.escalate_overdue_actions, date(2026, 5, 5)) == "0 escalation(s) to unit heads, 1 to the director"
    assert run(jobs.escalate_overdue_actions, date(2026, 5, 6)) == "0 escalation(s) to unit heads, 0 to the director"
    assert told(people["head"], "nonconformity.escalated_head") == 1
    assert told(people["director"], "nonconformity.escalated_director") == 1
    assert told(people["specialist"], "nonconformity.escalated_head") == 0


def test_a_done_action_is_neither_reminded_nor_escalated(people, action):
    action.status, action.nc_open_guard, action.completed_at = "done", None, at(date(2026, 4, 27))
    db.session.commit()
    assert run(jobs.escalate_overdue_actions, date(2026, 5, 6)) == "0 escalation(s) to unit heads, 0 to the director"
    assert run(jobs.remind_overdue_actions, date(2026, 5, 6)).startswith("0 overdue notice(s) of 0")


def test_effectiveness_checks_due_go_to_the_secretary_and_auditors_who_own_no_action(people, action, make_user):
    from qms.users.models import User

    auditor = db.session.get(User, make_user("internal_auditor", username="ngoc.vtb"))
    owner_auditor = db.session.get(User, make_user("internal_auditor", username="owner.auditor"))
    nc = action.nonconformity
    action.owner_id = owner_auditor.id
    nc.status, nc.effectiveness_due_on = NcStatus.EFFECTIVENESS_CHECK, date(2026, 5, 4)
    db.session.commit()
    assert run(jobs.remind_effectiveness_checks, date(2026, 4, 29)) == "no effectiveness check due"
    assert run(jobs.remind_effectiveness_checks, date(2026, 5, 2)) == jobs.NOT_A_WORKING_DAY
    assert run(jobs.remind_effectiveness_checks, date(2026, 5, 4)) == "2 notice(s) of 1 effectiveness check(s) due"
    assert run(jobs.remind_effectiveness_checks, date(2026, 5, 5)) == "0 notice(s) of 1 effectiveness check(s) due"
    assert told(people["secretary"], "nonconformity.check_due") == 1 and told(auditor, "nonconformity.check_due") == 1
    assert told(owner_auditor, "nonconformity.check_due") == 0


def test_the_jobs_are_registered():
    from qms.scheduler import registry

    for name in ("late_dossiers", "actions_due", "actions_overdue", "escalation", "effectiveness_checks_due"):
        assert callable(registry.resolve(f"nonconformities.{name}"))
