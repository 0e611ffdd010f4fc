"""The states of an internal audit and of the yearly programme as transition tables (ISO 9001:2008 clause 8.2.2).

Audit: planned → notified (the plan is sent) → in progress → reported → closed.
Programme: draft → submitted → approved (signed by the director), or back to draft with comments.
Pure Python: the conditions that need data (a report written, nonconformities closed) are the services'.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from audits.models import AuditStatus as S
from audits.models import ProgrammeStatus as P


class Action(StrEnum):
    NOTIFY = "notify"
    START = "start"
    REPORT = "report"
    CLOSE = "close"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.NOTIFY: _l("Send the plan to the participants"),
    Action.START: _l("Start the audit"),
    Action.REPORT: _l("Mark as reported"),
    Action.CLOSE: _l("Close the audit"),
}

#: (action, from state) → to state
TRANSITIONS: dict[tuple[Action, S], S] = {
    (Action.NOTIFY, S.PLANNED): S.NOTIFIED,
    (Action.START, S.NOTIFIED): S.IN_PROGRESS,
    (Action.REPORT, S.IN_PROGRESS): S.REPORTED,
    (Action.CLOSE, S.REPORTED): S.CLOSED,
}

#: States whose audits count as done for the auditors on their team (the lead-auditor rule).
DONE_STATES = frozenset({S.REPORTED, S.CLOSED})


class ProgrammeAction(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"

    @property
    def label(self) -> str:
        return str(PROGRAMME_ACTION_LABELS[self])


PROGRAMME_ACTION_LABELS = {
    ProgrammeAction.SUBMIT: _l("Submit for approval"),
    ProgrammeAction.RETURN: _l("Return for changes"),
    ProgrammeAction.APPROVE: _l("Approve and sign"),
}

PROGRAMME_TRANSITIONS: dict[tuple[ProgrammeAction, P], P] = {
    (ProgrammeAction.SUBMIT, P.DRAFT): P.SUBMITTED,
    (ProgrammeAction.RETURN, P.SUBMITTED): P.DRAFT,
    (ProgrammeAction.APPROVE, P.SUBMITTED): P.APPROVED,
}


class InvalidTransition(Exception):
    def __init__(self, action, state):
        super().__init__(f"{action} is not possible from {state}")
        self.action = action
        self.state = state


def next_state(action: Action, state: S) -> S:
    """The audit's state after *action*, or InvalidTransition."""
    try:
        return TRANSITIONS[(Action(action), S(state))]
    except KeyError:
        raise InvalidTransition(action, state) from None


def next_programme_state(action: ProgrammeAction, state: P) -> P:
    """The programme's state after *action*, or InvalidTransition."""
    try:
        return PROGRAMME_TRANSITIONS[(ProgrammeAction(action), P(state))]
    except KeyError:
        raise InvalidTransition(action, state) from None


def available_actions(state: S) -> list[Action]:
    return [action for (action, source) in TRANSITIONS if source == state]
