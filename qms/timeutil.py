"""Time helpers: UTC storage, display in the agency's time zone (dd/mm/yyyy, 24 h)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime (evaluated at call time, never at import)."""
    return datetime.now(timezone.utc)


def agency_zone() -> ZoneInfo:
    """The agency's time zone from the configuration (default Asia/Ho_Chi_Minh)."""
    name = current_app.config["TIMEZONE"] if has_app_context() else "Asia/Ho_Chi_Minh"
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    """Convert an aware (or naive UTC) datetime to the agency's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(agency_zone())


def local_today() -> date:
    """Today's date in the agency's time zone."""
    return to_local(utcnow()).date()


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, the Vietnamese administrative format; datetimes are shown in local time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None, seconds: bool = False) -> str:
    """dd/mm/yyyy HH:MM (24 h) in the agency's time zone."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def parse_local_date(text: str) -> date:
    """Parse dd/mm/yyyy (or ISO yyyy-mm-dd from HTML date inputs); raise ValueError otherwise."""
    text = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which *day* begins in the agency's time zone."""
    return datetime(day.year, day.month, day.day, tzinfo=agency_zone()).astimezone(timezone.utc)


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic with the day clamped: 30/11 + 3 months = 29/02 (or 28/02)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
