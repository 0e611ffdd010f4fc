"""Administrative procedures (TTHC) and their process maps (ISO 9001:2008 clauses 4.1, 7.5.1).

An administrative procedure (thủ tục hành chính) is published by the province with a legal time
limit; the agency may commit to a shorter one. Its internal procedure (quy trình nội bộ) is a
controlled document (QT-xx) whose every revision carries one *process version*: ordered steps with
a responsible unit and an allotted time, plus the usual branches (supplement request, refusal,
consultation). A version is drafted, signed and put into force with its document revision, so
the version in force at any instant is the one whose revision was in force then.

Times are stored as whole minutes with the unit they were written in: a working day counts
8 working hours (480 minutes), the convention of the one-stop systems (DOMAIN.md 4.2); a
calendar day 1,440 minutes. Half days are the finest grain for days, half hours for hours.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"  # ngày làm việc
    WORKING_HOURS = "working_hours"  # giờ làm việc
    CALENDAR_DAYS = "calendar_days"  # ngày (theo lịch)

    @property
    def label(self) -> str:
        return str(TIME_UNIT_LABELS[self])

    @property
    def minutes(self) -> int:
        """Minutes in one unit: 8 working hours make a working day."""
        return MINUTES_PER_UNIT[self]

    @property
    def is_working_time(self) -> bool:
        return self != TimeUnit.CALENDAR_DAYS

    @property
    def grain(self) -> int:
        """The finest amount a time may be given in, in minutes: half a day, half an hour."""
        return self.minutes // 2


TIME_UNIT_LABELS = {
    TimeUnit.WORKING_DAYS: _l("working days"),
    TimeUnit.WORKING_HOURS: _l("working hours"),
    TimeUnit.CALENDAR_DAYS: _l("calendar days"),
}
MINUTES_PER_UNIT = {TimeUnit.WORKING_DAYS: 480, TimeUnit.WORKING_HOURS: 60, TimeUnit.CALENDAR_DAYS: 1440}


class ProcedureLevel(StrEnum):
    CENTRAL = "central"  # cấp trung ương
    PROVINCIAL = "provincial"  # cấp tỉnh
    DISTRICT = "district"  # cấp huyện
    COMMUNE = "commune"  # cấp xã

    @property
    def label(self) -> str:
        return str(PROCEDURE_LEVEL_LABELS[self])


PROCEDURE_LEVEL_LABELS = {
    ProcedureLevel.CENTRAL: _l("Central level"),
    ProcedureLevel.PROVINCIAL: _l("Provincial level"),
    ProcedureLevel.DISTRICT: _l("District level"),
    ProcedureLevel.COMMUNE: _l("Commune level"),
}


class OnlineService(StrEnum):
    NONE = "none"  # không trực tuyến
    PARTIAL = "partial"  # dịch vụ công trực tuyến một phần
    FULL = "full"  # dịch vụ công trực tuyến toàn trình

    @property
    def label(self) -> str:
        return str(ONLINE_SERVICE_LABELS[self])


ONLINE_SERVICE_LABELS = {
    OnlineService.NONE: _l("Not online"),
    OnlineService.PARTIAL: _l("Online, partly (một phần)"),
    OnlineService.FULL: _l("Online, end to end (toàn trình)"),
}


class ProcedureStatus(StrEnum):
    IN_FORCE = "in_force"  # đang áp dụng
    ABOLISHED = "abolished"  # đã bãi bỏ

    @property
    def label(self) -> str:
        return str(PROCEDURE_STATUS_LABELS[self])


PROCEDURE_STATUS_LABELS = {
    ProcedureStatus.IN_FORCE: _l("In force"),
    ProcedureStatus.ABOLISHED: _l("Abolished"),
}


class AdministrativeProcedure(db.Model):
    """One administrative procedure of the catalogue, with its limits and the decisions behind it."""

    __tablename__ = "administrative_procedures"
    __audited__ = True
    __audit_exclude__ = frozenset({"search_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)  # mã TTHC on the national database, 1.004470
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(200), index=True)  # lĩnh vực
    level: Mapped[ProcedureLevel] = mapped_column(enum_column(ProcedureLevel), default=ProcedureLevel.PROVINCIAL)
    legal_limit_minutes: Mapped[int] = mapped_column()
    legal_limit_unit: Mapped[TimeUnit] = mapped_column(enum_column(TimeUnit, name="legal_limit_unit_enum"))
    committed_limit_minutes: Mapped[int | None] = mapped_column()  # the shortened limit the agency commits to
    committed_limit_unit: Mapped[TimeUnit | None] = mapped_column(
        enum_column(TimeUnit, name="committed_limit_unit_enum"))
    fees: Mapped[str] = mapped_column(Text, default="")  # phí, lệ phí
    accepts_in_person: Mapped[bool] = mapped_column(default=True)
    accepts_post: Mapped[bool] = mapped_column(default=False)
    online_service: Mapped[OnlineService] = mapped_column(enum_column(OnlineService), default=OnlineService.NONE)
    announcement_no: Mapped[str] = mapped_column(String(80), default="")  # Quyết định công bố TTHC
    announcement_on: Mapped[date | None] = mapped_column(Date)
    internal_approval_no: Mapped[str] = mapped_column(String(80), default="")  # QĐ phê duyệt quy trình nội bộ
    internal_approval_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ProcedureStatus] = mapped_column(enum_column(ProcedureStatus), default=ProcedureStatus.IN_FORCE,
                                                    index=True)
    abolished_on: Mapped[date | None] = mapped_column(Date)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), unique=True)  # its QT-xx
    notes: Mapped[str] = mapped_column(Text, default="")
    search_key: Mapped[str] = mapped_column(Text, default="")  # folded code, name and field
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner_unit = relationship("Unit", lazy="joined")
    document = relationship("Document", lazy="joined")
    legal_bases: Mapped[list[ProcedureLegalBasis]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", lazy="selectin",
        order_by="ProcedureLegalBasis.position")
    versions: Mapped[list[ProcessVersion]] = relationship(back_populates="procedure", viewonly=True,
                                                          order_by="ProcessVersion.version_no")

    __table_args__ = (
        CheckConstraint("legal_limit_minutes >= 0", name="legal_limit_not_negative"),
        CheckConstraint("(committed_limit_minutes IS NULL) = (committed_limit_unit IS NULL)",
                        name="committed_limit_complete"),
        CheckConstraint("committed_limit_minutes IS NULL OR committed_limit_minutes >= 0",
                        name="committed_limit_not_negative"),
        CheckConstraint("(status = 'abolished') = (abolished_on IS NOT NULL)", name="abolished_has_date"),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def target_minutes(self) -> int:
        """The limit a process version must add up to: the committed one when the agency shortened it."""
        return self.committed_limit_minutes if self.committed_limit_minutes is not None else self.legal_limit_minutes

    @property
    def target_unit(self) -> TimeUnit:
        return self.committed_limit_unit or self.legal_limit_unit


class ProcedureLegalBasis(db.Model):
    """A legal document the procedure rests on (căn cứ pháp lý), from the register of external documents."""

    __tablename__ = "procedure_legal_bases"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("administrative_procedures.id"), index=True)
    external_document_id: Mapped[int] = mapped_column(ForeignKey("external_documents.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    procedure: Mapped[AdministrativeProcedure] = relationship(back_populates="legal_bases")
    external_document = relationship("ExternalDocument", lazy="joined")

    __table_args__ = (UniqueConstraint("procedure_id", "external_document_id"),)


class ProcessVersion(db.Model):
    """The process map carried by one revision of the procedure's controlled document.

    Its life (draft, approved, in force, superseded) is its revision's: nothing is duplicated here.
    """

    __tablename__ = "process_versions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("administrative_procedures.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), unique=True)
    version_no: Mapped[int] = mapped_column()
    # The limit the steps must add up to: the procedure's committed (or legal) limit, taken again at
    # every check while the version is a draft and frozen with the signatures.
    limit_minutes: Mapped[int] = mapped_column()
    limit_unit: Mapped[TimeUnit] = mapped_column(enum_column(TimeUnit))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[AdministrativeProcedure] = relationship(back_populates="versions", lazy="joined")
    revision = relationship("Revision", lazy="joined")
    steps: Mapped[list[ProcessStep]] = relationship(back_populates="version", order_by="ProcessStep.position",
                                                    cascade="all, delete-orphan", lazy="selectin")
    branches: Mapped[list[ProcessBranch]] = relationship(back_populates="version",
                                                         order_by="ProcessBranch.position",
                                                         cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("procedure_id", "version_no"),
        CheckConstraint("version_no >= 1", name="version_no_positive"),
        CheckConstraint("limit_minutes >= 0", name="limit_not_negative"),
    )

    def __str__(self) -> str:
        return f"quy trình v{self.version_no} (revision {self.revision_id})"

    @property
    def total_minutes(self) -> int:
        return sum(step.allotted_minutes for step in self.steps)


class StepKind(StrEnum):
    RECEIVE = "receive"  # tiếp nhận
    ASSIGN = "assign"  # phân công
    APPRAISE = "appraise"  # thẩm định, thụ lý
    REVIEW = "review"  # xem xét, trình ký
    SIGN = "sign"  # ký duyệt
    ISSUE = "issue"  # vào số, phát hành
    RETURN = "return"  # trả kết quả
    CONSULT = "consult"  # lấy ý kiến cơ quan khác
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(STEP_KIND_LABELS[self])


STEP_KIND_LABELS = {
    StepKind.RECEIVE: _l("Receive"),
    StepKind.ASSIGN: _l("Assign"),
    StepKind.APPRAISE: _l("Appraise"),
    StepKind.REVIEW: _l("Review and submit"),
    StepKind.SIGN: _l("Sign"),
    StepKind.ISSUE: _l("Register and issue"),
    StepKind.RETURN: _l("Return the result"),
    StepKind.CONSULT: _l("Consult another body"),
    StepKind.OTHER: _l("Other"),
}


class ProcessStep(db.Model):
    """One step of the main line: who does what, within how much time, producing which form or result."""

    __tablename__ = "process_steps"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    position: Mapped[int] = mapped_column()
    code: Mapped[str] = mapped_column(String(10))  # B1, B2, ...
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # nội dung công việc
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    performer: Mapped[str] = mapped_column(String(200), default="")  # trách nhiệm, e.g. "Trưởng phòng BC-VT"
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind), default=StepKind.OTHER)
    allotted_minutes: Mapped[int] = mapped_column()
    allotted_unit: Mapped[TimeUnit] = mapped_column(enum_column(TimeUnit))
    output: Mapped[str] = mapped_column(String(300), default="")  # biểu mẫu / kết quả

    version: Mapped[ProcessVersion] = relationship(back_populates="steps")
    unit = relationship("Unit", lazy="joined")

    __table_args__ = (
        UniqueConstraint("version_id", "position"),
        UniqueConstraint("version_id", "code"),
        CheckConstraint("allotted_minutes >= 0", name="allotted_not_negative"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def lane(self) -> str:
        """The swimlane the step is drawn in: its unit, or the performer when no unit of ours does it."""
        if self.unit is not None:
            return self.unit.short_name or self.unit.name
        return self.performer


class BranchKind(StrEnum):
    SUPPLEMENT = "supplement"  # yêu cầu bổ sung: back to the applicant, then on again
    REFUSAL = "refusal"  # từ chối: the dossier ends
    CONSULTATION = "consultation"  # lấy ý kiến cơ quan khác, then back

    @property
    def label(self) -> str:
        return str(BRANCH_KIND_LABELS[self])


BRANCH_KIND_LABELS = {
    BranchKind.SUPPLEMENT: _l("Supplement request"),
    BranchKind.REFUSAL: _l("Refusal"),
    BranchKind.CONSULTATION: _l("Consultation with another body"),
}


class ProcessBranch(db.Model):
    """A path off the main line, from a step: to the applicant or another body, and back to a step or to the end.

    A supplement request returns to ``to_step`` (usually the step that asked); a refusal ends the
    dossier (no ``to_step``); a consultation comes back to ``to_step``. The time a consultation
    takes is inside the allotment of the step it leaves from; a supplement request stops the clock.
    """

    __tablename__ = "process_branches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[BranchKind] = mapped_column(enum_column(BranchKind))
    from_step_id: Mapped[int] = mapped_column(ForeignKey("process_steps.id"))
    to_step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id"))
    party: Mapped[str] = mapped_column(String(200), default="")  # "Tổ chức, cá nhân", "Công an tỉnh"
    condition: Mapped[str] = mapped_column(String(300), default="")  # "Hồ sơ chưa đầy đủ"
    output: Mapped[str] = mapped_column(String(300), default="")  # Mẫu 02, Mẫu 03, công văn lấy ý kiến

    version: Mapped[ProcessVersion] = relationship(back_populates="branches")
    from_step: Mapped[ProcessStep] = relationship(foreign_keys=[from_step_id], lazy="joined")
    to_step: Mapped[ProcessStep | None] = relationship(foreign_keys=[to_step_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("kind <> 'refusal' OR to_step_id IS NULL", name="refusal_ends"),
        CheckConstraint("kind = 'refusal' OR to_step_id IS NOT NULL", name="branch_comes_back"),
        UniqueConstraint("version_id", "position"),
    )

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.party} {self.condition}".strip()
