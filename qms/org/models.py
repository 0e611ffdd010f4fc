"""Agency, units and positions: the organisation the QMS covers (ISO 9001:2008 clause 5.5.1)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class Agency(db.Model):
    """The state agency running the QMS (one row), e.g. Sở Thông tin và Truyền thông under UBND tỉnh."""

    __tablename__ = "agencies"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_body: Mapped[str] = mapped_column(String(200), default="")
    short_name: Mapped[str] = mapped_column(String(50), default="")
    code: Mapped[str] = mapped_column(String(50), default="")  # unit code of TT 01/2018 Art. 19
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name


class UnitKind(StrEnum):
    LEADERSHIP = "leadership"
    OFFICE = "office"
    SPECIALIST = "specialist"
    ONE_STOP = "one_stop"
    AFFILIATED = "affiliated"

    @property
    def label(self) -> str:
        return str(UNIT_KIND_LABELS[self])


UNIT_KIND_LABELS = {
    UnitKind.LEADERSHIP: _l("Leadership"),
    UnitKind.OFFICE: _l("Office"),
    UnitKind.SPECIALIST: _l("Specialist office"),
    UnitKind.ONE_STOP: _l("One-stop shop"),
    UnitKind.AFFILIATED: _l("Affiliated unit"),
}


class Unit(db.Model):
    """A unit of the agency: Lãnh đạo Sở, Văn phòng, a specialist office, the one-stop shop."""

    __tablename__ = "units"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind), default=UnitKind.SPECIALIST)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)

    def __str__(self) -> str:
        return self.name


class Position(db.Model):
    """A position (chức vụ): Giám đốc, Phó Giám đốc, Chánh Văn phòng, Trưởng phòng, Chuyên viên, Văn thư."""

    __tablename__ = "positions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    rank: Mapped[int] = mapped_column(default=100)  # lower ranks first in lists and signature blocks
    is_leadership: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.name
