"""Process versions ride on document revisions: drafted, signed, put into force and superseded with them;
their times must add up; the version in force at any instant is known; signed maps never change (issue 4)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from processes import queries, services
from processes.models import AdministrativeProcedure, BranchKind, ProcessStep, ProcessVersion, TimeUnit
from qms.audit import log as audit
from qms.documents import services as documents
from qms.documents.guards import SignedContentError
from qms.documents.models import RevisionState
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.signatures.models import Signature
from tests.conftest import DEMO_PASSWORD as PW
from tests.process_samples import T0, approve, draft_first_version, new_procedure, setup_people, steps_20_days



@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


def test_first_version_creates_the_procedure_document_and_follows_its_workflow(people):
    procedure, version = draft_first_version(people)
    assert procedure.document.code.startswith("QT")
    assert procedure.document.title == "Quy trình cấp giấy phép bưu chính (phạm vi nội tỉnh)"
    assert [s.code for s in version.steps] == ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]
    assert version.total_minutes == 20 * 480
    assert [b.kind for b in version.branches] == [BranchKind.SUPPLEMENT, BranchKind.REFUSAL, BranchKind.CONSULTATION]
    approve(people, version, at=T0)
    assert version.revision.state == RevisionState.EFFECTIVE
    assert queries.version_in_force(procedure.id, T0 + timedelta(days=1)).id == version.id
    assert queries.version_in_force(procedure.id, T0 - timedelta(days=1)) is None


def test_the_map_is_part_of_what_is_signed(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=T0)
    content = documents.revision_content(version.revision)
    assert content["process"]["steps"][2][:2] == ["B3", "Thẩm định hồ sơ"]
    approval = db.session.scalar(select(Signature).where(Signature.subject_id == version.revision.id,
                                                         Signature.meaning == "approved"))
    assert approval.content_sha256 == documents.revision_hash(version.revision)


def test_times_that_do_not_add_up_are_refused_with_the_difference_and_the_steps(people):
    steps = steps_20_days()
    steps[2]["amount"] = "13,5"
    procedure, version = draft_first_version(people, steps)
    with pytest.raises(DomainError) as error:
        approve(people, version, at=T0)
    message = error.value.message
    assert "0,5" in message and "B3" in message
    db.session.rollback()
    assert version.revision.state == RevisionState.DRAFT


def test_exceeding_the_legal_limit_names_the_step_where_it_is_passed(people):
    steps = steps_20_days()
    steps[4]["amount"] = "3"
    procedure, version = draft_first_version(people, steps)
    problems = services.time_problems(version)
    assert any("B7" in p for p in problems)  # 20.5 days: passed at the last step


def test_committed_limit_is_the_target_and_never_above_the_legal_one(people):
    procedure = new_procedure(people, code="1.000001", committed_limit="14", committed_limit_unit="working_days")
    assert procedure.target_minutes == 14 * 480
    with pytest.raises(DomainError):
        services.update_procedure(procedure, {"committed_limit": "21"}, actor=people["secretary"])
    db.session.rollback()


def test_mixing_calendar_days_with_working_time_is_refused(people):
    steps = steps_20_days()
    steps[0]["unit"] = "calendar_days"
    procedure, version = draft_first_version(people, steps)
    assert any("B1" in p for p in services.time_problems(version))


@pytest.mark.parametrize("row, fragment", [
    ({"code": "X", "name": "Tiếp nhận", "unit_id": None, "performer": "BP", "amount": "1"}, "X"),
    ({"code": "B1", "name": "", "performer": "BP", "amount": "1"}, "1"),
    ({"code": "B1", "name": "Tiếp nhận", "amount": "1"}, "1"),
    ({"code": "B1", "name": "Tiếp nhận", "performer": "BP", "amount": "0,3"}, "0,3"),
    ({"code": "B1", "name": "Tiếp nhận", "performer": "BP", "amount": "-1"}, "-1"),
])
def test_bad_step_rows_are_refused_naming_the_row(people, row, fragment):
    procedure, version = draft_first_version(people)
    before = [(s.code, s.allotted_minutes) for s in version.steps]
    with pytest.raises(DomainError) as error:
        services.replace_steps(version, [row], actor=people["specialist"])
    assert fragment in error.value.message
    db.session.rollback()
    db.session.expire_all()
    assert [(s.code, s.allotted_minutes) for s in version.steps] == before


def test_branch_to_an_unknown_step_is_refused(people):
    procedure, version = draft_first_version(people)
    with pytest.raises(DomainError) as error:
        services.replace_steps(version, steps_20_days(), [{"kind": "supplement", "from_step": "B9"}],
                               actor=people["specialist"])
    assert "B9" in error.value.message


def test_a_new_version_copies_the_map_supersedes_the_old_one_and_answers_by_date(people):
    procedure, first = draft_first_version(people)
    approve(people, first, at=T0)
    with audit.acting_as(audit.Actor.of_user(people["secretary"])):
        services.update_procedure(procedure, {"committed_limit": "14", "committed_limit_unit": "working_days"},
                                  actor=people["secretary"])
        second = services.start_version(procedure, actor=people["specialist"], now=T0 + timedelta(days=30),
                                        values={"change_summary": "Rút ngắn thời gian thẩm định"})
        db.session.commit()
    assert second.version_no == 2 and second.revision.revision_no == 1
    assert [s.code for s in second.steps] == [s.code for s in first.steps]
    assert len(second.branches) == 3
    rows = [{"code": s.code, "name": s.name, "unit_id": s.unit_id, "performer": s.performer, "kind": s.kind,
             "minutes": s.allotted_minutes, "unit": s.allotted_unit, "output": s.output} for s in second.steps]
    rows[2]["minutes"] = 8 * 480  # B3: 14 → 8 days: 20 → 14
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):
        services.replace_steps(second, rows, [{"kind": "supplement", "from_step": "B1", "to_step": "B1"}],
                               actor=people["specialist"])
        db.session.commit()
    approve(people, second, at=T0 + timedelta(days=40))
    db.session.refresh(first.revision)
    assert first.revision.state == RevisionState.SUPERSEDED
    assert queries.version_in_force(procedure.id, T0 + timedelta(days=10)).id == first.id
    assert queries.version_in_force(procedure.id, T0 + timedelta(days=41)).id == second.id
    assert queries.version_in_force_on(procedure.id, date(2026, 3, 5)).id == first.id
    comparison = queries.compare_versions(first, second)
    changed = {c.code: c for c in comparison.steps}
    assert changed["B3"].status == "changed" and changed["B3"].changed == ["time"]
    assert comparison.counts == {"added": 0, "removed": 0, "changed": 1, "same": 6}


def test_approval_is_refused_when_the_limit_changed_after_submission(people):
    procedure, version = draft_first_version(people)
    revision = version.revision
    with audit.acting_as(audit.Actor.of_user(people["specialist"])):
        documents.update_draft(revision, {}, [{"key": "content", "title": "Nội dung", "body_html": "<p>x</p>"}],
                               actor=people["specialist"])
        documents.submit_revision(revision, actor=people["specialist"], password=PW, now=T0)
        documents.review_revision(revision, actor=people["head"], password=PW, now=T0)
        services.update_procedure(procedure, {"committed_limit": "15"}, actor=people["secretary"])
    with pytest.raises(DomainError) as error:
        documents.approve_revision(revision, actor=people["director"], password=PW, now=T0)
    assert "15" in error.value.message


def test_a_signed_map_cannot_change_by_any_path(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=T0)
    with pytest.raises(Conflict):
        services.replace_steps(version, steps_20_days(), actor=people["secretary"])
    step = version.steps[0]
    step.allotted_minutes = 1
    with pytest.raises(SignedContentError):
        db.session.flush()
    db.session.rollback()
    db.session.add(ProcessStep(version_id=version.id, position=99, code="B99", name="Lén thêm", performer="x",
                               allotted_minutes=0, allotted_unit=TimeUnit.WORKING_DAYS))
    with pytest.raises(SignedContentError):
        db.session.flush()
    db.session.rollback()


def test_only_the_secretary_keeps_the_catalogue_and_only_drafters_start_versions(people):
    with pytest.raises(Forbidden):
        services.create_procedure({"code": "1.1", "name": "x", "field": "y", "legal_limit": "1",
                                   "legal_limit_unit": "working_days"}, actor=people["specialist"])
    procedure = new_procedure(people)
    with pytest.raises(Forbidden):
        services.start_version(procedure, actor=people["officer"])


def test_duplicate_procedure_code_is_refused(people):
    new_procedure(people)
    with pytest.raises(Conflict):
        new_procedure(people)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(AdministrativeProcedure.id))) == 1


def test_an_abolished_procedure_gets_no_new_version(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=T0)
    services.abolish_procedure(procedure, actor=people["secretary"], on=date(2026, 6, 1), reason="QĐ bãi bỏ")
    with pytest.raises(Conflict):
        services.start_version(procedure, actor=people["specialist"])
    assert db.session.scalar(select(db.func.count(ProcessVersion.id))) == 1


def test_a_draft_follows_the_catalogue_limit_at_once(people):
    procedure, version = draft_first_version(people)
    services.update_procedure(procedure, {"committed_limit": "14", "committed_limit_unit": "working_days"},
                              actor=people["secretary"])
    assert (version.limit_minutes, version.limit_unit) == (14 * 480, TimeUnit.WORKING_DAYS)
    assert any("6" in p for p in services.time_problems(version))  # 20 days of steps, 6 too many
