"""Reading nonconformities for the register, its export and the figures (ISO 9001:2008 clauses 8.4, 8.5.2).

The list's filters (source, unit, status, period of raising) are shared by the page and the .xlsx
register; the figures are counted for a period: open by age, overdue actions, closed in the period and
the share of closures verified effective at the first check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from nonconformities.models import (
    ENDED_STATUSES,
    ActionStatus,
    CorrectiveAction,
    NcSource,
    NcStatus,
    Nonconformity,
)
from qms.extensions import db
from qms.timeutil import local_midnight_utc, parse_local_date


@dataclass
class Filters:
    source: str = ""
    unit_id: int | None = None
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        def day(name):
            try:
                return parse_local_date(args.get(name, "")) if args.get(name) else None
            except ValueError:
                return None

        source = args.get("source", "")
        status = args.get("status", "")
        unit = args.get("unit_id", "")
        return cls(source=source if source in set(NcSource) else "",
                   status=status if status in set(NcStatus) | {"open"} else "",
                   unit_id=int(unit) if unit.isdigit() else None, date_from=day("from"), date_to=day("to"))

    def as_args(self) -> dict:
        from qms.timeutil import format_date

        args = {"source": self.source, "status": self.status, "unit_id": self.unit_id or "",
                "from": format_date(self.date_from) if self.date_from else "",
                "to": format_date(self.date_to) if self.date_to else ""}
        return {k: v for k, v in args.items() if v}


def filtered(filters: Filters) -> Select:
    query = select(Nonconformity).options(selectinload(Nonconformity.actions), selectinload(Nonconformity.checks),
                                          selectinload(Nonconformity.causes))
    if filters.source:
        query = query.where(Nonconformity.source == filters.source)
    if filters.unit_id:
        query = query.where(Nonconformity.unit_id == filters.unit_id)
    if filters.status == "open":
        query = query.where(Nonconformity.status.not_in([s.value for s in ENDED_STATUSES]))
    elif filters.status:
        query = query.where(Nonconformity.status == filters.status)
    if filters.date_from:
        query = query.where(Nonconformity.raised_at >= local_midnight_utc(filters.date_from))
    if filters.date_to:
        query = query.where(Nonconformity.raised_at < local_midnight_utc(filters.date_to + timedelta(days=1)))
    return query.order_by(Nonconformity.raised_at.desc(), Nonconformity.id.desc())


def open_actions_of(user_id: int) -> list[CorrectiveAction]:
    """The user's open actions, earliest due first (their home page panel)."""
    return list(db.session.scalars(
        select(CorrectiveAction).join(Nonconformity, Nonconformity.id == CorrectiveAction.nc_id)
        .where(CorrectiveAction.owner_id == user_id, CorrectiveAction.status == ActionStatus.OPEN)
        .where(Nonconformity.status.not_in([s.value for s in ENDED_STATUSES]))
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)))


AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass
class Figures:
    date_from: date
    date_to: date
    open_by_age: list[tuple[str, int]] = field(default_factory=list)
    open_total: int = 0
    overdue_actions: list[CorrectiveAction] = field(default_factory=list)
    raised_in_period: int = 0
    closed_in_period: int = 0
    verified_first_time: int = 0

    @property
    def effective_share(self) -> float | None:
        """Closed in the period and found effective at their first check, as a share of those closed."""
        return self.verified_first_time / self.closed_in_period if self.closed_in_period else None


def figures(date_from: date, date_to: date, today: date, now: datetime) -> Figures:
    """The register's figures for the period [date_from, date_to] and the open ones as of *now*."""
    result = Figures(date_from, date_to)
    start, end = local_midnight_utc(date_from), local_midnight_utc(date_to + timedelta(days=1))
    rows = db.session.scalars(select(Nonconformity).options(selectinload(Nonconformity.checks))).all()
    open_rows = [nc for nc in rows if nc.status not in ENDED_STATUSES]
    result.open_total = len(open_rows)
    for low, high in AGE_BUCKETS:
        label = f"{low}–{high}" if high is not None else f"> {low - 1}"
        count = sum(1 for nc in open_rows
                    if (now - nc.raised_at).days >= low and (high is None or (now - nc.raised_at).days <= high))
        result.open_by_age.append((label, count))
    result.raised_in_period = sum(1 for nc in rows if start <= nc.raised_at < end)
    closed = [nc for nc in rows if nc.status == NcStatus.CLOSED and nc.closed_at and start <= nc.closed_at < end]
    result.closed_in_period = len(closed)
    result.verified_first_time = sum(1 for nc in closed if nc.checks and nc.checks[0].is_effective)
    result.overdue_actions = list(db.session.scalars(
        select(CorrectiveAction).join(Nonconformity, Nonconformity.id == CorrectiveAction.nc_id)
        .where(CorrectiveAction.status == ActionStatus.OPEN, CorrectiveAction.due_on < today)
        .where(Nonconformity.status.not_in([s.value for s in ENDED_STATUSES]))
        .order_by(CorrectiveAction.due_on)))
    return result
