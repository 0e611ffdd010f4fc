"""Deadlines under the agency's counting convention (DOMAIN.md 4.2, 4.5).

- By hours (DichVuCong): a receipt outside office hours counts from the next working instant;
  with the cut-off option, one after the cut-off time (15:00) counts from the next working day;
  a working day weighs 8 working hours and a deadline keeps the time of day.
- By half-day sessions (e-PAR): the session of receipt is not counted; the time runs in half
  days from the end of that session, so a dossier received in the morning is due at the end of
  a morning ("nhận sáng trả sáng, nhận chiều trả chiều").

Both clocks weigh a working day 480 units, so allotted minutes (8 h = 1 day) add directly.
"""

from __future__ import annotations

import math
from datetime import datetime, time

from qms.calendar.engine import SESSION_UNITS, WorkingClock


def count_start(clock: WorkingClock, received_at: datetime, *, sessions: bool, cutoff: time | None = None) -> float:
    """The clock reading from which a dossier received at *received_at* is counted."""
    if sessions:
        return math.ceil(clock.clock(received_at) / SESSION_UNITS - 1e-9) * SESSION_UNITS
    start = clock.next_working_instant(received_at)
    if cutoff is not None:
        local = start.astimezone(clock.zone)
        if local.time() >= cutoff:
            day_end = clock.clock(local.replace(hour=23, minute=59, second=59, microsecond=0))
            return day_end
    return clock.clock(start)


def due_at(clock: WorkingClock, received_at: datetime, minutes: float, *, sessions: bool,
           cutoff: time | None = None) -> datetime:
    """The appointment for a limit of *minutes* (480 a working day) counted from *received_at*."""
    start = count_start(clock, received_at, sessions=sessions, cutoff=cutoff)
    if minutes <= 0:
        return clock.at(start) if start > 0 else clock.next_working_instant(received_at)
    return clock.at(start + minutes)
