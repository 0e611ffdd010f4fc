"""Reminders of internal audits fire once per person, however often the scheduler runs them (forced reruns,
restarts, the next days); and the private iCalendar feed parses as RFC 5545."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from audits import calendar_feed, plan_services, services
from audits.workflow import Action
from qms.audit import log as audit
from qms.extensions import db
from qms.notifications.models import Notification
from qms.scheduler.registry import JOBS
from qms.scheduler.runner import run_job
from tests.audit_samples import new_audit, setup_audit_world


@pytest.fixture
def world(ctx, make_user):
    return setup_audit_world(make_user)


def _count(kind):
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == kind))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 0, 0, tzinfo=timezone.utc)  # 07:00 in Hà Nội


def _run_twice_and_tomorrow(name, day):
    run_job(name, now=_at(day))
    run_job(name, now=_at(day), force=True)  # a rerun, as after a restart of the scheduler
    run_job(name, now=_at(day + timedelta(days=1)))


def _staffed_audit(world, **values):
    planned = new_audit(world, units=["BCVT"], **values)
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        plan_services.set_team(planned, lead=world["a_senior"], members=[world["a_vp"]], actor=world["secretary"])
        plan_services.set_auditees(planned, [world["head"]], actor=world["secretary"])
        db.session.commit()
    return planned


def test_the_jobs_are_registered():
    assert JOBS["audits.coming_reminders"].target == "audits.jobs:remind_coming_audits"
    assert JOBS["audits.overdue_reports"].target == "audits.jobs:remind_overdue_reports"
    assert JOBS["audits.programme_approval"].target == "audits.jobs:remind_programme_approval"


def test_the_coming_audit_reminder_fires_once_seven_days_ahead(world):
    _staffed_audit(world, start=date(2026, 10, 19), end=date(2026, 10, 21))
    run_job("audits.coming_reminders", now=_at(date(2026, 10, 11)))  # 8 days ahead: not yet
    assert _count("audit.coming") == 0
    _run_twice_and_tomorrow("audits.coming_reminders", date(2026, 10, 12))
    assert _count("audit.coming") == 3  # lead, member and auditee, once each
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "audit.coming")))
    assert told == {world["auditor_senior"].id, world["auditor_vp"].id, world["head"].id}


def test_an_overdue_report_is_reminded_once_to_the_lead_and_the_secretary(world):
    planned = _staffed_audit(world, start=date(2026, 3, 2), end=date(2026, 3, 3))
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        for action in (Action.NOTIFY, Action.START):
            plan_services.move_audit(planned, action, actor=world["secretary"], now=_at(date(2026, 3, 2)))
        db.session.commit()
    run_job("audits.overdue_reports", now=_at(date(2026, 3, 13)))  # 10 days after the end: not yet late
    assert _count("audit.report_overdue") == 0
    _run_twice_and_tomorrow("audits.overdue_reports", date(2026, 3, 14))
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "audit.report_overdue")))
    assert told == {world["auditor_senior"].id, world["secretary"].id}
    assert _count("audit.report_overdue") == 2


def _programme_keys():
    return sorted(db.session.scalars(select(Notification.dedupe_key)
                                     .where(Notification.kind == "audit.programme_unapproved")))


def test_an_unapproved_programme_is_reminded_from_december_and_again_in_january(world):
    run_job("audits.programme_approval", now=_at(date(2026, 11, 30)))  # 2026 itself has no approved programme
    assert _programme_keys() == ["audit-programme:2026:late"] * 2  # the ISO secretary and the director
    _run_twice_and_tomorrow("audits.programme_approval", date(2026, 12, 1))
    assert _programme_keys() == ["audit-programme:2026:late"] * 2 + ["audit-programme:2027:soon"] * 2
    _run_twice_and_tomorrow("audits.programme_approval", date(2027, 1, 4))
    assert _programme_keys() == (["audit-programme:2026:late"] * 2 + ["audit-programme:2027:late"] * 2
                                 + ["audit-programme:2027:soon"] * 2)


def test_an_approved_programme_needs_no_reminder(world):
    with audit.acting_as(audit.Actor.of_user(world["secretary"])):
        programme = services.create_programme(2027, {}, actor=world["secretary"])
        new_audit(world, units=["BCVT"], programme=programme, start=date(2027, 3, 1), end=date(2027, 3, 2))
        db.session.refresh(programme)
        services.submit_programme(programme, actor=world["secretary"])
        services.approve_programme(programme, actor=world["director"], password="Test-password-2026")
        db.session.commit()
    run_job("audits.programme_approval", now=_at(date(2026, 12, 2)))
    assert _count("audit.programme_unapproved") == 0


def test_the_private_feed_lists_ones_own_audits_and_sessions(world):
    mine = _staffed_audit(world, start=date(2026, 10, 19), end=date(2026, 10, 21), title="Đánh giá; Phòng BC-VT, đợt 1")
    new_audit(world, units=["LDS"], title="Không liên quan")
    starts = datetime(2026, 10, 19, 1, 30, tzinfo=timezone.utc)
    plan_services.add_session(mine, starts_at=starts, ends_at=starts + timedelta(hours=2), topic="Thẩm định hồ sơ",
                              unit_id=mine.unit_ids[0], actor=world["secretary"])
    token = calendar_feed.regenerate_feed_token(world["head"], actor=world["head"])
    db.session.commit()
    assert calendar_feed.user_for_token(token).id == world["head"].id
    altered = token[:-1] + ("1" if token.endswith("0") else "0")  # one character off, never the token itself
    assert calendar_feed.user_for_token(altered) is None
    data = calendar_feed.ics_bytes(calendar_feed.audits_of(world["head"]))
    assert b"\r\n" in data
    parsed = Calendar.from_ical(data)
    events = [c for c in parsed.walk("VEVENT")]
    assert [str(e["summary"]) for e in events] == ["ĐGNB-2026-01 Đánh giá; Phòng BC-VT, đợt 1",
                                                   "ĐGNB-2026-01: Thẩm định hồ sơ"]
    assert events[0].decoded("dtstart") == date(2026, 10, 19) and events[0].decoded("dtend") == date(2026, 10, 22)
    assert events[1].decoded("dtstart") == starts
    assert b"SUMMARY:\xc4\x90GNB-2026-01 \xc4\x90\xc3\xa1nh gi\xc3\xa1\\; Ph\xc3\xb2ng BC-VT\\, \xc4\x91\xe1\xbb\xa3t 1" in data
    renewed = calendar_feed.regenerate_feed_token(world["head"], actor=world["head"])
    assert renewed != token and calendar_feed.user_for_token(token) is None
