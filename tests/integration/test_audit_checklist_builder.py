"""The checklist builder (issue 6): clause questions, a TTHC's steps with their measured figures, a QT's records.

The measured sample (``tests.analysis_samples``): B3 of the postal licence (14 working days) ran 10, 12,
14, 16 and 20 days in May and June 2024, D4 and D5 late; B5 (2 days) ran 1 and 3 days, D5 late.
"""

from datetime import date

import pytest
from flask_babel import force_locale

from audits.checklist_builder import Period, build_questions, document_questions, table_rows
from audits.checklist_questions import CLAUSE_QUESTIONS, questions_for
from qms.documents.models import SectionKey
from tests.analysis_samples import add_sample_dossiers, local
from tests.process_samples import approve, draft_first_version, setup_people

MAY_JUNE = Period(date(2024, 5, 1), date(2024, 6, 30))


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def measured(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    add_sample_dossiers(version)
    return procedure


def test_clause_questions_fall_back_to_children_then_parents(ctx):
    assert [text for _code, text, _where in questions_for("4.2.3")] == [q for q, _w in CLAUSE_QUESTIONS["4.2.3"]]
    assert {code for code, _text, _where in questions_for("7.5.3")} == {"7.5.3"}  # the parent's, asked under 7.5.3
    assert [code for code, _text, _where in questions_for("8.2")] == ["8.2.1", "8.2.2", "8.2.2", "8.2.3", "8.2.4"]
    assert questions_for("9.1") == []
    questions = build_questions(clause_codes=["8.2.2", "4.2.3", "9.9"], period=MAY_JUNE)
    assert [q.clause_code for q in questions] == ["4.2.3"] * 3 + ["8.2.2"] * 2 + ["9.9"]
    assert questions[-1].text == "Yêu cầu của điều khoản 9.9 có được đáp ứng không?"


def test_steps_become_questions_late_steps_first_with_figures_and_dossiers_to_sample(measured):
    questions = build_questions(procedures=[measured], period=MAY_JUNE)
    head, *steps = questions
    assert head.clause_code == "8.2.3" and head.is_flagged and head.procedure_id == measured.id
    assert "1.004470" in head.text
    assert "Hồ sơ đã đo 01/05/2024–30/06/2024: 5, 60,0 % sớm hoặc đúng hạn, 2 trễ hạn." in head.evidence_hint
    assert head.sample_codes == ["D5", "D4"]  # the most overdue first
    assert "B3 (2 trễ hạn), B5 (1 trễ hạn)" in head.evidence_hint
    # B3 (40 % late) and B5 (50 % late, but 1 run) are flagged, the most late runs first; then the map order
    assert [q.text.split(" –")[0] for q in steps] == ["Bước B3", "Bước B5", "Bước B1", "Bước B2", "Bước B4",
                                                        "Bước B6", "Bước B7"]
    assert [q.is_flagged for q in steps] == [True, True] + [False] * 5
    b3 = steps[0]
    assert b3.text.startswith("Bước B3 – Thẩm định hồ sơ (Phòng Bưu chính – Viễn thông), thời gian quy định "
                              "14 ngày làm việc:")
    assert b3.clause_code == "7.5" and b3.step_id is not None
    assert ("5 lượt, 60,0 % sớm hoặc đúng hạn, 2 trễ hạn; trung vị 14,0 và phân vị 90 là 18,4 ngày làm việc "
            "so với 14,0 ngày quy định") in b3.evidence_hint
    assert b3.sample_codes == ["D5", "D4"] and "D5, D4" in b3.evidence_hint
    b2 = steps[3]
    assert not b2.sample_codes and "Không có lượt xử lý" in b2.evidence_hint


def test_the_period_bounds_the_evidence(measured):
    may = Period(date(2024, 5, 1), date(2024, 5, 31))
    head, *steps = build_questions(procedures=[measured], period=may)
    assert not head.is_flagged and head.sample_codes == []
    assert not any(q.is_flagged for q in steps)


def test_english_when_asked(measured):
    head, b3, *_rest = build_questions(procedures=[measured], period=MAY_JUNE, locale="en")
    assert b3.text.startswith("Step B3 – Thẩm định hồ sơ")
    assert "Late dossiers to sample: D5, D4." in b3.evidence_hint


def test_a_qms_procedure_gives_its_forms_and_each_record_to_keep(measured):
    document = measured.document
    revision = document.effective_revision
    revision.sections.append(type(revision.sections[0])(
        key=SectionKey.RECORDS, position=9, title="Hồ sơ cần lưu",
        body_html="<table><tr><th>TT</th><th>Tên hồ sơ</th><th>Nơi lưu</th><th>Thời gian lưu</th></tr>"
                  "<tr><td>1</td><td>Phiếu kiểm soát (Mẫu 05)</td><td>Phòng BC-VT</td><td>5 năm</td></tr>"
                  "<tr><td>2</td><td>Giấy phép đã cấp</td><td>Văn thư</td><td>Vĩnh viễn</td></tr></table>"))
    with force_locale("vi"):
        questions = document_questions(document)
    assert [q.clause_code for q in questions] == ["4.2.3", "4.2.4", "4.2.4"]
    assert "Phiếu kiểm soát (Mẫu 05)" in questions[1].text and questions[1].guidance == "Phòng BC-VT · 5 năm"
    assert all(q.document_id == document.id for q in questions)


def test_table_rows_drop_the_header_and_the_number_cell():
    html = "<table><tr><td>TT</td><td>Tên</td></tr><tr><td>1.</td><td>A <b>b</b></td></tr></table><p>x</p>"
    assert table_rows(html) == [["A b"]]
    assert table_rows("<p>none</p>") == []
