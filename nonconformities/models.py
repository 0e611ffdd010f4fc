"""Nonconformities and corrective / preventive actions (ISO 9001:2008 clauses 8.3, 8.5.2, 8.5.3).

A nonconformity (điểm không phù hợp) is raised from an audit finding, an external inspection, a late
dossier, a complaint, process monitoring, the management review or by any member of staff. It is
analysed (immediate correction, 5 Whys, cause-and-effect), gets an action plan that the unit head or
the ISO secretary approves, its actions are carried out and then checked for effectiveness by
someone who owns none of them; only an effective check closes it.

The database refuses an early closure by itself, without triggers:

* an *open* action carries ``nc_open_guard = false`` and a composite key
  ``(nc_id, nc_open_guard) → nonconformities (id, is_closed)``; ``is_closed`` must equal
  ``status = 'closed'``, so flipping a nonconformity to closed while one open action still points
  at ``(id, false)`` breaks the key (SQLite and PostgreSQL alike);
* a closed nonconformity names its effective check: ``(closed_check_id, id, closed_check_is_effective)``
  references ``effectiveness_checks (id, nc_id, is_effective)`` and a CheckConstraint requires it to be
  present and true when the status is closed.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audits import checklist_models  # noqa: F401 - audit_findings, the table a nonconformity's finding is in
from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class NcSource(StrEnum):
    AUDIT_FINDING = "audit_finding"  # phát hiện của đánh giá nội bộ
    EXTERNAL_INSPECTION = "external_inspection"  # kiểm tra, đánh giá bên ngoài
    LATE_DOSSIER = "late_dossier"  # hồ sơ TTHC trễ hạn
    COMPLAINT = "complaint"  # phản ánh, kiến nghị của người dân
    MONITORING = "monitoring"  # theo dõi quá trình, mục tiêu chất lượng
    MANAGEMENT_REVIEW = "management_review"  # xem xét của lãnh đạo
    STAFF = "staff"  # cán bộ, công chức phát hiện

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    NcSource.AUDIT_FINDING: _l("Internal audit finding"),
    NcSource.EXTERNAL_INSPECTION: _l("External inspection"),
    NcSource.LATE_DOSSIER: _l("Late dossier"),
    NcSource.COMPLAINT: _l("Citizen complaint or feedback"),
    NcSource.MONITORING: _l("Process monitoring"),
    NcSource.MANAGEMENT_REVIEW: _l("Management review"),
    NcSource.STAFF: _l("Staff member"),
}


class Severity(StrEnum):
    MAJOR = "major"
    MINOR = "minor"

    @property
    def label(self) -> str:
        return str(SEVERITY_LABELS[self])


SEVERITY_LABELS = {Severity.MAJOR: _l("Major"), Severity.MINOR: _l("Minor")}


class NcStatus(StrEnum):
    NEW = "new"
    ANALYSIS = "analysis"
    ACTION_PLAN = "action_plan"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    EFFECTIVENESS_CHECK = "effectiveness_check"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_open(self) -> bool:
        return self not in ENDED_STATUSES


STATUS_LABELS = {
    NcStatus.NEW: _l("New"),
    NcStatus.ANALYSIS: _l("Cause analysis"),
    NcStatus.ACTION_PLAN: _l("Action plan"),
    NcStatus.APPROVED: _l("Plan approved"),
    NcStatus.IN_PROGRESS: _l("Actions in progress"),
    NcStatus.EFFECTIVENESS_CHECK: _l("Effectiveness check"),
    NcStatus.CLOSED: _l("Closed"),
    NcStatus.REJECTED: _l("Rejected"),
    NcStatus.DUPLICATE: _l("Duplicate"),
}
ENDED_STATUSES = frozenset({NcStatus.CLOSED, NcStatus.REJECTED, NcStatus.DUPLICATE})


class CauseCategory(StrEnum):
    """The six branches of the cause-and-effect (fishbone) diagram used by the agency."""

    PEOPLE = "people"
    METHOD = "method"
    EQUIPMENT_IT = "equipment_it"
    DOCUMENTS_INPUTS = "documents_inputs"
    ENVIRONMENT = "environment"
    MEASUREMENT = "measurement"

    @property
    def label(self) -> str:
        return str(CAUSE_LABELS[self])


CAUSE_LABELS = {
    CauseCategory.PEOPLE: _l("People"),
    CauseCategory.METHOD: _l("Method"),
    CauseCategory.EQUIPMENT_IT: _l("Equipment and IT"),
    CauseCategory.DOCUMENTS_INPUTS: _l("Documents and inputs"),
    CauseCategory.ENVIRONMENT: _l("Environment"),
    CauseCategory.MEASUREMENT: _l("Measurement"),
}


class EvidenceKind(StrEnum):
    DOSSIER = "dossier"
    FILE = "file"
    NOTE = "note"
    FINDING = "finding"

    @property
    def label(self) -> str:
        return str(EVIDENCE_LABELS[self])


EVIDENCE_LABELS = {
    EvidenceKind.DOSSIER: _l("Dossier"),
    EvidenceKind.FILE: _l("File"),
    EvidenceKind.NOTE: _l("Note"),
    EvidenceKind.FINDING: _l("Audit finding"),
}


class ActionKind(StrEnum):
    CORRECTION = "correction"  # khắc phục tức thời
    CORRECTIVE = "corrective"  # hành động khắc phục (8.5.2)
    PREVENTIVE = "preventive"  # hành động phòng ngừa (8.5.3)

    @property
    def label(self) -> str:
        return str(ACTION_KIND_LABELS[self])


ACTION_KIND_LABELS = {
    ActionKind.CORRECTION: _l("Correction"),
    ActionKind.CORRECTIVE: _l("Corrective action"),
    ActionKind.PREVENTIVE: _l("Preventive action"),
}


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(ACTION_STATUS_LABELS[self])


ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.CANCELLED: _l("Cancelled"),
}


class Nonconformity(db.Model):
    """One nonconformity and its whole story, from the source to the verified closure."""

    __tablename__ = "nonconformities"
    __audited__ = True

    # autoincrement spelled out: id is also part of the composite key to effectiveness_checks
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # NC-2026-001
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[NcSource] = mapped_column(enum_column(NcSource), index=True)
    source_ref: Mapped[str] = mapped_column(String(120), default="")  # a finding's code, an inspection minute
    # the audit finding it was raised from: one nonconformity per finding (uq_nonconformities_audit_finding_id)
    audit_finding_id: Mapped[int | None] = mapped_column(ForeignKey("audit_findings.id"))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, length=10), default=Severity.MINOR)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_procedures.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id"))
    clause: Mapped[str] = mapped_column(String(20), default="")  # ISO 9001:2008 clause, e.g. 7.5.1
    # active history: the guard needs the stored status even when a change is pending
    status: Mapped[NcStatus] = mapped_column(enum_column(NcStatus), default=NcStatus.NEW, index=True,
                                             active_history=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # why rejected / duplicate
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformities.id"))
    # Analysis (8.5.2 a-b)
    correction: Mapped[str] = mapped_column(Text, default="")  # khắc phục tức thời
    correction_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    correction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    # Plan approval (8.5.2 c-d)
    plan_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    plan_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    plan_comment: Mapped[str] = mapped_column(Text, default="")
    effectiveness_due_on: Mapped[date | None] = mapped_column(Date)
    # Raised and closed
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: raised by the system
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_closed: Mapped[bool] = mapped_column(default=False)
    closed_check_id: Mapped[int | None] = mapped_column()
    closed_check_is_effective: Mapped[bool | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit = relationship("Unit", lazy="joined")
    procedure = relationship("AdministrativeProcedure", lazy="joined")
    step = relationship("ProcessStep", lazy="joined")
    audit_finding = relationship("Finding")  # loaded when shown: the register does not need it
    raised_by = relationship("User", foreign_keys=[raised_by_id], lazy="joined")
    duplicate_of: Mapped[Nonconformity | None] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    evidence: Mapped[list[NonconformityEvidence]] = relationship(
        back_populates="nonconformity", order_by="NonconformityEvidence.id", cascade="all, delete-orphan")
    whys: Mapped[list[NonconformityWhy]] = relationship(
        back_populates="nonconformity", order_by="NonconformityWhy.position", cascade="all, delete-orphan")
    causes: Mapped[list[NonconformityCause]] = relationship(
        back_populates="nonconformity", order_by="NonconformityCause.id", cascade="all, delete-orphan")
    actions: Mapped[list[CorrectiveAction]] = relationship(
        back_populates="nonconformity", order_by="CorrectiveAction.id", cascade="all, delete-orphan",
        primaryjoin="Nonconformity.id == foreign(CorrectiveAction.nc_id)")
    checks: Mapped[list[EffectivenessCheck]] = relationship(
        back_populates="nonconformity", order_by="EffectivenessCheck.id", cascade="all, delete-orphan",
        primaryjoin="Nonconformity.id == foreign(EffectivenessCheck.nc_id)")
    transitions: Mapped[list[NonconformityTransition]] = relationship(
        back_populates="nonconformity", order_by="NonconformityTransition.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("id", "is_closed", name="uq_nonconformities_id_is_closed"),
        UniqueConstraint("audit_finding_id", name="uq_nonconformities_audit_finding_id"),
        ForeignKeyConstraint(["closed_check_id", "id", "closed_check_is_effective"],
                             ["effectiveness_checks.id", "effectiveness_checks.nc_id",
                              "effectiveness_checks.is_effective"],
                             name="fk_nonconformities_closed_check", use_alter=True),
        CheckConstraint("(status = 'closed' AND is_closed) OR (status <> 'closed' AND NOT is_closed)",
                        name="is_closed_matches_status"),
        CheckConstraint("status <> 'closed' OR (closed_check_id IS NOT NULL AND closed_check_is_effective "
                        "AND closed_at IS NOT NULL AND closed_by_id IS NOT NULL)",
                        name="closed_needs_effective_check"),
        CheckConstraint("status NOT IN ('rejected', 'duplicate') OR length(status_reason) > 0",
                        name="ended_has_reason"),
        CheckConstraint("status <> 'duplicate' OR duplicate_of_id IS NOT NULL", name="duplicate_names_original"),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_own_duplicate"),
        CheckConstraint("status NOT IN ('approved', 'in_progress', 'effectiveness_check', 'closed') OR "
                        "(plan_approved_by_id IS NOT NULL AND plan_approved_at IS NOT NULL)",
                        name="approved_plan_signed"),
        CheckConstraint("step_id IS NULL OR procedure_id IS NOT NULL", name="step_needs_procedure"),
        Index("ix_nonconformities_procedure_step", "procedure_id", "step_id"),
    )

    @property
    def open_actions(self) -> list[CorrectiveAction]:
        return [a for a in self.actions if a.status == ActionStatus.OPEN]

    @property
    def latest_check(self) -> EffectivenessCheck | None:
        return self.checks[-1] if self.checks else None

    @property
    def owner_ids(self) -> set[int]:
        return {a.owner_id for a in self.actions if a.status != ActionStatus.CANCELLED}

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class NonconformityEvidence(db.Model):
    """A piece of evidence: a dossier (hồ sơ TTHC), a file, a note or the audit finding behind the NC."""

    __tablename__ = "nonconformity_evidence"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, length=16))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    step_run_id: Mapped[int | None] = mapped_column(ForeignKey("step_runs.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nonconformity: Mapped[Nonconformity] = relationship(back_populates="evidence")
    dossier = relationship("Dossier", lazy="joined")
    added_by = relationship("User", lazy="joined")

    __table_args__ = (
        UniqueConstraint("nc_id", "dossier_id", name="uq_nonconformity_evidence_nc_dossier"),
        CheckConstraint("kind <> 'dossier' OR dossier_id IS NOT NULL", name="dossier_evidence_names_dossier"),
        CheckConstraint("kind <> 'file' OR file_id IS NOT NULL", name="file_evidence_has_file"),
    )


class NonconformityWhy(db.Model):
    """One step of the 5 Whys: the question asked and the answer found (at most five, in order)."""

    __tablename__ = "nonconformity_whys"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    position: Mapped[int] = mapped_column()
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)

    nonconformity: Mapped[Nonconformity] = relationship(back_populates="whys")

    __table_args__ = (
        UniqueConstraint("nc_id", "position", name="uq_nonconformity_whys_position"),
        CheckConstraint("position BETWEEN 1 AND 5", name="at_most_five_whys"),
    )


class NonconformityCause(db.Model):
    """One cause on a branch of the cause-and-effect diagram."""

    __tablename__ = "nonconformity_causes"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    category: Mapped[CauseCategory] = mapped_column(enum_column(CauseCategory, length=20))
    text: Mapped[str] = mapped_column(Text)
    is_root: Mapped[bool] = mapped_column(default=False)  # retained as a root cause

    nonconformity: Mapped[Nonconformity] = relationship(back_populates="causes")

    __table_args__ = (CheckConstraint("length(text) > 0", name="cause_has_text"),)


class CorrectiveAction(db.Model):
    """A correction, corrective or preventive action: owner, due date in working days, what done looks like."""

    __tablename__ = "corrective_actions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    kind: Mapped[ActionKind] = mapped_column(enum_column(ActionKind, length=16), default=ActionKind.CORRECTIVE)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    working_days: Mapped[int] = mapped_column(default=10)  # the allotment the due date was computed from
    due_on: Mapped[date] = mapped_column(Date)
    done_criteria: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, length=16), default=ActionStatus.OPEN,
                                                 index=True)
    # false while the action is open, NULL otherwise: the key below stops the NC from closing meanwhile
    nc_open_guard: Mapped[bool | None] = mapped_column(default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("change_requests.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nonconformity: Mapped[Nonconformity] = relationship(
        back_populates="actions", primaryjoin="Nonconformity.id == foreign(CorrectiveAction.nc_id)")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    change_request = relationship("ChangeRequest")
    progress: Mapped[list[ActionProgress]] = relationship(back_populates="action", order_by="ActionProgress.id",
                                                          cascade="all, delete-orphan")

    __table_args__ = (
        ForeignKeyConstraint(["nc_id", "nc_open_guard"], ["nonconformities.id", "nonconformities.is_closed"],
                             name="fk_corrective_actions_open_guard"),
        CheckConstraint("(status = 'open' AND nc_open_guard IS NOT NULL AND NOT nc_open_guard) OR "
                        "(status <> 'open' AND nc_open_guard IS NULL)", name="open_guard_matches_status"),
        CheckConstraint("status <> 'done' OR completed_at IS NOT NULL", name="done_has_date"),
        CheckConstraint("working_days >= 0", name="working_days_not_negative"),
        CheckConstraint("length(description) > 0", name="action_has_description"),
    )

    def is_overdue(self, today: date) -> bool:
        return self.status == ActionStatus.OPEN and self.due_on < today


class ActionProgress(db.Model):
    """A progress note by the action's owner, with an optional evidence file."""

    __tablename__ = "action_progress"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by = relationship("User", lazy="joined")
    action: Mapped[CorrectiveAction] = relationship(back_populates="progress")


class EffectivenessCheck(db.Model):
    """The verification of effectiveness (8.5.2 f). Never edited: a later check supersedes it."""

    __tablename__ = "effectiveness_checks"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_effective: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")

    checked_by = relationship("User", lazy="joined")
    nonconformity: Mapped[Nonconformity] = relationship(
        back_populates="checks", primaryjoin="Nonconformity.id == foreign(EffectivenessCheck.nc_id)")

    __table_args__ = (
        UniqueConstraint("id", "nc_id", "is_effective", name="uq_effectiveness_checks_id_nc_effective"),
        CheckConstraint("length(comment) > 0", name="check_has_comment"),
    )


class NonconformityTransition(db.Model):
    """The workflow history: who moved the nonconformity from which status to which, when, and why."""

    __tablename__ = "nonconformity_transitions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    nc_id: Mapped[int] = mapped_column(ForeignKey("nonconformities.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    nonconformity: Mapped[Nonconformity] = relationship(back_populates="transitions")


class NonconformityRules(db.Model):
    """The ISO secretary's rules (a single row): automatic raising from late dossiers, reminders, escalation."""

    __tablename__ = "nonconformity_rules"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    raise_on_late_dossier: Mapped[bool] = mapped_column(default=True)
    raise_on_late_step: Mapped[bool] = mapped_column(default=True)
    late_step_margin_hours: Mapped[int] = mapped_column(default=0)  # working hours over the allotment; 0: any
    grouping_window_days: Mapped[int] = mapped_column(default=30)
    default_severity: Mapped[Severity] = mapped_column(enum_column(Severity, length=10), default=Severity.MINOR)
    effectiveness_after_working_days: Mapped[int] = mapped_column(default=20)
    reminder_lead_working_days: Mapped[int] = mapped_column(default=3)
    escalate_unit_head_after_working_days: Mapped[int] = mapped_column(default=3)
    escalate_director_after_working_days: Mapped[int] = mapped_column(default=5)  # counted after the unit head's
    default_action_working_days: Mapped[int] = mapped_column(default=10)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("late_step_margin_hours >= 0", name="margin_not_negative"),
        CheckConstraint("grouping_window_days >= 0", name="window_not_negative"),
        CheckConstraint("effectiveness_after_working_days >= 0 AND reminder_lead_working_days >= 0 AND "
                        "escalate_unit_head_after_working_days >= 0 AND escalate_director_after_working_days >= 0 "
                        "AND default_action_working_days >= 1", name="working_days_not_negative"),
    )
