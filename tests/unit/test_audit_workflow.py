"""Every (state, action) pair of the audit and programme transition tables, and the clause catalogue."""

from __future__ import annotations

import pytest

from audits import clauses
from audits.models import AuditStatus, ProgrammeStatus
from audits.permissions import AuditorFacts, ProcessFacts, RevisionPeople, UnitFacts, independence_issues, may_lead
from audits.workflow import (Action, InvalidTransition, ProgrammeAction, next_programme_state, next_state)

EXPECTED = {
    (Action.NOTIFY, AuditStatus.PLANNED): AuditStatus.NOTIFIED,
    (Action.START, AuditStatus.NOTIFIED): AuditStatus.IN_PROGRESS,
    (Action.REPORT, AuditStatus.IN_PROGRESS): AuditStatus.REPORTED,
    (Action.CLOSE, AuditStatus.REPORTED): AuditStatus.CLOSED,
}
EXPECTED_PROGRAMME = {
    (ProgrammeAction.SUBMIT, ProgrammeStatus.DRAFT): ProgrammeStatus.SUBMITTED,
    (ProgrammeAction.RETURN, ProgrammeStatus.SUBMITTED): ProgrammeStatus.DRAFT,
    (ProgrammeAction.APPROVE, ProgrammeStatus.SUBMITTED): ProgrammeStatus.APPROVED,
}


@pytest.mark.parametrize("state", list(AuditStatus))
@pytest.mark.parametrize("action", list(Action))
def test_every_audit_state_and_action(state, action):
    if (action, state) in EXPECTED:
        assert next_state(action, state) == EXPECTED[(action, state)]
    else:
        with pytest.raises(InvalidTransition):
            next_state(action, state)


@pytest.mark.parametrize("state", list(ProgrammeStatus))
@pytest.mark.parametrize("action", list(ProgrammeAction))
def test_every_programme_state_and_action(state, action):
    if (action, state) in EXPECTED_PROGRAMME:
        assert next_programme_state(action, state) == EXPECTED_PROGRAMME[(action, state)]
    else:
        with pytest.raises(InvalidTransition):
            next_programme_state(action, state)


def test_the_catalogue_runs_from_4_to_8_with_2015_equivalents():
    codes = [c.code for c in clauses.CLAUSES]
    assert [c.code for c in clauses.MAIN_CLAUSES] == ["4", "5", "6", "7", "8"]
    assert len(codes) == len(set(codes)) and codes == sorted(codes, key=clauses.sort_key)
    assert all(c.iso2015 and c.title_vi and c.title_en for c in clauses.CLAUSES)
    assert clauses.clause("8.2.2").iso2015 == ("9.2",)
    assert clauses.title("4.2.3", "vi") == "Kiểm soát tài liệu"
    assert clauses.title("4.2.3", "en") == "Control of documents"
    assert clauses.covers("4.2", "4.2.3") and not clauses.covers("4.2", "4.1")
    assert "8.5.3" in codes and "8.5.4" not in codes


ME = AuditorFacts(name="Nguyễn Văn A", user_id=7, unit_ids=frozenset({1, 2}))


def test_independence_is_a_pure_predicate():
    units = [UnitFacts(1, "Phòng Bưu chính – Viễn thông"), UnitFacts(3, "Văn phòng Sở")]
    processes = [ProcessFacts("QT-BC-01 Cấp giấy phép", (RevisionPeople("01.00", 7, 8, 9),
                                                          RevisionPeople("01.01", 5, 7, 9))),
                 ProcessFacts("QT-02 Kiểm soát hồ sơ", (RevisionPeople("01.00", 5, 6, 7),))]
    issues = independence_issues(ME, units, processes)
    assert [(i.reason, i.target, i.numbering) for i in issues] == [
        ("unit_member", "Phòng Bưu chính – Viễn thông", ""), ("drafted", "QT-BC-01 Cấp giấy phép", "01.00"),
        ("reviewed", "QT-BC-01 Cấp giấy phép", "01.01"), ("approved", "QT-02 Kiểm soát hồ sơ", "01.00")]
    assert independence_issues(ME, [UnitFacts(3, "Văn phòng Sở")],
                               [ProcessFacts("QT-03", (RevisionPeople("01.00", 5, None, None),))]) == []


def test_the_lead_rule():
    assert may_lead(2, 2) and may_lead(5, 2) and not may_lead(1, 2) and may_lead(0, 0)
