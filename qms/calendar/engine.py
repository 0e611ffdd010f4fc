"""The working clock: exact, monotone working time from a per-day table, scalar and vectorised.

A calendar is a table of days, each with its office-hour sessions (none on a day off). The
*working clock* of an instant is the working time from the table's first day up to it: the
sum over the previous days (a cumulative array) plus the part of the day's sessions already
passed. Working time between two instants is a difference of clocks; adding working time is
the inverse, a binary search in the cumulative array. No loop runs over days, so a deadline
20 working days away costs the same as one 20 minutes away, and a million instants are measured
at once with NumPy.

Working time is counted in *units* of one of three kinds (``Weighting``):

- ``REAL``: real minutes inside the sessions (07:30-11:30 and 13:30-17:00 give 450 a day);
- ``DAY``: every working day weighs 480 units (8 working hours = 1 day, the convention "by
  hours"), spread evenly over that day's sessions, so a day is a day whatever the office hours;
- ``SESSION``: every session weighs 240 units (half a day), the convention "by half-day
  sessions" ("nhận sáng trả sáng, nhận chiều trả chiều").

Instants are aware datetimes (or, vectorised, UTC epoch seconds). The zone must keep one UTC
offset over the table (Asia/Ho_Chi_Minh has since 1975); a zone with daylight saving is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np

DAY_UNITS = 480
SESSION_UNITS = 240
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Session = tuple[int, int]  # minutes after local midnight: (start, end), start < end


class Weighting(StrEnum):
    REAL = "real"
    DAY = "day"
    SESSION = "session"


class OutOfRange(ValueError):
    """An instant outside the days the calendar was built for."""


class WorkingClock:
    """Working time over the days [first, last] of a calendar.

    *sessions_of(day)* gives the sessions of a working day, or () for a day off: the caller
    decides what a working day is (weekdays, public holidays, announced swaps) and which
    office hours applied on that date.
    """

    def __init__(self, first: date, last: date, sessions_of: Callable[[date], Sequence[Session]], *,
                 zone: ZoneInfo | timezone, weighting: Weighting = Weighting.REAL):
        if last < first:
            raise ValueError("the calendar ends before it starts")
        self.first, self.last, self.zone, self.weighting = first, last, zone, Weighting(weighting)
        self.offset_seconds = _fixed_offset(zone, first, last)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        table = [tuple(sorted(sessions_of(day))) for day in days]
        width = max((len(sessions) for sessions in table), default=0) or 1
        starts = np.zeros((len(days), width))
        ends = np.zeros((len(days), width))
        for index, sessions in enumerate(table):
            _check_sessions(days[index], sessions)
            for k, (start, end) in enumerate(sessions):
                starts[index, k], ends[index, k] = start, end
        lengths = ends - starts
        self.starts, self.ends = starts, ends
        # units per real minute of each session (0 for the padding of days with fewer sessions)
        self.scale = np.divide(self._session_units(lengths), lengths, out=np.zeros_like(lengths),
                               where=lengths > 0)
        self.session_units = lengths * self.scale
        self.before_session = np.cumsum(self.session_units, axis=1) - self.session_units
        self.day_units = self.session_units.sum(axis=1)
        self.cumulative = np.concatenate(([0.0], np.cumsum(self.day_units)))

    def _session_units(self, lengths: np.ndarray) -> np.ndarray:
        if self.weighting == Weighting.REAL:
            return lengths.copy()
        if self.weighting == Weighting.SESSION:
            return np.where(lengths > 0, float(SESSION_UNITS), 0.0)
        per_day = lengths.sum(axis=1, keepdims=True)
        return np.divide(lengths * DAY_UNITS, per_day, out=np.zeros_like(lengths), where=per_day > 0)

    # Days -----------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return bool(self.day_units[self._day_index(day)] > 0)

    def _day_index(self, day: date) -> int:
        index = (day - self.first).days
        if not 0 <= index < len(self.day_units):
            raise OutOfRange(f"{day} is outside the calendar {self.first}..{self.last}")
        return index

    def _local(self, instant: datetime) -> tuple[int, float]:
        if instant.tzinfo is None:
            raise ValueError("naive datetime given to the working clock")
        local = instant.astimezone(timezone.utc) + timedelta(seconds=self.offset_seconds)
        index = self._day_index(local.date())
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return index, minute

    def _instant(self, index: int, minute: float) -> datetime:
        day = self.first + timedelta(days=index)
        naive = datetime(day.year, day.month, day.day) + timedelta(minutes=float(minute))
        return (naive - timedelta(seconds=self.offset_seconds)).replace(tzinfo=timezone.utc)

    # The clock ------------------------------------------------------------------------------------

    def clock(self, instant: datetime) -> float:
        """Working units from the first day's midnight up to *instant*."""
        index, minute = self._local(instant)
        passed = np.clip(minute - self.starts[index], 0, self.ends[index] - self.starts[index])
        return float(self.cumulative[index] + (passed * self.scale[index]).sum())

    def between(self, start: datetime, end: datetime) -> float:
        """Working units from *start* to *end* (negative when *end* comes first)."""
        return self.clock(end) - self.clock(start)

    def at(self, units: float) -> datetime:
        """The earliest instant whose clock reads *units*: inside a session, or at its end (never the
        start of the next session: a deadline falls at 17:00, not at 07:30 the next working day)."""
        if units <= 0:
            return self.next_working_instant(self._instant(0, 0))
        index = int(np.searchsorted(self.cumulative, units, side="left")) - 1
        if index >= len(self.day_units):
            raise OutOfRange(f"{units} working units run past {self.last}")
        remainder = units - self.cumulative[index]
        k = int(np.searchsorted(self.before_session[index] + self.session_units[index], remainder - 1e-9,
                                side="left"))
        k = min(k, self.starts.shape[1] - 1)
        minute = self.starts[index, k] + (remainder - self.before_session[index, k]) / self.scale[index, k]
        return self._instant(index, _round_minute(minute))

    def add(self, instant: datetime, units: float) -> datetime:
        """*instant* plus *units* of working time (from the next working instant when it falls outside)."""
        return self.at(self.clock(instant) + units) if units > 0 else self.next_working_instant(instant)

    def next_working_instant(self, instant: datetime) -> datetime:
        """*instant* itself inside a session, else the start of the next session."""
        index, minute = self._local(instant)
        for start, end in zip(self.starts[index], self.ends[index]):
            if end > start and minute < end:
                return instant if minute >= start else self._instant(index, start)
        following = int(np.searchsorted(self.cumulative, self.cumulative[index + 1], side="right")) - 1
        if following >= len(self.day_units):
            raise OutOfRange(f"no working day after {instant} before {self.last}")
        return self._instant(following, self.starts[following, 0])

    # Vectorised -----------------------------------------------------------------------------------

    def clock_many(self, epoch_seconds: np.ndarray) -> np.ndarray:
        """The clock of many instants given as UTC epoch seconds (int or float array)."""
        local = np.asarray(epoch_seconds, dtype=np.float64) + self.offset_seconds - self._first_epoch
        index = np.floor_divide(local, 86400).astype(np.int64)
        if len(index) and (index.min() < 0 or index.max() >= len(self.day_units)):
            raise OutOfRange(f"instants outside the calendar {self.first}..{self.last}")
        minute = (local - index * 86400.0) / 60.0
        starts, ends = self.starts[index], self.ends[index]
        passed = np.clip(minute[:, None] - starts, 0, ends - starts)
        return self.cumulative[index] + (passed * self.scale[index]).sum(axis=1)

    def between_many(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        return self.clock_many(ends) - self.clock_many(starts)

    def at_many(self, units: np.ndarray) -> np.ndarray:
        """``at`` for many clock readings at once: UTC epoch seconds (float), exact to the microsecond."""
        units = np.asarray(units, dtype=np.float64)
        index = np.searchsorted(self.cumulative, units, side="left") - 1
        if len(index) and (index.min() < 0 or index.max() >= len(self.day_units)):
            raise OutOfRange(f"working times outside the calendar {self.first}..{self.last}")
        remainder = units - self.cumulative[index]
        ends = self.before_session[index] + self.session_units[index]
        k = np.minimum((ends < (remainder - 1e-9)[:, None]).sum(axis=1), self.starts.shape[1] - 1)
        scale = self.scale[index, k]
        offset = np.divide(remainder - self.before_session[index, k], scale, out=np.zeros_like(remainder),
                           where=scale > 0)
        minute = np.round((self.starts[index, k] + offset) * 60_000_000) / 60_000_000
        return self._first_epoch + index * 86400.0 + minute * 60.0 - self.offset_seconds

    @property
    def _first_epoch(self) -> float:
        return (datetime(self.first.year, self.first.month, self.first.day, tzinfo=timezone.utc)
                - _EPOCH).total_seconds()


def _round_minute(minute: float) -> float:
    """To the microsecond, the resolution of datetime: float arithmetic must not turn 17:00 into 16:59:59.999999."""
    return round(minute * 60_000_000) / 60_000_000


def _fixed_offset(zone, first: date, last: date) -> float:
    offsets = {datetime(year, month, 15, 12, tzinfo=zone).utcoffset()
               for year in range(first.year, last.year + 1) for month in (1, 4, 7, 10)}
    if len(offsets) != 1:
        raise ValueError(f"the time zone {zone} changes its UTC offset between {first} and {last}")
    return offsets.pop().total_seconds()


def _check_sessions(day: date, sessions: Sequence[Session]) -> None:
    previous_end = 0
    for start, end in sessions:
        if not 0 <= start < end <= 24 * 60 or start < previous_end:
            raise ValueError(f"sessions of {day} overlap or are out of the day: {sessions}")
        previous_end = end
