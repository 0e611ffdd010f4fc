"""Coverage of a year's internal audits (ISO 9001:2008 clause 8.2.2: "the audit programme shall be planned,
taking into consideration the status and importance of the processes and areas to be audited").

For every unit of the agency and every clause of ISO 9001:2008 (4 to 8), which of the year's audits
cover it. A clause is covered by an audit of itself or of a clause above it (auditing 4.2 covers 4.2.3);
a clause whose sub-clauses are only partly audited is *partial*; anything else is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from audits import clauses
from audits.clauses import Clause
from audits.services import audits_of_year
from qms.extensions import db
from qms.org.models import Unit


@dataclass
class CoverageRow:
    subject: object  # a Unit or a Clause
    audits: list = field(default_factory=list)  # the audits that cover it
    partial: bool = False  # a clause: only some of its sub-clauses are audited

    @property
    def state(self) -> str:
        return "covered" if self.audits else ("partial" if self.partial else "gap")


@dataclass
class Coverage:
    year: int
    audits: list
    units: list[CoverageRow]
    clauses: list[CoverageRow]

    @property
    def unit_gaps(self) -> int:
        return sum(1 for row in self.units if row.state == "gap")

    @property
    def clause_gaps(self) -> int:
        return sum(1 for row in self.clauses if row.state == "gap")


def clause_rows(audits) -> list[CoverageRow]:
    """One row per clause of the catalogue, with the audits covering it (pure: *audits* give ``clause_codes``)."""
    rows = []
    for item in clauses.CLAUSES:
        covering = [a for a in audits if any(clauses.covers(code, item.code) for code in a.clause_codes)]
        partial = not covering and any(
            any(clauses.covers(item.code, code) for code in a.clause_codes) for a in audits)
        rows.append(CoverageRow(item, covering, partial))
    return rows


def year_coverage(year: int) -> Coverage:
    """The units and clauses of *year* with the audits planned or done for them."""
    audits = audits_of_year(year)
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True))
                               .order_by(Unit.sort_order, Unit.name)).all()
    unit_rows = [CoverageRow(unit, [a for a in audits if unit.id in a.unit_ids]) for unit in units]
    return Coverage(year, audits, unit_rows, clause_rows(audits))


def clause_title(item: Clause, locale: str) -> str:
    return clauses.title(item, locale)
