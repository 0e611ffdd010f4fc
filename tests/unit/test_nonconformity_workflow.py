"""The nonconformity transition table and the pure permission predicates: every (status, action) pair."""

from types import SimpleNamespace

import pytest

from nonconformities import permissions as can
from nonconformities.models import NcStatus as S
from nonconformities.workflow import COMMENT_REQUIRED, TRANSITIONS, Action, InvalidTransition, next_status
from qms.permissions import Role

EXPECTED = {
    (Action.START_ANALYSIS, S.NEW): S.ANALYSIS,
    (Action.FINISH_ANALYSIS, S.ANALYSIS): S.ACTION_PLAN,
    (Action.RETURN_PLAN, S.ACTION_PLAN): S.ANALYSIS,
    (Action.APPROVE_PLAN, S.ACTION_PLAN): S.APPROVED,
    (Action.START_ACTIONS, S.APPROVED): S.IN_PROGRESS,
    (Action.REQUEST_CHECK, S.IN_PROGRESS): S.EFFECTIVENESS_CHECK,
    (Action.NOT_EFFECTIVE, S.EFFECTIVENESS_CHECK): S.ANALYSIS,
    (Action.CLOSE, S.EFFECTIVENESS_CHECK): S.CLOSED,
}
OPEN = [S.NEW, S.ANALYSIS, S.ACTION_PLAN, S.APPROVED, S.IN_PROGRESS, S.EFFECTIVENESS_CHECK]
for _status in OPEN:
    EXPECTED[(Action.REJECT, _status)] = S.REJECTED
    EXPECTED[(Action.MARK_DUPLICATE, _status)] = S.DUPLICATE


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(S))
def test_every_status_and_action_pair(status, action):
    expected = EXPECTED.get((action, status))
    if expected is None:
        with pytest.raises(InvalidTransition):
            next_status(action, status)
    else:
        assert next_status(action, status) == expected


def test_the_table_is_exactly_the_expected_one():
    assert TRANSITIONS == EXPECTED


def test_closed_rejected_and_duplicate_are_final():
    for status in (S.CLOSED, S.REJECTED, S.DUPLICATE):
        assert not [a for (a, s) in TRANSITIONS if s == status]


def test_closing_is_only_possible_from_the_effectiveness_check():
    assert [s for (a, s) in TRANSITIONS if a == Action.CLOSE] == [S.EFFECTIVENESS_CHECK]


def test_reasons_are_required_for_the_negative_outcomes():
    assert COMMENT_REQUIRED == {Action.RETURN_PLAN, Action.NOT_EFFECTIVE, Action.REJECT, Action.MARK_DUPLICATE}


def _user(uid, *roles, unit_id=None):
    return SimpleNamespace(id=uid, is_authenticated=True, role_set=frozenset(roles), unit_id=unit_id)


def _nc(owner_ids=(), unit_id=7, status="action_plan", raised_by_id=99):
    return SimpleNamespace(owner_ids=set(owner_ids), unit_id=unit_id, status=status, raised_by_id=raised_by_id)


def test_an_action_owner_never_verifies_even_as_auditor_or_secretary():
    auditor = _user(1, Role.INTERNAL_AUDITOR)
    secretary = _user(2, Role.ISO_SECRETARY)
    assert can.can_verify(auditor, _nc()) and can.can_verify(secretary, _nc())
    assert not can.can_verify(auditor, _nc(owner_ids={1}))
    assert not can.can_verify(secretary, _nc(owner_ids={2}))
    assert not can.can_verify(_user(3, Role.SPECIALIST), _nc())  # not an auditor


def test_plan_approval_by_the_unit_head_of_that_unit_or_the_secretary():
    assert can.can_approve_plan(_user(1, Role.UNIT_HEAD, unit_id=7), _nc())
    assert not can.can_approve_plan(_user(1, Role.UNIT_HEAD, unit_id=8), _nc())
    assert can.can_approve_plan(_user(2, Role.ISO_SECRETARY), _nc())
    assert not can.can_approve_plan(_user(3, Role.SPECIALIST, unit_id=7), _nc())


def test_progress_by_the_owner_or_the_secretary_only():
    action = SimpleNamespace(owner_id=5, status="open")
    assert can.can_record_progress(_user(5, Role.SPECIALIST), action)
    assert can.can_record_progress(_user(2, Role.ISO_SECRETARY), action)
    assert not can.can_record_progress(_user(6, Role.UNIT_HEAD), action)
    assert not can.can_record_progress(_user(5, Role.SPECIALIST), SimpleNamespace(owner_id=5, status="done"))


def test_external_auditors_read_but_raise_nothing():
    external = _user(9, Role.EXTERNAL_AUDITOR)
    assert can.can_view(external) and not can.can_raise(external)
