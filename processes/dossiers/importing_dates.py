"""Dates and times as the one-stop systems write them, read a column at a time (local time of the agency).

Accepted: ``dd/mm/yyyy HH:MM[:SS]``, ``dd-mm-yyyy`` and ``dd.mm.yyyy`` (with or without the time, one-
or two-digit day and month), ``yyyy-mm-dd[ T]HH:MM[:SS[.ffffff]]`` and ``HH:MM[:SS] dd/mm/yyyy``; in a
workbook, real Excel dates (serial numbers). The day always comes before the month, as in every
Vietnamese document: 03/04/2026 is the 3rd of April. The common fixed-width forms are read with
NumPy over the whole column (a million values in a fraction of a second); the others one by one.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import numpy as np

EXCEL_EPOCH_DAYS = 25569  # 1970-01-01 in the 1900 date system
EXCEL_1904_SHIFT = 1462
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

# Fixed-width templates: Y M D h m s digits, anything else a literal separator.
_TEMPLATES = ("DD/MM/YYYY hh:mm:ss", "DD/MM/YYYY hh:mm", "DD/MM/YYYY", "DD-MM-YYYY hh:mm:ss", "DD-MM-YYYY hh:mm",
              "DD-MM-YYYY", "YYYY-MM-DD hh:mm:ss", "YYYY-MM-DDThh:mm:ss", "YYYY-MM-DD hh:mm", "YYYY-MM-DD",
              "DD.MM.YYYY hh:mm:ss", "DD.MM.YYYY hh:mm", "DD.MM.YYYY")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:hg](\d{1,2})(?:[:p](\d{1,2}))?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?$")
_TIME_FIRST = re.compile(r"^(\d{1,2})[:hg](\d{1,2})(?::(\d{1,2}))?[ ,]+(?:ngày\s+)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def zone_offset(zone) -> float:
    """The agency zone's UTC offset in seconds (a zone with one offset: the working clock refuses the others)."""
    return datetime(2020, 1, 1, tzinfo=zone).utcoffset().total_seconds()


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm, vectorised)."""
    year = year - (month <= 2)
    era = np.floor_divide(year, 400)
    yoe = year - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _valid(year, month, day, hour, minute, second) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    limit = _DAYS_IN_MONTH[np.clip(month, 0, 12)] - ((month == 2) & ~leap)
    return (month_ok & (day >= 1) & (day <= limit) & (year >= 1900) & (year <= 2999) & (hour < 24) & (minute < 60)
            & (second < 60))


def _local_epoch(year, month, day, hour, minute, second, offset: float) -> np.ndarray:
    days = _days_from_civil(year, month, day)
    return (days * 86400 + hour * 3600 + minute * 60 + second).astype(np.float64) - offset


def parse_texts(values: list[str], offset: float) -> tuple[np.ndarray, list[int]]:
    """Epoch seconds (UTC) of local date texts; NaN for an empty text. Returns also the indices of the
    texts that are not a date (the caller names them in its errors)."""
    count = len(values)
    result = np.full(count, np.nan)
    if not count:
        return result, []
    width = max(map(len, values)) or 1
    chars = np.array(values, dtype=f"U{width}").view(np.uint32).reshape(count, width)
    lengths = (chars != 0).sum(axis=1)
    done = lengths == 0
    for template in _TEMPLATES:
        size = len(template)
        if size > width:
            continue
        rows = np.flatnonzero(~done & (lengths == size))
        if not len(rows):
            continue
        block = chars[rows, :size] - np.uint32(48)  # a character below "0" wraps round to a large number
        ok = np.ones(len(rows), dtype=bool)
        for position, symbol in enumerate(template):
            if symbol in "YMDhms":
                ok &= block[:, position] <= 9
            else:
                ok &= chars[rows, position] == ord(symbol)
        rows, block = rows[ok], block[ok]
        if not len(rows):
            continue
        fields = {symbol: np.zeros(len(rows), dtype=np.int64) for symbol in "YMDhms"}
        for position, symbol in enumerate(template):
            if symbol in fields:
                fields[symbol] = fields[symbol] * 10 + block[:, position]
        parts = [fields[s] for s in "YMDhms"]
        good = _valid(*parts)
        result[rows[good]] = _local_epoch(*(p[good] for p in parts), offset)
        done[rows[good]] = True
    wrong = []
    for index in np.flatnonzero(~done).tolist():
        seconds = parse_one(values[index], offset)
        if seconds is None:
            wrong.append(index)
        else:
            result[index] = seconds
    return result, wrong


def parse_one(text: str, offset: float) -> float | None:
    """The forms the fixed-width pass leaves: one-digit day or month, time first, fractions of a second, a zone."""
    text = text.strip()
    match = _DAY_FIRST.match(text)
    if match:
        day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
        return _checked(year, month, day, hour, minute, second, 0, offset)
    match = _TIME_FIRST.match(text.lower())
    if match:
        hour, minute, second, day, month, year = (int(g or 0) for g in match.groups())
        return _checked(year, month, day, hour, minute, second, 0, offset)
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g or 0) for g in match.groups()[:6])
        fraction = int((match.group(7) or "0").ljust(6, "0"))
        if text.endswith("Z") or re.search(r"[+-]\d{2}:?\d{2}$", text):
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
            except ValueError:
                return None
        return _checked(year, month, day, hour, minute, second, fraction, offset)
    return None


def _checked(year, month, day, hour, minute, second, micro, offset) -> float | None:
    if not 1900 <= year <= 2999:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() - offset


def excel_serials(serials: np.ndarray, offset: float, date1904: bool = False) -> np.ndarray:
    """Epoch seconds (UTC) of Excel date serials written in local time, to the millisecond."""
    days = np.asarray(serials, dtype=np.float64) - EXCEL_EPOCH_DAYS + (EXCEL_1904_SHIFT if date1904 else 0)
    return np.round(days * 86_400_000) / 1000 - offset


def parse_with_format(values: list[str], date_format: str, offset: float) -> tuple[np.ndarray, list[int]]:
    """Like ``parse_texts`` for an export with its own format (``strptime``, e.g. ``%m/%d/%Y %I:%M %p``)."""
    result = np.full(len(values), np.nan)
    wrong = []
    for index, text in enumerate(values):
        if not text:
            continue
        try:
            moment = datetime.strptime(text.strip(), date_format)
        except ValueError:
            wrong.append(index)
            continue
        result[index] = moment.replace(tzinfo=timezone.utc).timestamp() - offset
    return result, wrong
