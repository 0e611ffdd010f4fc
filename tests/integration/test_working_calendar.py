"""The agency's working calendar (issue 5): exceptions over the public holidays, office hours by date,
the counting rules; only the ISO secretary changes them, and every change is audited."""

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from qms.audit import log as audit
from qms.audit.models import AuditEntry
from qms.calendar import services as calendar
from qms.calendar.engine import Weighting
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.timeutil import agency_zone
from qms.users.models import User


@pytest.fixture
def secretary(ctx, make_user):
    return db.session.get(User, make_user("iso_secretary", username="huong.nt"))


def local(*parts):
    return datetime(*parts, tzinfo=agency_zone())


def test_public_holidays_swaps_and_make_up_saturdays_come_from_the_holidays_package(ctx):
    assert not calendar.is_working_day(date(2024, 4, 29))
    assert calendar.is_working_day(date(2024, 5, 4))
    assert not calendar.is_working_day(date(2026, 9, 2))
    assert not calendar.is_working_day(date(2026, 11, 21))  # a Saturday


def test_an_exception_overrides_the_package_and_is_audited(secretary):
    with audit.acting_as(audit.Actor.of_user(secretary)):
        calendar.add_exception({"day": date(2026, 3, 17), "is_working": False, "reason": "Ngày nghỉ của tỉnh",
                                "legal_reference": "QĐ 12/QĐ-UBND"}, actor=secretary)
        calendar.add_exception({"day": date(2026, 3, 21), "is_working": True, "reason": "Làm bù"},
                               actor=secretary)
        db.session.commit()
    assert not calendar.is_working_day(date(2026, 3, 17))
    assert calendar.is_working_day(date(2026, 3, 21))
    clock = calendar.working_clock(Weighting.DAY)
    assert clock.between(local(2026, 3, 16, 7, 30), local(2026, 3, 18, 7, 30)) == 480
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "calendar_exceptions")) is not None
    with pytest.raises(Conflict):
        calendar.add_exception({"day": date(2026, 3, 17), "reason": "lại"}, actor=secretary)
    with pytest.raises(DomainError):
        calendar.add_exception({"day": date(2026, 3, 18), "reason": " "}, actor=secretary)


def test_office_hours_apply_from_their_date(secretary):
    calendar.add_office_hours({"effective_from": date(2026, 10, 1), "morning_start": time(7, 0),
                               "morning_end": time(11, 30), "afternoon_start": time(13, 30),
                               "afternoon_end": time(17, 0), "note": "Giờ mùa đông"}, actor=secretary)
    db.session.commit()
    clock = calendar.working_clock(Weighting.REAL)
    assert clock.between(local(2026, 9, 29, 0, 0), local(2026, 9, 29, 23, 0)) == 450
    assert clock.between(local(2026, 10, 1, 0, 0), local(2026, 10, 1, 23, 0)) == 480
    with pytest.raises(DomainError):
        calendar.add_office_hours({"effective_from": date(2026, 11, 1), "morning_start": time(11, 0),
                                   "morning_end": time(8, 0), "afternoon_start": time(13, 0),
                                   "afternoon_end": time(17, 0)}, actor=secretary)


def test_the_rules_choose_the_convention(secretary):
    assert calendar.working_clock().weighting == Weighting.DAY
    calendar.update_rules({"convention": "sessions", "weekdays": [0, 1, 2, 3, 4, 5]}, actor=secretary)
    db.session.commit()
    assert calendar.working_clock().weighting == Weighting.SESSION
    assert calendar.is_working_day(date(2026, 11, 21))  # Saturdays now work
    with pytest.raises(DomainError):
        calendar.update_rules({"weekdays": []}, actor=secretary)


def test_whole_working_days(ctx):
    assert calendar.add_working_days(date(2024, 4, 25), 20) == date(2024, 5, 27)
    assert calendar.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_only_the_secretary_changes_the_calendar(ctx, make_user):
    specialist = db.session.get(User, make_user("specialist"))
    with pytest.raises(Forbidden):
        calendar.add_exception({"day": date(2026, 1, 5), "reason": "x"}, actor=specialist)


def test_the_year_overview_names_the_holidays(ctx):
    days = {day: (working, reason) for day, working, reason in calendar.year_overview(2026)}
    assert days[date(2026, 9, 2)][0] is False and days[date(2026, 9, 2)][1]
    assert days[date(2026, 11, 23)] == (True, "")
