"""The working calendar of the agency: which days are working days, the office hours of each date,
and the working clock built from them (DOMAIN.md 4.1-4.2).

A day is a working day when the agency's exception says so; otherwise when it is a working weekday
and not a public holiday of the ``holidays`` package (country VN, with its substituted days and
make-up Saturdays). The clock is rebuilt when any of the calendar's rows changes and is otherwise
kept per process: building it reads the holidays of some twenty years once.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from qms.calendar.engine import Weighting, WorkingClock
from qms.calendar.models import CalendarException, CalendarRules, CountingConvention, OfficeHours, TimelinessPoint
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.permissions import Permission, has_permission
from qms.timeutil import agency_zone

DEFAULT_SESSIONS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))  # 07:30-11:30, 13:30-17:00
FIRST_DAY = date(2000, 1, 1)  # imported event logs of older dossiers (XES, 2006-2012) are measured too
YEARS_AHEAD = 6
_cache: dict[tuple, WorkingClock] = {}
_lock = threading.Lock()


@lru_cache(maxsize=4)
def public_holidays(first_year: int, last_year: int) -> holidays.HolidayBase:
    """Vietnam's public holidays with their substituted days off and make-up Saturdays, in Vietnamese."""
    return holidays.country_holidays("VN", years=range(first_year, last_year + 1), language="vi")


def can_manage_calendar(user) -> bool:
    return has_permission(user, Permission.CALENDAR_MANAGE)


# Reading -------------------------------------------------------------------------------------------


def current_rules() -> CalendarRules:
    """The agency's rules, or the defaults (not saved) when nobody has set them yet."""
    rules = db.session.get(CalendarRules, 1)
    if rules is None:
        rules = CalendarRules(id=1, working_weekdays="0,1,2,3,4", convention=CountingConvention.HOURS,
                              cutoff_enabled=False, cutoff_at=time(15, 0),
                              timeliness_point=TimelinessPoint.RESULT_READY)
    return rules


def _calendar_rows() -> tuple[CalendarRules, list[OfficeHours], dict[date, CalendarException]]:
    hours = list(db.session.scalars(select(OfficeHours).order_by(OfficeHours.effective_from)))
    exceptions = {e.day: e for e in db.session.scalars(select(CalendarException))}
    return current_rules(), hours, exceptions


def _sessions_on(day: date, hours: list[OfficeHours]):
    applying = [row for row in hours if row.effective_from <= day]
    return applying[-1].sessions if applying else DEFAULT_SESSIONS


def _working_day_rule(rules: CalendarRules, exceptions: dict[date, CalendarException], first: date, last: date):
    weekdays = rules.weekdays
    official = public_holidays(first.year, last.year)

    def is_working(day: date) -> bool:
        if day in exceptions:
            return exceptions[day].is_working
        if day in official:
            return False
        # a make-up Saturday is a working day even where Saturdays are not (holidays' weekend workdays)
        return day.weekday() in weekdays or official.is_working_day(day) and day.weekday() >= 5
    return is_working


def is_working_day(day: date) -> bool:
    rules, _hours, exceptions = _calendar_rows()
    return _working_day_rule(rules, exceptions, day, day)(day)


def working_clock(weighting: Weighting | None = None) -> WorkingClock:
    """The clock of the agency's calendar, counted by *weighting* (default: the agency's convention)."""
    rules, hours, exceptions = _calendar_rows()
    if weighting is None:
        weighting = Weighting.SESSION if rules.convention == CountingConvention.SESSIONS else Weighting.DAY
    last = date(date.today().year + YEARS_AHEAD, 12, 31)
    key = (current_app.config["TIMEZONE"], rules.working_weekdays, weighting,
           tuple((h.effective_from, h.sessions) for h in hours),
           tuple(sorted((day, e.is_working) for day, e in exceptions.items())), last)
    with _lock:
        clock = _cache.get(key)
        if clock is None:
            is_working = _working_day_rule(rules, exceptions, FIRST_DAY, last)

            def sessions_of(day: date):
                return _sessions_on(day, hours) if is_working(day) else ()

            clock = WorkingClock(FIRST_DAY, last, sessions_of, zone=agency_zone(), weighting=weighting)
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = clock
    return clock


def add_working_days(day: date, count: int) -> date:
    """The date *count* working days after *day* (for due dates counted in whole days)."""
    clock = working_clock(Weighting.DAY)
    start = datetime.combine(day, time(23, 59), tzinfo=agency_zone())
    return clock.add(start, count * 480).astimezone(agency_zone()).date() if count > 0 else day


def year_overview(year: int) -> list[tuple[date, bool, str]]:
    """Every day of *year*: working or not, and why (the exception's reason or the holiday's name)."""
    rules, _hours, exceptions = _calendar_rows()
    first, last = date(year, 1, 1), date(year, 12, 31)
    is_working = _working_day_rule(rules, exceptions, first, last)
    official = public_holidays(year, year)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        reason = exceptions[day].reason if day in exceptions else official.get(day) or ""
        days.append((day, is_working(day), reason))
    return days


# Changes (the ISO secretary; every row is audited) ---------------------------------------------------


def _require_manager(actor) -> None:
    if not can_manage_calendar(actor):
        raise Forbidden(_("Only the ISO secretary keeps the working calendar."))


def update_rules(values: dict, *, actor) -> CalendarRules:
    """Set the weekly working days, the counting convention, the cut-off and the timeliness point."""
    _require_manager(actor)
    rules = db.session.get(CalendarRules, 1)
    if rules is None:
        rules = current_rules()
        db.session.add(rules)
    weekdays = sorted({int(d) for d in values.get("weekdays", rules.weekdays)})
    if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
        raise DomainError(_("Choose at least one working day of the week."), field="weekdays")
    rules.working_weekdays = ",".join(str(d) for d in weekdays)
    for key, kind in (("convention", CountingConvention), ("timeliness_point", TimelinessPoint)):
        if key in values:
            setattr(rules, key, kind(values[key]))
    if "cutoff_enabled" in values:
        rules.cutoff_enabled = bool(values["cutoff_enabled"])
    if values.get("cutoff_at") is not None:
        rules.cutoff_at = values["cutoff_at"]
    db.session.flush()
    return rules


def add_office_hours(values: dict, *, actor) -> OfficeHours:
    """A new set of office hours from a date (a seasonal change is one row per change)."""
    _require_manager(actor)
    day = values.get("effective_from")
    if day is None:
        raise DomainError(_("Give the date from which these hours apply."), field="effective_from")
    if db.session.scalar(select(OfficeHours.id).where(OfficeHours.effective_from == day)) is not None:
        raise Conflict(_("Office hours from %(date)s are already recorded: delete them first.",
                         date=day.strftime("%d/%m/%Y")), field="effective_from")
    times = [values.get(key) for key in ("morning_start", "morning_end", "afternoon_start", "afternoon_end")]
    if None in times or not times[0] < times[1] <= times[2] < times[3]:
        raise DomainError(_("The sessions must follow each other: morning start < morning end ≤ afternoon start "
                            "< afternoon end."), field="morning_start")
    row = OfficeHours(effective_from=day, morning_start=times[0], morning_end=times[1], afternoon_start=times[2],
                      afternoon_end=times[3], note=(values.get("note") or "").strip())
    db.session.add(row)
    db.session.flush()
    return row


def delete_office_hours(row: OfficeHours, *, actor) -> None:
    _require_manager(actor)
    db.session.delete(row)
    db.session.flush()


def add_exception(values: dict, *, actor) -> CalendarException:
    """Declare a date a working day or a day off, with the reason and the text that announced it."""
    _require_manager(actor)
    day = values.get("day")
    if day is None:
        raise DomainError(_("Give the date."), field="day")
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise DomainError(_("Give the reason, e.g. a make-up working day for 2 September."), field="reason")
    if db.session.scalar(select(CalendarException.id).where(CalendarException.day == day)) is not None:
        raise Conflict(_("%(date)s already has an exception: delete it first.", date=day.strftime("%d/%m/%Y")),
                       field="day")
    row = CalendarException(day=day, is_working=bool(values.get("is_working")), reason=reason,
                            legal_reference=(values.get("legal_reference") or "").strip())
    db.session.add(row)
    db.session.flush()
    return row


def delete_exception(row: CalendarException, *, actor) -> None:
    _require_manager(actor)
    db.session.delete(row)
    db.session.flush()
