"""What the one-stop shop reports on its dossiers (ISO 9001:2008 clauses 8.2.3, 8.4; DOMAIN.md 3, 4.3, 6).

- ``register_rows``: the Sổ theo dõi hồ sơ (Mẫu 06) of a period, numbered from 01;
- ``register_number``: the place of a dossier in the yearly book, printed on its Mẫu 01;
- ``monthly_report``: the monthly statistics in the layout of the provincial portals, per field
  and TTHC: carried over, received, resolved early / on time / late, in progress on time / late,
  withdrawn or stopped, refused.

A dossier is *closed* at its measuring point (result ready or returned: the rule stored on it at
receipt), or when it was withdrawn or stopped (the end of its last step). It is carried over into a
month when it was received before and still open at the month's start; it is in progress at the
month's end when it is not closed by then, late if its due date (after restarts and pauses, never an
apology's) has passed. Refusals and withdrawals are counted apart from the resolved dossiers, so
total = resolved + refused + withdrawn + in progress.

The monthly numbers are SQL aggregates (one GROUP BY with CASE), never a loop over dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, or_, select

from processes.dossiers.models import Apology, Dossier, DossierStatus, Outcome, StepRun, SupplementRequest, Timeliness
from processes.models import AdministrativeProcedure
from qms.calendar.models import TimelinessPoint
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import add_months, format_date, local_midnight_utc, to_local

#: Dossiers that were never taken in: no place in the book or the statistics.
NOT_RECEIVED = (int(DossierStatus.REGISTERED), int(DossierStatus.NOT_ACCEPTED))
QUITTING = (int(DossierStatus.WITHDRAWN), int(DossierStatus.STOPPED))
NO_FIELD = "Khác"


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end) in local days, as UTC instants."""
    return local_midnight_utc(start), local_midnight_utc(end)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, add_months(first, 1)


# Mẫu 06 ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """One line of the Sổ theo dõi hồ sơ."""

    number: int
    dossier_id: int
    code: str
    procedure: str
    applicant: str
    address: str
    phone: str
    resolving_unit: str
    received_at: datetime
    due_at: datetime | None  # the appointment of Mẫu 01
    transferred_at: datetime | None  # the one-stop shop handed the dossier on (start of the second step)
    result_ready_at: datetime | None
    returned_at: datetime | None
    note: str


def _register_note(status: int, outcome, timeliness, extended: datetime | None, supplements: int) -> str:
    notes = []
    if supplements:
        notes.append(f"Bổ sung hồ sơ {supplements} lần")
    if extended is not None:
        notes.append(f"Hẹn lại (Mẫu 04): {format_date(extended)}")
    if outcome == Outcome.REFUSED:
        notes.append("Từ chối giải quyết")
    elif status == DossierStatus.WITHDRAWN:
        notes.append("Công dân rút hồ sơ")
    elif status == DossierStatus.STOPPED:
        notes.append("Dừng xử lý")
    elif status == DossierStatus.SUPPLEMENT_REQUESTED:
        notes.append("Đang chờ bổ sung")
    if timeliness == Timeliness.LATE:
        notes.append("Trễ hạn")
    return "; ".join(notes)


def register_rows(start: date, end: date) -> list[RegisterRow]:
    """Dossiers received in [start, end) (local days), in the order of receipt, numbered from 01."""
    low, high = period_bounds(start, end)
    handed_on = (select(StepRun.started_at).where(StepRun.dossier_id == Dossier.id, StepRun.position == 1)
                  .correlate(Dossier).scalar_subquery())
    supplements = (select(func.count(SupplementRequest.id)).where(SupplementRequest.dossier_id == Dossier.id)
                   .correlate(Dossier).scalar_subquery())
    query = (select(Dossier.id, Dossier.code, AdministrativeProcedure.name, Dossier.activity_set,
                    Dossier.applicant_name, Dossier.applicant_address, Dossier.applicant_phone, Unit.name,
                    Dossier.received_at, Dossier.original_due_at, handed_on, Dossier.result_ready_at,
                    Dossier.returned_at, Dossier.status, Dossier.outcome, Dossier.timeliness,
                    Dossier.extended_due_at, supplements)
             .outerjoin(AdministrativeProcedure, AdministrativeProcedure.id == Dossier.procedure_id)
             .outerjoin(Unit, Unit.id == AdministrativeProcedure.owner_unit_id)
             .where(Dossier.received_at >= low, Dossier.received_at < high, Dossier.status.not_in(NOT_RECEIVED))
             .order_by(Dossier.received_at, Dossier.id))
    rows = []
    for number, r in enumerate(db.session.execute(query), start=1):
        rows.append(RegisterRow(number=number, dossier_id=r[0], code=r[1], procedure=r[2] or r[3] or "",
                                applicant=r[4], address=r[5], phone=r[6], resolving_unit=r[7] or "",
                                received_at=r[8], due_at=r[9], transferred_at=r[10], result_ready_at=r[11],
                                returned_at=r[12], note=_register_note(r[13], r[14], r[15], r[16], r[17])))
    return rows


def register_number(dossier: Dossier) -> tuple[int, int]:
    """(year, number) of *dossier* in the yearly book: numbering runs from 01 through the year (TT 01 Art. 10)."""
    year = to_local(dossier.received_at).year
    low, _high = period_bounds(date(year, 1, 1), date(year + 1, 1, 1))
    earlier = db.session.scalar(
        select(func.count(Dossier.id)).where(
            Dossier.received_at >= low, Dossier.status.not_in(NOT_RECEIVED),
            or_(Dossier.received_at < dossier.received_at,
                and_(Dossier.received_at == dossier.received_at, Dossier.id < dossier.id))))
    return year, (earlier or 0) + 1


def apology_of(dossier: Dossier) -> Apology | None:
    return db.session.scalar(select(Apology).where(Apology.dossier_id == dossier.id))


# The monthly report -----------------------------------------------------------------------------------------


@dataclass
class ReportRow:
    """The counts of one TTHC, one field or the whole agency for the month."""

    label: str
    code: str = ""
    procedure_id: int | None = None
    carried: int = 0  # kỳ trước chuyển qua
    received: int = 0  # mới tiếp nhận
    resolved: int = 0  # đã giải quyết (result issued)
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress_on_time: int = 0  # chưa đến hạn
    in_progress_late: int = 0  # đã quá hạn
    withdrawn: int = 0  # rút hồ sơ, dừng giải quyết
    refused: int = 0

    COUNTS = ("carried", "received", "resolved", "early", "on_time", "late", "in_progress_on_time",
              "in_progress_late", "withdrawn", "refused")

    @property
    def total(self) -> int:
        return self.carried + self.received

    @property
    def in_progress(self) -> int:
        return self.in_progress_on_time + self.in_progress_late

    def share(self, count: int) -> float | None:
        """*count* as a fraction of the resolved dossiers (None when nothing was resolved)."""
        return count / self.resolved if self.resolved else None

    def add(self, other: ReportRow) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class FieldGroup:
    name: str
    rows: list[ReportRow] = field(default_factory=list)
    subtotal: ReportRow = field(default_factory=lambda: ReportRow(""))


@dataclass
class MonthlyReport:
    year: int
    month: int
    start: date
    end: date  # exclusive
    groups: list[FieldGroup]
    total: ReportRow

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)


def _closing_columns(high: datetime):
    """The per-dossier expressions the aggregates count: when it closed and how."""
    done_at = case((Dossier.timeliness_point == TimelinessPoint.RETURNED, Dossier.returned_at),
                   else_=func.coalesce(Dossier.result_ready_at, Dossier.returned_at))
    last_step = (select(func.max(StepRun.finished_at)).where(StepRun.dossier_id == Dossier.id)
                 .correlate(Dossier).scalar_subquery())
    quitting = Dossier.status.in_(QUITTING)
    closed_at = case((quitting, func.coalesce(last_step, Dossier.updated_at)), else_=done_at)
    return (select(Dossier.procedure_id.label("procedure_id"), Dossier.received_at.label("received_at"),
                   Dossier.due_at.label("due_at"), Dossier.outcome.label("outcome"),
                   Dossier.timeliness.label("timeliness"), quitting.label("quitting"),
                   closed_at.label("closed_at"))
            .where(Dossier.received_at < high, Dossier.status.not_in(NOT_RECEIVED))
            .subquery("d"))


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def monthly_report(year: int, month: int) -> MonthlyReport:
    """The month's statistics per field and TTHC (DOMAIN.md 6), with field subtotals and the agency's total."""
    start, end = month_bounds(year, month)
    low, high = period_bounds(start, end)
    d = _closing_columns(high)
    closed = and_(d.c.closed_at.is_not(None), d.c.closed_at < high)
    issued = and_(closed, d.c.quitting.is_(False), or_(d.c.outcome.is_(None), d.c.outcome != Outcome.REFUSED))
    open_at_end = or_(d.c.closed_at.is_(None), d.c.closed_at >= high)
    overdue = and_(d.c.due_at.is_not(None), d.c.due_at < high)
    p = AdministrativeProcedure
    query = (select(p.field, d.c.procedure_id, p.code, p.name,
                    _count(d.c.received_at < low), _count(d.c.received_at >= low), _count(issued),
                    _count(and_(issued, d.c.timeliness == Timeliness.EARLY)),
                    _count(and_(issued, d.c.timeliness == Timeliness.ON_TIME)),
                    _count(and_(issued, d.c.timeliness == Timeliness.LATE)),
                    _count(and_(open_at_end, ~overdue)), _count(and_(open_at_end, overdue)),
                    _count(and_(closed, d.c.quitting.is_(True))),
                    _count(and_(closed, d.c.quitting.is_(False), d.c.outcome == Outcome.REFUSED)))
             .select_from(d).outerjoin(p, p.id == d.c.procedure_id)
             .where(or_(d.c.closed_at.is_(None), d.c.closed_at >= low))
             .group_by(p.field, d.c.procedure_id, p.code, p.name)
             .order_by(func.coalesce(p.field, literal(NO_FIELD)), p.code))
    groups: dict[str, FieldGroup] = {}
    total = ReportRow("Tổng cộng")
    for values in db.session.execute(query):
        name = values[0] or NO_FIELD
        row = ReportRow(values[3] or "Hồ sơ không gắn thủ tục", values[2] or "", values[1],
                        **{name: int(v or 0) for name, v in zip(ReportRow.COUNTS, values[4:])})
        group = groups.setdefault(name, FieldGroup(name, subtotal=ReportRow(name)))
        group.rows.append(row)
        group.subtotal.add(row)
        total.add(row)
    return MonthlyReport(year, month, start, end, list(groups.values()), total)
