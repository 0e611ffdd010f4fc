"""Allotted times as the agency writes them: "0,5 ngày", "14 ngày làm việc", "4 giờ".

Times are kept as whole minutes (8 working hours = 1 working day = 480 minutes, DOMAIN.md 4.2)
with the unit they were given in. Days come in half days, hours in half hours.
"""

from __future__ import annotations

import re
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext

from processes.models import TimeUnit
from qms.errors import DomainError

_NUMBER = re.compile(r"^\s*(\d{1,5})(?:[.,](\d{1,2}))?\s*$")

#: Vietnamese words for the units, as printed on the agency's forms (fixed text, not translated).
UNIT_WORDS = {TimeUnit.WORKING_DAYS: "ngày", TimeUnit.WORKING_HOURS: "giờ", TimeUnit.CALENDAR_DAYS: "ngày"}
UNIT_LONG_WORDS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.WORKING_HOURS: "giờ làm việc",
                   TimeUnit.CALENDAR_DAYS: "ngày (theo lịch)"}


def parse_amount(text: str | float | int) -> Fraction:
    """ "0,5" or "0.5" or 14 → an exact fraction; a negative or malformed amount is refused."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(text)
        return Fraction(str(text))
    match = _NUMBER.match(str(text or ""))
    if match is None:
        raise ValueError(text)
    whole, decimals = match.groups()
    return Fraction(int(whole)) + (Fraction(int(decimals), 10 ** len(decimals)) if decimals else 0)


def to_minutes(amount: Fraction | float | int | str, unit: TimeUnit) -> int:
    """Minutes for *amount* of *unit*, refusing amounts finer than the unit's grain (half a day, half an hour).

    Raises ValueError: the caller names the row and field in its message.
    """
    value = parse_amount(amount) if not isinstance(amount, Fraction) else amount
    minutes = value * unit.minutes
    if minutes.denominator != 1 or int(minutes) % unit.grain:
        raise ValueError(amount)
    return int(minutes)


def amount_of(minutes: int, unit: TimeUnit) -> Fraction:
    return Fraction(minutes, unit.minutes)


def format_amount(minutes: int, unit: TimeUnit) -> str:
    """480, working days → "1"; 240 → "0,5"; written with the Vietnamese decimal comma."""
    value = amount_of(minutes, unit)
    if value.denominator == 1:
        return str(value.numerator)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def format_duration(minutes: int, unit: TimeUnit, *, long: bool = False) -> str:
    """ "0,5 ngày", "14 ngày", "4 giờ"; with *long*, "20 ngày làm việc"."""
    words = UNIT_LONG_WORDS if long else UNIT_WORDS
    return f"{format_amount(minutes, unit)} {words[unit]}"


def duration_label(minutes: int, unit: TimeUnit) -> str:
    """The same in the interface language: "0,5 ngày làm việc" / "0.5 working days", "1 working day"."""
    amount = format_amount(minutes, unit)
    count = 1 if minutes == unit.minutes else 2
    if unit == TimeUnit.WORKING_DAYS:
        return ngettext("%(amount)s working day", "%(amount)s working days", count, amount=amount)
    if unit == TimeUnit.WORKING_HOURS:
        return ngettext("%(amount)s working hour", "%(amount)s working hours", count, amount=amount)
    return ngettext("%(amount)s calendar day", "%(amount)s calendar days", count, amount=amount)


def compatible(a: TimeUnit, b: TimeUnit) -> bool:
    """Working days and hours add up (8 h = 1 day); calendar days never mix with working time."""
    return a.is_working_time == b.is_working_time


def require_minutes(amount, unit: TimeUnit, *, field: str, where: str = "") -> int:
    """``to_minutes`` with the domain error a form or an import shows."""
    try:
        return to_minutes(amount, unit)
    except (ValueError, ZeroDivisionError):
        grain = _("half days") if unit != TimeUnit.WORKING_HOURS else _("half hours")
        raise DomainError(_("%(where)sThe time %(value)s is not valid: give a number of %(unit)s in steps of "
                            "%(grain)s, e.g. 0,5 or 14.", where=f"{where}: " if where else "",
                            value=str(amount), unit=unit.label, grain=grain), field=field) from None
