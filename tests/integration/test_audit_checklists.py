"""Checklists of internal audits (issue 6): building from the scope and templates, answering, sampled codes,
attachments, findings and their acknowledgement, report readiness."""

import io

import pytest
from werkzeug.datastructures import FileStorage

from audits import checklist_services as checklists
from audits import findings_services as findings
from audits import report_services as reports
from audits.checklist_models import ChecklistQuestion, Finding, QuestionResult, QuestionSource
from audits.checklist_permissions import can_acknowledge, can_work_on
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from tests.checklist_samples import MAY_JUNE, as_user, audit_world, running_audit
from tests.process_samples import unit
from tests.sample_files import docx_bytes


@pytest.fixture
def people(ctx, make_user):
    return audit_world(make_user)


@pytest.fixture
def audit(people):
    return running_audit(people)


def built(audit, people, **kwargs):
    lead = people["auditor_senior"]
    with as_user(lead):
        added = checklists.build_checklist(audit, actor=lead, period=MAY_JUNE, **kwargs)
        db.session.commit()
    return added


def step_question(audit, code: str) -> ChecklistQuestion:
    return next(q for q in checklists.questions_of(audit) if q.step is not None and q.step.code == code)


def test_built_from_clauses_and_the_procedures_steps_with_their_late_steps_first(audit, people):
    added = built(audit, people)
    sources = [q.source for q in added]
    assert sources.count(QuestionSource.CLAUSE) == 4  # 7.5: three questions; 8.2.3: one
    procedure_questions = [q for q in added if q.source == QuestionSource.PROCEDURE]
    assert len(procedure_questions) == 8  # the procedure's figures, then its seven steps
    assert [q.step.code for q in procedure_questions[1:3]] == ["B3", "B5"] and procedure_questions[1].is_flagged
    assert "D5, D4" in procedure_questions[1].evidence_hint
    assert [q.position for q in added] == list(range(1, len(added) + 1))
    assert built(audit, people) == []  # building again adds nothing twice


def test_templates_add_their_questions_and_a_retired_one_is_refused(audit, people):
    secretary = people["secretary"]
    with as_user(secretary):
        template = checklists.create_template(actor=secretary, name="Kiểm soát hồ sơ")
        checklists.add_template_question(template, actor=secretary, clause_code="4.2.4",
                                         text="Hồ sơ có được lưu đúng nơi quy định không?")
        with pytest.raises(DomainError, match="9.9"):
            checklists.add_template_question(template, actor=secretary, clause_code="9.9", text="?")
        with pytest.raises(Conflict):
            checklists.create_template(actor=secretary, name="Kiểm soát hồ sơ")
        db.session.commit()
    added = built(audit, people, template_ids=[template.id])
    assert [q.text for q in added if q.source == QuestionSource.TEMPLATE] == ["Hồ sơ có được lưu đúng nơi quy định không?"]
    with as_user(secretary):
        checklists.set_template_active(template, False, actor=secretary)
    with pytest.raises(Conflict):
        built(audit, people, template_ids=[template.id])
    specialist = people["specialist"]
    with pytest.raises(Forbidden):
        checklists.create_template(actor=specialist, name="Khác")


def test_questions_by_hand_need_a_clause_of_the_standard_and_the_team(audit, people):
    lead, outsider = people["auditor_senior"], people["outsider"]
    with as_user(lead):
        question = checklists.add_question(audit, actor=lead, clause_code="7.5.3", text="Mã hồ sơ có trên Mẫu 05?")
        assert question.source == QuestionSource.MANUAL and question.position == 1
        with pytest.raises(DomainError, match="10.1"):
            checklists.add_question(audit, actor=lead, clause_code="10.1", text="x")
        with pytest.raises(DomainError):
            checklists.add_question(audit, actor=lead, clause_code="7.5", text="  ")
    with pytest.raises(Forbidden):
        checklists.add_question(audit, actor=outsider, clause_code="7.5", text="x")


def test_answers_record_result_notes_and_known_sampled_codes(audit, people):
    built(audit, people)
    member = people["auditor_vp"]
    b3 = step_question(audit, "B3")
    with as_user(member):
        with pytest.raises(DomainError) as refused:
            checklists.answer_question(b3, actor=member, result="nonconformity", notes="Trễ 6 ngày",
                                       sampled_codes="D5, X-404\nD4 Y-405")
        assert refused.value.field == "sampled_codes" and "X-404, Y-405" in refused.value.message
        with pytest.raises(DomainError) as refused:
            checklists.answer_question(b3, actor=member, result="nonconformity", notes="", sampled_codes="D5")
        assert refused.value.field == "notes"
        with pytest.raises(DomainError):
            checklists.answer_question(b3, actor=member, result="maybe")
        checklists.answer_question(b3, actor=member, result="nonconformity", notes="D5 trễ 6 ngày ở B3",
                                   sampled_codes="D5, D4\nD5")
        db.session.commit()
    assert (b3.result, b3.sampled, b3.answered_by_id) == (QuestionResult.NONCONFORMITY, ["D5", "D4"], member.id)
    assert b3.answered_at is not None
    with as_user(member):
        checklists.answer_question(b3, actor=member, result="", notes="xem lại")
    assert b3.result is None and b3.answered_at is None and b3.answered_by_id is None


@pytest.mark.parametrize("who", ["outsider", "head", "secretary"])
def test_only_the_team_answers(audit, people, who):
    built(audit, people)
    question = step_question(audit, "B3")
    assert not can_work_on(people[who], audit)
    with pytest.raises(Forbidden):
        checklists.answer_question(question, actor=people[who], result="conforming")


def test_answers_wait_for_the_audit_to_start(people):
    audit = running_audit(people, start=False)
    lead = people["auditor_senior"]
    with as_user(lead):
        checklists.build_checklist(audit, actor=lead, period=MAY_JUNE)  # prepared before the audit
        question = checklists.questions_of(audit)[0]
        with pytest.raises(Conflict):
            checklists.answer_question(question, actor=lead, result="conforming")


def test_attachments_are_checked_by_content(audit, people):
    built(audit, people)
    lead = people["auditor_senior"]
    question = step_question(audit, "B3")
    with as_user(lead):
        attached = checklists.attach_evidence(question, FileStorage(io.BytesIO(docx_bytes()), "phieu-05.docx"),
                                              actor=lead)
        with pytest.raises(Conflict):
            checklists.attach_evidence(question, FileStorage(io.BytesIO(docx_bytes()), "again.docx"), actor=lead)
        with pytest.raises(DomainError, match="MZ"):
            checklists.attach_evidence(question, FileStorage(io.BytesIO(b"MZ\x90\x00" * 10), "anh.png"), actor=lead)
        db.session.commit()
        assert [a.filename for a in question.attachments] == ["phieu-05.docx"]
        checklists.detach_evidence(question, attached, actor=lead)
    assert question.attachments == []


def test_a_finding_from_a_question_is_prefilled_numbered_and_acknowledged_by_the_auditee(audit, people):
    built(audit, people)
    lead, head, outsider = people["auditor_senior"], people["head"], people["outsider"]
    b3 = step_question(audit, "B3")
    with as_user(lead):
        checklists.answer_question(b3, actor=lead, result="nonconformity", notes="D5 trễ 6 ngày", sampled_codes="D5")
        values = findings.finding_defaults(audit, b3)
        assert values["kind"] == "minor_nc" and values["clause_code"] == "7.5" and values["unit_id"] == unit("BCVT")
        assert values["procedure_id"] == people["procedure"].id and "D5" in values["evidence"]
        first = findings.record_finding(audit, {**values, "statement": "Hồ sơ D5 trễ hạn ở bước B3"}, actor=lead,
                                        question=b3)
        second = findings.record_finding(audit, {"kind": "strength", "clause_code": "7.5.3", "unit_id": unit("BCVT"),
                                                 "statement": "Mẫu 05 ghi đầy đủ"}, actor=lead)
        db.session.commit()
    assert (first.number, first.reference, second.reference) == (1, "NC-01", "DM-02")
    assert not can_acknowledge(lead, audit, first) and not can_acknowledge(outsider, audit, first)
    with pytest.raises(Forbidden):
        findings.acknowledge_finding(audit, first, actor=outsider)
    with as_user(head):
        findings.acknowledge_finding(audit, first, actor=head, comment="Đồng ý, sẽ khắc phục")
        db.session.commit()
    assert first.acknowledged_by_id == head.id and first.auditee_comment == "Đồng ý, sẽ khắc phục"
    with pytest.raises(Conflict):
        findings.acknowledge_finding(audit, first, actor=head)
    with pytest.raises(Conflict):
        findings.withdraw_finding(audit, first, actor=lead)
    assert [kind.value for kind, n in findings.counts_by_kind(findings.findings_of(audit)).items() if n] == \
        ["minor_nc", "strength"]


def test_the_head_of_the_findings_unit_may_acknowledge_though_not_an_auditee(audit, people, make_user):
    lead = people["auditor_senior"]
    from qms.users.models import User

    other_head = db.session.get(User, make_user("unit_head", username="bcvt.pho", unit_id=unit("BCVT")))
    with as_user(lead):
        finding = findings.record_finding(audit, {"kind": "observation", "clause_code": "7.5", "unit_id": unit("BCVT"),
                                                  "statement": "Chưa ghi giờ nhận"}, actor=lead)
    assert can_acknowledge(other_head, audit, finding)
    specialist = people["specialist"]  # not a head, not an auditee
    assert not can_acknowledge(specialist, audit, finding)


def test_finding_rules(audit, people):
    lead = people["auditor_senior"]
    base = {"kind": "minor_nc", "clause_code": "7.5", "unit_id": unit("BCVT"), "statement": "x", "evidence": "D5"}
    with as_user(lead):
        for change, field in (({"kind": "big"}, "kind"), ({"clause_code": "3.1"}, "clause_code"),
                              ({"unit_id": unit("VP")}, "unit_id"), ({"statement": " "}, "statement"),
                              ({"evidence": ""}, "evidence")):
            with pytest.raises(DomainError) as refused:
                findings.record_finding(audit, {**base, **change}, actor=lead)
            assert refused.value.field == field
    with pytest.raises(Forbidden):
        findings.record_finding(audit, base, actor=people["outsider"])


def test_report_ready_needs_summary_conclusion_and_every_question_answered(audit, people):
    lead, member = people["auditor_senior"], people["auditor_vp"]
    with as_user(lead):
        question = checklists.add_question(audit, actor=lead, clause_code="7.5", text="Câu hỏi")
    assert not reports.report_ready(audit) and len(reports.report_gaps(audit)) == 3
    with pytest.raises(Forbidden):
        reports.write_report(audit, actor=member, summary="x", conclusion="y")
    with as_user(lead):
        reports.write_report(audit, actor=lead, summary="Tóm tắt", conclusion="Kết luận")
    assert not reports.report_ready(audit) and len(reports.report_gaps(audit)) == 1
    with as_user(lead):
        checklists.answer_question(question, actor=lead, result="not_applicable")
    assert reports.report_ready(audit)
    import audits

    assert audits.report_ready(audit)
    db.session.commit()


def test_the_database_refuses_an_answer_without_who_and_when(audit, people):
    from sqlalchemy.exc import IntegrityError

    db.session.add(ChecklistQuestion(audit_id=audit.id, position=99, clause_code="7.5", text="x",
                                     result=QuestionResult.CONFORMING))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Finding(audit_id=audit.id, number=1, kind="minor_nc", clause_code="7.5", unit_id=unit("BCVT"),
                           statement="x", acknowledged_by_id=people["head"].id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
