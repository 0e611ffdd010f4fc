"""Internal audits (ISO 9001:2008 clause 8.2.2): auditors, the yearly programme, audits, their scope and team.

An auditor is a user with a training certificate and the units they belong to. A programme
(Chương trình đánh giá nội bộ năm ...) lists the year's audits and is approved by the director with a
signature. An audit (Kế hoạch đánh giá) has a scope (units, processes, clauses), a team (one lead),
auditees, sessions, and goes planned → notified → in progress → reported → closed, each move kept
in its history. The database refuses the impossible: a process line that names both or neither of
a TTHC and a QMS procedure, two leads, a session that ends before it starts, a signed programme
without its signature.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


# Auditors ------------------------------------------------------------------------------------------


class Auditor(db.Model):
    """A registered internal auditor (chuyên gia đánh giá nội bộ): only they can be put on an audit team."""

    __tablename__ = "auditors"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    certificate_issuer: Mapped[str] = mapped_column(String(200), default="")
    certificate_number: Mapped[str] = mapped_column(String(60), default="")
    certificate_on: Mapped[date | None] = mapped_column(Date)
    # Audits led or joined before the register was kept here (paper records): they count for the lead rule.
    prior_audits: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User", lazy="joined")
    unit_rows: Mapped[list[AuditorUnit]] = relationship(back_populates="auditor", cascade="all, delete-orphan",
                                                        lazy="selectin")

    __table_args__ = (CheckConstraint("prior_audits >= 0", name="prior_audits_not_negative"),)

    def __str__(self) -> str:
        return self.user.full_name if self.user else f"auditor {self.id}"

    @property
    def unit_ids(self) -> frozenset[int]:
        """Every unit the auditor belongs to: the registered ones and the user's own unit."""
        ids = {row.unit_id for row in self.unit_rows}
        if self.user is not None and self.user.unit_id is not None:
            ids.add(self.user.unit_id)
        return frozenset(ids)


class AuditorUnit(db.Model):
    """A unit an auditor belongs to (or works for), besides their own: they never audit it."""

    __tablename__ = "auditor_units"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("auditors.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))

    auditor: Mapped[Auditor] = relationship(back_populates="unit_rows")
    unit = relationship("Unit", lazy="joined")

    __table_args__ = (UniqueConstraint("auditor_id", "unit_id"),)


# Programme -----------------------------------------------------------------------------------------


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"  # dự thảo
    SUBMITTED = "submitted"  # trình phê duyệt
    APPROVED = "approved"  # đã phê duyệt

    @property
    def label(self) -> str:
        return str(PROGRAMME_STATUS_LABELS[self])


PROGRAMME_STATUS_LABELS = {
    ProgrammeStatus.DRAFT: _l("Draft"),
    ProgrammeStatus.SUBMITTED: _l("Submitted for approval"),
    ProgrammeStatus.APPROVED: _l("Approved"),
}


class AuditProgramme(db.Model):
    """The yearly internal audit programme (Chương trình đánh giá nội bộ năm ...), one per year."""

    __tablename__ = "audit_programmes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProgrammeStatus] = mapped_column(enum_column(ProgrammeStatus), default=ProgrammeStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approver_capacity: Mapped[str] = mapped_column(String(40), default="")  # "" or "KT. Giám đốc"
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="joined")
    audits: Mapped[list[Audit]] = relationship(back_populates="programme", order_by="Audit.planned_start",
                                               viewonly=True)

    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        CheckConstraint("status <> 'approved' OR (approved_at IS NOT NULL AND approved_by_id IS NOT NULL "
                        "AND signature_id IS NOT NULL)", name="approved_is_signed"),
    )

    def __str__(self) -> str:
        return self.title


class ProgrammeTransition(db.Model):
    """The history of a programme: submitted, returned, approved."""

    __tablename__ = "audit_programme_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("audit_programmes.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")


# Audits --------------------------------------------------------------------------------------------


class AuditStatus(StrEnum):
    PLANNED = "planned"  # đã lập kế hoạch
    NOTIFIED = "notified"  # đã thông báo
    IN_PROGRESS = "in_progress"  # đang đánh giá
    REPORTED = "reported"  # đã báo cáo
    CLOSED = "closed"  # đã kết thúc

    @property
    def label(self) -> str:
        return str(AUDIT_STATUS_LABELS[self])


AUDIT_STATUS_LABELS = {
    AuditStatus.PLANNED: _l("Planned"),
    AuditStatus.NOTIFIED: _l("Notified"),
    AuditStatus.IN_PROGRESS: _l("In progress"),
    AuditStatus.REPORTED: _l("Reported"),
    AuditStatus.CLOSED: lazy_pgettext("audit status", "Closed"),  # "đã kết thúc"; a nonconformity is "đã đóng"
}


class Audit(db.Model):
    """One internal audit and its plan (Kế hoạch đánh giá): scope, criteria, dates, team and auditees."""

    __tablename__ = "audits"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("audit_programmes.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # ĐGNB-2026-01
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[AuditStatus] = mapped_column(enum_column(AuditStatus), default=AuditStatus.PLANNED, index=True)
    planned_start: Mapped[date] = mapped_column(Date, index=True)
    planned_end: Mapped[date] = mapped_column(Date)
    objectives: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")  # besides the documents in force of the scope
    lead_auditor_id: Mapped[int | None] = mapped_column(ForeignKey("auditors.id"))
    summary: Mapped[str] = mapped_column(Text, default="")  # the report's summary (issue 6, second half)
    conclusion: Mapped[str] = mapped_column(Text, default="")
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[AuditProgramme | None] = relationship(back_populates="audits")
    lead_auditor: Mapped[Auditor | None] = relationship(lazy="joined")
    unit_rows: Mapped[list[AuditUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    process_rows: Mapped[list[AuditProcess]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    clause_rows: Mapped[list[AuditClause]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    team: Mapped[list[AuditTeamMember]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                       order_by="AuditTeamMember.id")
    auditees: Mapped[list[AuditAuditee]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                        order_by="AuditAuditee.id")
    sessions: Mapped[list[AuditSession]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                        order_by="AuditSession.starts_at")

    __table_args__ = (
        CheckConstraint("planned_end >= planned_start", name="dates_in_order"),
        CheckConstraint("status = 'planned' OR lead_auditor_id IS NOT NULL", name="notified_has_lead"),
        CheckConstraint("status = 'planned' OR notified_at IS NOT NULL", name="notified_has_time"),
        CheckConstraint("status NOT IN ('in_progress', 'reported', 'closed') OR started_at IS NOT NULL",
                        name="started_has_time"),
        CheckConstraint("status NOT IN ('reported', 'closed') OR reported_at IS NOT NULL", name="reported_has_time"),
        CheckConstraint("status <> 'closed' OR closed_at IS NOT NULL", name="closed_has_time"),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def unit_ids(self) -> list[int]:
        return [row.unit_id for row in self.unit_rows]

    @property
    def clause_codes(self) -> list[str]:
        from audits.clauses import sort_key

        return sorted((row.clause_code for row in self.clause_rows), key=sort_key)

    @property
    def auditor_ids(self) -> list[int]:
        return [member.auditor_id for member in self.team]


class AuditUnit(db.Model):
    """A unit in an audit's scope."""

    __tablename__ = "audit_units"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)

    unit = relationship("Unit", lazy="joined")

    __table_args__ = (UniqueConstraint("audit_id", "unit_id"),)


class AuditProcess(db.Model):
    """A process in scope: a TTHC of the catalogue or a QMS procedure (QT-xx) of the master list."""

    __tablename__ = "audit_processes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_procedures.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)

    procedure = relationship("AdministrativeProcedure", lazy="joined")
    document = relationship("Document", lazy="joined")

    __table_args__ = (
        CheckConstraint("(procedure_id IS NULL) <> (document_id IS NULL)", name="procedure_or_document"),
        UniqueConstraint("audit_id", "procedure_id"),
        UniqueConstraint("audit_id", "document_id"),
    )

    @property
    def label(self) -> str:
        if self.procedure is not None:
            return f"{self.procedure.code} {self.procedure.name}"
        return f"{self.document.code} {self.document.title}" if self.document else ""


class AuditClause(db.Model):
    """A clause of ISO 9001:2008 in an audit's scope (a code of ``audits.clauses``)."""

    __tablename__ = "audit_clauses"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    clause_code: Mapped[str] = mapped_column(String(10))

    __table_args__ = (UniqueConstraint("audit_id", "clause_code"),)


class TeamRole(StrEnum):
    LEAD = "lead"  # trưởng đoàn đánh giá
    MEMBER = "member"  # thành viên

    @property
    def label(self) -> str:
        return str(TEAM_ROLE_LABELS[self])


TEAM_ROLE_LABELS = {TeamRole.LEAD: _l("Lead auditor"), TeamRole.MEMBER: _l("Auditor")}


class AuditTeamMember(db.Model):
    """A registered auditor on an audit's team; exactly one of them leads it."""

    __tablename__ = "audit_team_members"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    auditor_id: Mapped[int] = mapped_column(ForeignKey("auditors.id"), index=True)
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole), default=TeamRole.MEMBER)

    auditor: Mapped[Auditor] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("audit_id", "auditor_id"),
        Index("uq_audit_team_members_one_lead", "audit_id", unique=True,
              sqlite_where=text("role = 'lead'"), postgresql_where=text("role = 'lead'")),
    )


class AuditAuditee(db.Model):
    """A person audited (đại diện đơn vị được đánh giá): told of the plan, reminded before the audit."""

    __tablename__ = "audit_auditees"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    user = relationship("User", lazy="joined")

    __table_args__ = (UniqueConstraint("audit_id", "user_id"),)


class AuditSession(db.Model):
    """One session of the audit's schedule: when, where (which unit) and what is audited."""

    __tablename__ = "audit_sessions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    topic: Mapped[str] = mapped_column(String(300), default="")

    unit = relationship("Unit", lazy="joined")

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class AuditTransition(db.Model):
    """The history of an audit's states: who moved it, when, from which state to which, and why."""

    __tablename__ = "audit_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")


class CalendarFeedToken(db.Model):
    """A user's private iCalendar feed of their audits.

    The token in the URL is an HMAC of the nonce under the app's secret key: the database alone
    (a backup, a dump) does not give it away, and the page can still show the URL again.
    """

    __tablename__ = "audit_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
