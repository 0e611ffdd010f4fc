"""Checklists, answers and findings of internal audits (ISO 9001:2008 clause 8.2.2, records of 4.2.4).

A checklist template is a reusable list of questions by clause. An audit's checklist is built once
from its scope and the chosen templates, and questions are added by hand; each question keeps the
evidence known when it was built (text, so the checklist stays a record), then its result, notes,
attachments and the dossier codes the auditor sampled. A finding (major or minor nonconformity,
observation, strength) names its clause, unit, process and evidence, and the auditee acknowledges it.
The database refuses the impossible: an answer without who and when, an acknowledgement without its
time, a finding number used twice in an audit.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.dbtypes import UTCDateTime, enum_column
from qms.extensions import db
from qms.timeutil import utcnow

# Templates ---------------------------------------------------------------------------------------------


class ChecklistTemplate(db.Model):
    """A reusable list of audit questions (e.g. "Kiểm soát tài liệu và hồ sơ")."""

    __tablename__ = "checklist_templates"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    questions: Mapped[list[ChecklistTemplateQuestion]] = relationship(
        back_populates="template", order_by="ChecklistTemplateQuestion.position", cascade="all, delete-orphan",
        lazy="selectin")

    def __str__(self) -> str:
        return self.name


class ChecklistTemplateQuestion(db.Model):
    __tablename__ = "checklist_template_questions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    clause_code: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")

    template: Mapped[ChecklistTemplate] = relationship(back_populates="questions")

    __table_args__ = (UniqueConstraint("template_id", "position"),
                      CheckConstraint("length(text) > 0", name="text_not_empty"))


# An audit's checklist ------------------------------------------------------------------------------------


class QuestionSource(StrEnum):
    CLAUSE = "clause"  # the standard's requirement, from the clauses in scope
    PROCEDURE = "procedure"  # a TTHC in scope: its timing and its steps
    DOCUMENT = "document"  # a QMS procedure (QT-xx) in scope
    TEMPLATE = "template"
    MANUAL = "manual"  # added by hand


class QuestionResult(StrEnum):
    CONFORMING = "conforming"  # phù hợp
    NONCONFORMITY = "nonconformity"  # không phù hợp
    OBSERVATION = "observation"  # điểm lưu ý
    NOT_APPLICABLE = "not_applicable"  # không áp dụng

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self])


RESULT_LABELS = {
    QuestionResult.CONFORMING: _l("Conforming"),
    QuestionResult.NONCONFORMITY: _l("Nonconformity"),
    QuestionResult.OBSERVATION: _l("Observation"),
    QuestionResult.NOT_APPLICABLE: _l("Not applicable"),
}


class ChecklistQuestion(db.Model):
    """One question of an audit's checklist, with the evidence at hand and, once asked, its answer."""

    __tablename__ = "checklist_questions"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    position: Mapped[int] = mapped_column()
    source: Mapped[QuestionSource] = mapped_column(enum_column(QuestionSource), default=QuestionSource.MANUAL)
    clause_code: Mapped[str] = mapped_column(String(10))
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_procedures.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("process_steps.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_templates.id"))
    text: Mapped[str] = mapped_column(Text)
    guidance: Mapped[str] = mapped_column(Text, default="")
    evidence_hint: Mapped[str] = mapped_column(Text, default="")  # the figures when built, kept as text
    is_flagged: Mapped[bool] = mapped_column(default=False)  # a late step: look here first
    result: Mapped[QuestionResult | None] = mapped_column(enum_column(QuestionResult))
    notes: Mapped[str] = mapped_column(Text, default="")  # evidence notes
    sampled_codes: Mapped[str] = mapped_column(Text, default="")  # dossier codes, one per line
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure = relationship("AdministrativeProcedure", lazy="joined")
    step = relationship("ProcessStep", lazy="joined")
    document = relationship("Document", lazy="joined")
    answered_by = relationship("User", foreign_keys=[answered_by_id], lazy="joined")
    attachments: Mapped[list[ChecklistAttachment]] = relationship(
        back_populates="question", order_by="ChecklistAttachment.id", cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("audit_id", "position"),
        CheckConstraint("length(text) > 0", name="text_not_empty"),
        CheckConstraint("(result IS NULL) = (answered_at IS NULL) AND (result IS NULL) = (answered_by_id IS NULL)",
                        name="answer_has_who_and_when"),
        CheckConstraint("step_id IS NULL OR procedure_id IS NOT NULL", name="step_has_procedure"),
    )

    @property
    def sampled(self) -> list[str]:
        return [code for code in self.sampled_codes.split("\n") if code]

    @property
    def process_label(self) -> str:
        if self.procedure is not None:
            return self.procedure.code
        return self.document.code if self.document is not None else ""


class ChecklistAttachment(db.Model):
    """A file of evidence attached to a question (a photo, a scanned slip), checked by content."""

    __tablename__ = "checklist_attachments"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("checklist_questions.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file = relationship("StoredFile", lazy="joined")
    question: Mapped[ChecklistQuestion] = relationship(back_populates="attachments")

    __table_args__ = (UniqueConstraint("question_id", "file_id"),)

    def __str__(self) -> str:
        return self.filename


# Findings -------------------------------------------------------------------------------------------------


class FindingKind(StrEnum):
    MAJOR_NC = "major_nc"  # điểm không phù hợp nặng
    MINOR_NC = "minor_nc"  # điểm không phù hợp nhẹ
    OBSERVATION = "observation"  # điểm lưu ý
    STRENGTH = "strength"  # điểm mạnh

    @property
    def label(self) -> str:
        return str(FINDING_KIND_LABELS[self])

    @property
    def prefix(self) -> str:
        return {"major_nc": "NC", "minor_nc": "NC", "observation": "LY", "strength": "DM"}[self.value]

    @property
    def is_nonconformity(self) -> bool:
        return self in (FindingKind.MAJOR_NC, FindingKind.MINOR_NC)


FINDING_KIND_LABELS = {
    FindingKind.MAJOR_NC: _l("Major nonconformity"),
    FindingKind.MINOR_NC: _l("Minor nonconformity"),
    FindingKind.OBSERVATION: _l("Observation"),
    FindingKind.STRENGTH: _l("Strength"),
}


class Finding(db.Model):
    """A finding of an audit, numbered within it, acknowledged by the auditee."""

    __tablename__ = "audit_findings"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id"), index=True)
    number: Mapped[int] = mapped_column()
    question_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_questions.id"), index=True)
    kind: Mapped[FindingKind] = mapped_column(enum_column(FindingKind))
    clause_code: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("administrative_procedures.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    statement: Mapped[str] = mapped_column(Text)  # what was found
    evidence: Mapped[str] = mapped_column(Text, default="")  # bằng chứng: dossier codes, records seen
    requirement: Mapped[str] = mapped_column(Text, default="")  # the requirement not met (or met well)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auditee_comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit = relationship("Unit", lazy="joined")
    procedure = relationship("AdministrativeProcedure", lazy="joined")
    document = relationship("Document", lazy="joined")
    question: Mapped[ChecklistQuestion | None] = relationship(lazy="joined")
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id], lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")

    __table_args__ = (
        UniqueConstraint("audit_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("length(statement) > 0", name="statement_not_empty"),
        CheckConstraint("(acknowledged_by_id IS NULL) = (acknowledged_at IS NULL)", name="acknowledged_has_time"),
    )

    @property
    def reference(self) -> str:
        """"NC-01", "LY-02", "DM-03": how the report and the auditee cite it."""
        return f"{self.kind.prefix}-{self.number:02d}"

    @property
    def process_label(self) -> str:
        if self.procedure is not None:
            return f"{self.procedure.code} {self.procedure.name}"
        return f"{self.document.code} {self.document.title}" if self.document is not None else ""

    def __str__(self) -> str:
        return f"{self.reference} {self.statement[:60]}"
