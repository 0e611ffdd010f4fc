"""Dossier records (hồ sơ TTHC) and the time of each of their steps (DOMAIN.md 3-4, 6).

A dossier is measured against the process version in force when it was received, under the
counting rules in force then; both are kept with it. Each step run is one row of the electronic
Mẫu 05 (Phiếu kiểm soát quá trình giải quyết hồ sơ): who handed over to whom, when, when the step
finished, its allotted and used working time and its result (trước hạn / đúng hạn / trễ hạn).
Working time is in units where a working day weighs 480 (see ``qms.calendar.engine``).

The tables are flat on purpose: bulk imports write a million step runs with plain inserts.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from qms.calendar.models import CountingConvention, TimelinessPoint
from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.text import fold
from qms.timeutil import utcnow


class DossierStatus(IntEnum):
    """The status codes of the one-stop systems (DOMAIN.md 6)."""

    REGISTERED = 1  # Mới đăng ký
    ACCEPTED = 2  # Được tiếp nhận
    NOT_ACCEPTED = 3  # Không được tiếp nhận
    IN_PROGRESS = 4  # Đang xử lý
    SUPPLEMENT_REQUESTED = 5  # Yêu cầu bổ sung giấy tờ
    PAYMENT_REQUESTED = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    RESULT_READY = 9  # Đã xử lý xong
    RETURNED = 10  # Đã trả kết quả

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    DossierStatus.REGISTERED: _l("Registered"),
    DossierStatus.ACCEPTED: _l("Accepted"),
    DossierStatus.NOT_ACCEPTED: _l("Not accepted"),
    DossierStatus.IN_PROGRESS: _l("In progress"),
    DossierStatus.SUPPLEMENT_REQUESTED: _l("Supplement requested"),
    DossierStatus.PAYMENT_REQUESTED: _l("Payment requested"),
    DossierStatus.WITHDRAWN: _l("Withdrawn by the applicant"),
    DossierStatus.STOPPED: _l("Stopped"),
    DossierStatus.RESULT_READY: _l("Result ready"),
    DossierStatus.RETURNED: _l("Result returned"),
}


class Channel(StrEnum):
    IN_PERSON = "in_person"  # trực tiếp
    POST = "post"  # qua dịch vụ bưu chính công ích
    ONLINE = "online"  # trực tuyến

    @property
    def label(self) -> str:
        return str(CHANNEL_LABELS[self])


CHANNEL_LABELS = {Channel.IN_PERSON: _l("In person"), Channel.POST: _l("By post"), Channel.ONLINE: _l("Online")}


class ApplicantKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Outcome(StrEnum):
    ISSUED = "issued"  # có kết quả (giấy phép, văn bản ...)
    REFUSED = "refused"  # từ chối giải quyết
    WITHDRAWN = "withdrawn"  # công dân rút hồ sơ
    STOPPED = "stopped"  # dừng giải quyết

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {Outcome.ISSUED: _l("Result issued"), Outcome.REFUSED: _l("Refused"),
                  Outcome.WITHDRAWN: _l("Withdrawn"), Outcome.STOPPED: _l("Stopped")}


class Timeliness(StrEnum):
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # trễ hạn

    @property
    def label(self) -> str:
        return str(TIMELINESS_LABELS[self])


TIMELINESS_LABELS = {Timeliness.EARLY: _l("Early"), Timeliness.ON_TIME: _l("On time"), Timeliness.LATE: _l("Late")}


class SupplementPolicy(StrEnum):
    RESTART = "restart"  # the legal default: the limit restarts when the complete dossier arrives
    PAUSE = "pause"  # the clock stops while the applicant completes the dossier, then goes on

    @property
    def label(self) -> str:
        return str(POLICY_LABELS[self])


POLICY_LABELS = {SupplementPolicy.RESTART: _l("The time limit restarts (legal default)"),
                 SupplementPolicy.PAUSE: _l("The clock pauses and the due date moves")}


class Dossier(db.Model):
    """One dossier of an administrative procedure, from receipt to the result handed back."""

    __tablename__ = "dossiers"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # mã hồ sơ, TT 01 Art. 19
    code_is_legacy: Mapped[bool] = mapped_column(default=False)  # accepted with a warning
    # indexed by ix_dossiers_procedure_received (below), which leads with it
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_procedures.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("process_versions.id"), index=True)
    activity_set: Mapped[str] = mapped_column(String(120), default="")  # an observed process without a map
    applicant_name: Mapped[str] = mapped_column(String(300), default="")
    # fold(applicant_name): the list's search ignores diacritics and case (qms.text.fold)
    applicant_key: Mapped[str] = mapped_column(String(300), default="", server_default="")
    applicant_kind: Mapped[ApplicantKind] = mapped_column(enum_column(ApplicantKind), default=ApplicantKind.PERSON)
    applicant_address: Mapped[str] = mapped_column(String(300), default="")
    applicant_phone: Mapped[str] = mapped_column(String(40), default="")
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.IN_PERSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The rules in force at receipt, kept with the dossier.
    convention: Mapped[CountingConvention] = mapped_column(enum_column(CountingConvention))
    timeliness_point: Mapped[TimelinessPoint] = mapped_column(enum_column(TimelinessPoint))
    supplement_policy: Mapped[SupplementPolicy] = mapped_column(enum_column(SupplementPolicy),
                                                                default=SupplementPolicy.RESTART)
    limit_minutes: Mapped[int | None] = mapped_column()  # the version's total, 480 a working day
    original_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Mẫu 01: never moves, for statistics
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # after restarts and pauses
    extended_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Mẫu 04, at most once
    result_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome))
    status: Mapped[int] = mapped_column(default=int(DossierStatus.ACCEPTED), index=True)
    used_units: Mapped[float | None] = mapped_column(Float)  # working time to the measuring point
    timeliness: Mapped[Timeliness | None] = mapped_column(enum_column(Timeliness), index=True)
    source: Mapped[str] = mapped_column(String(20), default="browser")  # browser | import | xes | api
    import_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    procedure = relationship("AdministrativeProcedure", lazy="joined")
    version = relationship("ProcessVersion")
    steps: Mapped[list[StepRun]] = relationship(back_populates="dossier", order_by="StepRun.position",
                                                cascade="all, delete-orphan")
    supplements: Mapped[list[SupplementRequest]] = relationship(back_populates="dossier",
                                                                order_by="SupplementRequest.requested_at",
                                                                cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("status BETWEEN 1 AND 10", name="status_code"),
        CheckConstraint("returned_at IS NULL OR returned_at >= received_at", name="returned_after_receipt"),
        CheckConstraint("result_ready_at IS NULL OR result_ready_at >= received_at", name="ready_after_receipt"),
        CheckConstraint("(status IN (9, 10)) <= (result_ready_at IS NOT NULL)", name="ready_has_time"),
        CheckConstraint("(status = 10) = (returned_at IS NOT NULL)", name="returned_has_time"),
        Index("ix_dossiers_procedure_received", "procedure_id", "received_at"),
    )

    def __str__(self) -> str:
        return self.code

    @validates("applicant_name")
    def _keep_applicant_key(self, _key: str, name: str | None) -> str | None:
        self.applicant_key = fold(name)[:300]
        return name

    @property
    def status_code(self) -> DossierStatus:
        return DossierStatus(self.status)

    @property
    def is_open(self) -> bool:
        return self.status in (DossierStatus.ACCEPTED, DossierStatus.IN_PROGRESS,
                               DossierStatus.SUPPLEMENT_REQUESTED, DossierStatus.PAYMENT_REQUESTED)


class StepRun(db.Model):
    """One step of one dossier: a row of Mẫu 05 with its measured working time."""

    __tablename__ = "step_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of their own: (dossier_id, position) and (step_id, finished_at) lead with them.
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    position: Mapped[int] = mapped_column()
    step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id"))
    step_code: Mapped[str] = mapped_column(String(10), default="")  # B1 …; "" for an observed activity
    activity: Mapped[str] = mapped_column(String(200))  # the step's name, or the event log's activity
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    from_label: Mapped[str] = mapped_column(String(200), default="")  # 1. Giao: …
    to_label: Mapped[str] = mapped_column(String(200), default="")  # 2. Nhận: …
    handler: Mapped[str] = mapped_column(String(200), default="")  # the person who handled it
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # handed over to this step
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # started + allotted, on the calendar
    allotted_units: Mapped[float | None] = mapped_column(Float)
    used_units: Mapped[float | None] = mapped_column(Float)
    result: Mapped[Timeliness | None] = mapped_column(enum_column(Timeliness))
    note: Mapped[str] = mapped_column(Text, default="")
    event_key: Mapped[str] = mapped_column(String(120), default="")  # the source's id: re-imports skip it

    dossier: Mapped[Dossier] = relationship(back_populates="steps")
    unit = relationship("Unit")

    __table_args__ = (
        UniqueConstraint("dossier_id", "position"),
        CheckConstraint("finished_at IS NULL OR finished_at >= started_at", name="finished_after_start"),
        CheckConstraint("(finished_at IS NULL) = (used_units IS NULL)", name="finished_is_measured"),
        Index("ix_step_runs_step_finished", "step_id", "finished_at"),
        Index("uq_step_runs_event_key", "dossier_id", "event_key", unique=True),
    )


class SupplementRequest(db.Model):
    """A supplement request (Mẫu 02) and the wait for the complete dossier: the pause ledger."""

    __tablename__ = "supplement_requests"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the complete dossier arrived
    policy: Mapped[SupplementPolicy] = mapped_column(enum_column(SupplementPolicy))
    paused_units: Mapped[float | None] = mapped_column(Float)

    dossier: Mapped[Dossier] = relationship(back_populates="supplements")

    __table_args__ = (CheckConstraint("completed_at IS NULL OR completed_at >= requested_at",
                                      name="completed_after_request"),)

    def __str__(self) -> str:
        return f"Mẫu 02 {self.requested_at:%d/%m/%Y}"


class Apology(db.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): at most one per dossier, before the due date."""

    __tablename__ = "dossier_apologies"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_by: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (CheckConstraint("new_due_at > issued_at", name="new_date_later"),)

    def __str__(self) -> str:
        return f"Mẫu 04 {self.issued_at:%d/%m/%Y}"
