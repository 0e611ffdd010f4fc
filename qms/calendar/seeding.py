"""The demo agency's working calendar from ``seed_data/demo/15_calendar.toml``; idempotent by date."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from qms.calendar import services
from qms.calendar.models import CalendarException, CalendarRules, OfficeHours
from qms.extensions import db
from qms.users.models import User


def _times(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def load_calendar_demo(data: dict) -> tuple[int, int]:
    """Rules, office hours and announced dates, entered as the ISO secretary would; (created, unchanged)."""
    secretary = db.session.scalar(select(User).where(User.username == "huong.nt"))
    created = unchanged = 0
    if db.session.get(CalendarRules, 1) is None and "calendar" in data:
        services.update_rules(data["calendar"], actor=secretary)
        created += 1
    else:
        unchanged += 1
    for row in data.get("office_hours", []):
        day = date.fromisoformat(row["effective_from"])
        if db.session.scalar(select(OfficeHours.id).where(OfficeHours.effective_from == day)) is not None:
            unchanged += 1
            continue
        (morning_start, morning_end), (afternoon_start, afternoon_end) = _times(row["morning"]), _times(row["afternoon"])
        services.add_office_hours({"effective_from": day, "morning_start": morning_start, "morning_end": morning_end,
                                   "afternoon_start": afternoon_start, "afternoon_end": afternoon_end,
                                   "note": row.get("note", "")}, actor=secretary)
        created += 1
    for row in data.get("calendar_exceptions", []):
        day = date.fromisoformat(row["day"])
        if db.session.scalar(select(CalendarException.id).where(CalendarException.day == day)) is not None:
            unchanged += 1
            continue
        services.add_exception({**row, "day": day}, actor=secretary)
        created += 1
    return created, unchanged
