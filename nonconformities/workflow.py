"""The nonconformity workflow as one transition table (ISO 9001:2008 clauses 8.5.2, 8.5.3). Pure Python.

new → analysis → action plan → approved → in progress → effectiveness check → closed
               ↖ returned ↙                                   │ not effective: back to analysis
any open status → rejected | duplicate (with a reason)
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from nonconformities.models import ENDED_STATUSES
from nonconformities.models import NcStatus as S


class Action(StrEnum):
    RAISE = "raise"
    START_ANALYSIS = "start_analysis"
    FINISH_ANALYSIS = "finish_analysis"
    RETURN_PLAN = "return_plan"
    APPROVE_PLAN = "approve_plan"
    START_ACTIONS = "start_actions"
    REQUEST_CHECK = "request_check"
    NOT_EFFECTIVE = "not_effective"
    CLOSE = "close"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.RAISE: _l("Raised"),
    Action.START_ANALYSIS: _l("Start the analysis"),
    Action.FINISH_ANALYSIS: _l("Analysis done: plan the actions"),
    Action.RETURN_PLAN: _l("Return the plan for more analysis"),
    Action.APPROVE_PLAN: _l("Approve the action plan"),
    Action.START_ACTIONS: _l("Start the actions"),
    Action.REQUEST_CHECK: _l("Ready for the effectiveness check"),
    Action.NOT_EFFECTIVE: _l("Not effective: back to analysis"),
    Action.CLOSE: _l("Close the nonconformity"),
    Action.REJECT: _l("Reject"),
    Action.MARK_DUPLICATE: _l("Mark as duplicate"),
}

OPEN_STATUSES = tuple(s for s in S if s not in ENDED_STATUSES)

#: (action, from status) → to status
TRANSITIONS: dict[tuple[Action, S], S] = {
    (Action.START_ANALYSIS, S.NEW): S.ANALYSIS,
    (Action.FINISH_ANALYSIS, S.ANALYSIS): S.ACTION_PLAN,
    (Action.RETURN_PLAN, S.ACTION_PLAN): S.ANALYSIS,
    (Action.APPROVE_PLAN, S.ACTION_PLAN): S.APPROVED,
    (Action.START_ACTIONS, S.APPROVED): S.IN_PROGRESS,
    (Action.REQUEST_CHECK, S.IN_PROGRESS): S.EFFECTIVENESS_CHECK,
    (Action.NOT_EFFECTIVE, S.EFFECTIVENESS_CHECK): S.ANALYSIS,
    (Action.CLOSE, S.EFFECTIVENESS_CHECK): S.CLOSED,
    **{(Action.REJECT, s): S.REJECTED for s in OPEN_STATUSES},
    **{(Action.MARK_DUPLICATE, s): S.DUPLICATE for s in OPEN_STATUSES},
}

#: Actions that need a comment (a reason) from the actor.
COMMENT_REQUIRED = frozenset({Action.RETURN_PLAN, Action.NOT_EFFECTIVE, Action.REJECT, Action.MARK_DUPLICATE})

#: Statuses in which the analysis (correction, 5 Whys, causes, root cause) may still change.
ANALYSIS_OPEN = frozenset({S.NEW, S.ANALYSIS, S.ACTION_PLAN})
#: Statuses in which actions may be added to the plan.
PLAN_OPEN = frozenset({S.ANALYSIS, S.ACTION_PLAN})
#: Statuses in which owners record progress and complete their actions.
ACTIONS_RUNNING = frozenset({S.APPROVED, S.IN_PROGRESS})


class InvalidTransition(Exception):
    def __init__(self, action: Action, status: S):
        super().__init__(f"{action} is not possible from {status}")
        self.action = action
        self.status = status


def next_status(action: Action, status: S) -> S:
    """The status *action* leads to from *status*, or InvalidTransition."""
    try:
        return TRANSITIONS[(Action(action), S(status))]
    except (KeyError, ValueError):
        raise InvalidTransition(action, status) from None


def allowed_actions(status: S) -> list[Action]:
    """The actions possible from *status*, in the order of the workflow."""
    return [action for action in Action if (action, S(status)) in TRANSITIONS]
