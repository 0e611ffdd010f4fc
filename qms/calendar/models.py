"""The agency's working calendar as data (DOMAIN.md 4.1-4.2), edited by the ISO secretary and audited.

- ``CalendarRules``: one row: the weekly working days, the counting convention (by hours, 8 working
  hours = 1 day, or by half-day sessions), the 15:00 cut-off option and the point at which a
  dossier's timeliness is measured.
- ``OfficeHours``: the sessions of a working day, versioned by the date they apply from
  (provinces change them, some by season: add a row for each change).
- ``CalendarException``: a date that is not what the weekday and the public holidays say: an
  announced swap (a working day off, a make-up Saturday), a local day off.

Public holidays come from the ``holidays`` package (country VN, version pinned in pyproject).
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class CountingConvention(StrEnum):
    HOURS = "hours"  # DichVuCong: 8 working hours = 1 day, a deadline keeps the time of day
    SESSIONS = "sessions"  # e-PAR: half-day sessions, "nhận sáng trả sáng, nhận chiều trả chiều"

    @property
    def label(self) -> str:
        return str(CONVENTION_LABELS[self])


CONVENTION_LABELS = {
    CountingConvention.HOURS: _l("By working hours (8 working hours make a day)"),
    CountingConvention.SESSIONS: _l("By half-day sessions (received in the morning, due in the morning)"),
}


class TimelinessPoint(StrEnum):
    RESULT_READY = "result_ready"  # ngày có kết quả (e-PAR's "biz done")
    RETURNED = "returned"  # ngày trả kết quả cho tổ chức, cá nhân

    @property
    def label(self) -> str:
        return str(TIMELINESS_LABELS[self])


TIMELINESS_LABELS = {
    TimelinessPoint.RESULT_READY: _l("When the result is ready"),
    TimelinessPoint.RETURNED: _l("When the result is returned to the applicant"),
}


class CalendarRules(db.Model):
    """The agency's counting rules; a single row (id 1)."""

    __tablename__ = "calendar_rules"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    working_weekdays: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")  # Monday = 0
    convention: Mapped[CountingConvention] = mapped_column(enum_column(CountingConvention),
                                                           default=CountingConvention.HOURS)
    cutoff_enabled: Mapped[bool] = mapped_column(default=False)  # NĐ 61 Art. 18.2: after 15:00 → next day
    cutoff_at: Mapped[time] = mapped_column(Time, default=time(15, 0))
    timeliness_point: Mapped[TimelinessPoint] = mapped_column(enum_column(TimelinessPoint),
                                                              default=TimelinessPoint.RESULT_READY)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    def __str__(self) -> str:
        return "Quy tắc tính thời hạn"

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.working_weekdays.split(",") if part.strip())


class OfficeHours(db.Model):
    """The sessions of every working day from ``effective_from`` until the next row's date."""

    __tablename__ = "office_hours"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    morning_start: Mapped[time] = mapped_column(Time)
    morning_end: Mapped[time] = mapped_column(Time)
    afternoon_start: Mapped[time] = mapped_column(Time)
    afternoon_end: Mapped[time] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Giờ mùa đông, QĐ …/QĐ-UBND"

    __table_args__ = (
        CheckConstraint("morning_start < morning_end AND morning_end <= afternoon_start "
                        "AND afternoon_start < afternoon_end", name="sessions_in_order"),
    )

    def __str__(self) -> str:
        return (f"{self.morning_start:%H:%M}-{self.morning_end:%H:%M}, "
                f"{self.afternoon_start:%H:%M}-{self.afternoon_end:%H:%M} từ {self.effective_from:%d/%m/%Y}")

    @property
    def sessions(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Minutes after midnight: ((morning start, end), (afternoon start, end))."""
        def minutes(moment: time) -> int:
            return moment.hour * 60 + moment.minute

        return ((minutes(self.morning_start), minutes(self.morning_end)),
                (minutes(self.afternoon_start), minutes(self.afternoon_end)))


class CalendarException(db.Model):
    """A date whose status the agency sets: a working day off, a make-up Saturday, a local day off."""

    __tablename__ = "calendar_exceptions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_working: Mapped[bool] = mapped_column()
    reason: Mapped[str] = mapped_column(String(300))
    legal_reference: Mapped[str] = mapped_column(Text, default="")  # e.g. "Thông báo 6150/TB-LĐTBXH"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_given"),)

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}: {self.reason}"
