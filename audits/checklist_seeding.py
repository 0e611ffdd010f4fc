"""Demo checklist and findings of the reported audit ĐGNB-2026-01 (ISO 9001:2008 clause 8.2.2).

The demo audit is already reported when this step runs, so its record is written as it stood then: the
checklist built from its scope with the figures of the year before the audit, every question answered
(the first late step of the postal licence a nonconformity, sampled on its late dossiers), and three
findings acknowledged by the head of BCVT: a minor nonconformity on that step's control slips (4.2.4),
an observation on its time (8.2.3) and a strength of the one-stop shop (7.5.1). Idempotent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from audits.checklist_builder import Period, build_questions
from audits.checklist_models import ChecklistQuestion, Finding, FindingKind, QuestionResult, QuestionSource
from audits.models import Audit
from qms.audit import log as audit_log
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import agency_zone
from qms.users.models import User

CODE = "ĐGNB-2026-01"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=agency_zone())


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def load_checklist_demo(directory, data, password) -> tuple[int, int]:
    """The checklist, answers and findings of the demo's reported audit; returns (created, unchanged)."""
    audit = db.session.scalar(select(Audit).where(Audit.code == CODE))
    lead, member, head = _user("son.ph"), _user("ngoc.vtb"), _user("quang.nv")
    if audit is None or None in (lead, member, head):
        return 0, 0
    if db.session.scalar(select(ChecklistQuestion.id).where(ChecklistQuestion.audit_id == audit.id)) is not None:
        return 0, 1
    with audit_log.acting_as(audit_log.Actor.of_user(lead)):
        drafts = build_questions(clause_codes=audit.clause_codes,
                                 procedures=[r.procedure for r in audit.process_rows if r.procedure is not None],
                                 documents=[r.document for r in audit.process_rows if r.document is not None],
                                 period=Period.year_before(audit.planned_start))
        late = next((d for d in drafts if d.is_flagged and d.step_id is not None), None)
        day1 = audit.planned_start
        questions = []
        for position, draft in enumerate(drafts, start=1):
            result, notes, codes = QuestionResult.CONFORMING, "Phù hợp.", []
            if draft is late:
                result, codes = QuestionResult.NONCONFORMITY, draft.sample_codes[:3]
                notes = ("Các hồ sơ lấy mẫu trễ hạn ở bước này; Phiếu kiểm soát (Mẫu 05) không ghi thời điểm giao, "
                         "nhận khi Trưởng phòng vắng.")
            elif draft.procedure_id and draft.step_id is None:
                result, codes = QuestionResult.OBSERVATION, draft.sample_codes[:2]
                notes = "Hồ sơ trễ hạn đã có Phiếu xin lỗi (Mẫu 04); chưa phân tích nguyên nhân theo bước."
            question = ChecklistQuestion(
                audit_id=audit.id, position=position, clause_code=draft.clause_code,
                source=(QuestionSource.PROCEDURE if draft.procedure_id else
                        QuestionSource.DOCUMENT if draft.document_id else QuestionSource.CLAUSE),
                procedure_id=draft.procedure_id, step_id=draft.step_id, document_id=draft.document_id,
                text=draft.text, guidance=draft.guidance, evidence_hint=draft.evidence_hint,
                is_flagged=draft.is_flagged, result=result, notes=notes, sampled_codes="\n".join(codes),
                answered_by_id=(member if position % 2 else lead).id, answered_at=_at(day1, 9 + position % 7),
                created_by_id=lead.id, created_at=_at(day1 - timedelta(days=7), 9))
            db.session.add(question)
            questions.append(question)
        db.session.flush()
        _findings(audit, questions, lead, head)
    db.session.flush()
    return len(questions) + 3, 0


def _findings(audit: Audit, questions: list[ChecklistQuestion], lead: User, head: User) -> None:
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    late = next((q for q in questions if q.result == QuestionResult.NONCONFORMITY), None)
    timing = next((q for q in questions if q.result == QuestionResult.OBSERVATION), None)
    day2 = audit.planned_end
    sampled = ", ".join(late.sampled) if late is not None else ""
    step = f"bước {late.step.code} ({late.step.name})" if late is not None and late.step is not None else "bước thẩm định"
    rows = [
        (FindingKind.MINOR_NC, "4.2.4", "BCVT", late,
         f"Phiếu kiểm soát quá trình (Mẫu 05) của hồ sơ lấy mẫu không ghi thời điểm giao, nhận ở {step}.",
         f"Hồ sơ {sampled}." if sampled else "Hồ sơ lấy mẫu năm 2026.",
         "TCVN ISO 9001:2008 điều 4.2.4; QT-BC-01 mục 5; Thông tư 01/2018/TT-VPCP Mẫu 05."),
        (FindingKind.OBSERVATION, "8.2.3", "BCVT", timing,
         f"Tỷ lệ hồ sơ trễ hạn ở {step} cao; chưa phân tích nguyên nhân để có hành động phòng ngừa.",
         timing.evidence_hint if timing is not None else "", "TCVN ISO 9001:2008 điều 8.2.3."),
        (FindingKind.STRENGTH, "7.5.1", "BPMC", None,
         "Bộ phận Một cửa tiếp nhận, trả kết quả đúng quy trình; Sổ theo dõi hồ sơ (Mẫu 06) đầy đủ, rõ ràng.",
         "Sổ theo dõi hồ sơ tháng 5 và tháng 6/2026.", ""),
    ]
    for number, (kind, clause, unit, question, statement, evidence, requirement) in enumerate(rows, start=1):
        if unit not in units:
            continue
        db.session.add(Finding(
            audit_id=audit.id, number=number, question_id=question.id if question else None, kind=kind,
            clause_code=clause, unit_id=units[unit], procedure_id=question.procedure_id if question else None,
            statement=statement, evidence=evidence, requirement=requirement, created_by_id=lead.id,
            created_at=_at(day2, 9 + number), acknowledged_by_id=head.id, acknowledged_at=_at(day2, 15),
            auditee_comment="Phòng BC-VT thống nhất; sẽ lập phiếu hành động khắc phục." if kind.is_nonconformity
            else ""))
