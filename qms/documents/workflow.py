"""The revision workflow as one transition table (ISO 9001:2008 clause 4.2.3 a-c). Pure Python.

draft → submitted → reviewed → approved → effective → superseded
            ↘ returned to draft ↙        (a whole document: effective → withdrawn)
draft / submitted / reviewed → cancelled
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from qms.documents.models import RevisionState as S
from qms.signatures.models import SignatureMeaning


class Action(StrEnum):
    SUBMIT = "submit"
    REVIEW = "review"
    RETURN = "return"
    APPROVE = "approve"
    MAKE_EFFECTIVE = "make_effective"
    SUPERSEDE = "supersede"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.SUBMIT: _l("Submit for review"),
    Action.REVIEW: _l("Review and sign"),
    Action.RETURN: _l("Return to the drafter"),
    Action.APPROVE: _l("Approve and sign"),
    Action.MAKE_EFFECTIVE: _l("Put into effect"),
    Action.SUPERSEDE: _l("Superseded"),
    Action.WITHDRAW: _l("Withdraw"),
    Action.CANCEL: _l("Cancel the draft"),
}

#: (action, from state) → to state
TRANSITIONS: dict[tuple[Action, S], S] = {
    (Action.SUBMIT, S.DRAFT): S.SUBMITTED,
    (Action.REVIEW, S.SUBMITTED): S.REVIEWED,
    (Action.RETURN, S.SUBMITTED): S.DRAFT,
    (Action.RETURN, S.REVIEWED): S.DRAFT,
    (Action.APPROVE, S.REVIEWED): S.APPROVED,
    (Action.MAKE_EFFECTIVE, S.APPROVED): S.EFFECTIVE,
    (Action.SUPERSEDE, S.EFFECTIVE): S.SUPERSEDED,
    (Action.WITHDRAW, S.EFFECTIVE): S.WITHDRAWN,
    (Action.CANCEL, S.DRAFT): S.CANCELLED,
    (Action.CANCEL, S.SUBMITTED): S.CANCELLED,
    (Action.CANCEL, S.REVIEWED): S.CANCELLED,
}

#: Actions that are electronic signatures: the signer re-enters their password.
SIGNED_ACTIONS = {
    Action.SUBMIT: SignatureMeaning.DRAFTED,
    Action.REVIEW: SignatureMeaning.REVIEWED,
    Action.APPROVE: SignatureMeaning.APPROVED,
}

#: Actions that need a comment (a reason) from the actor.
COMMENT_REQUIRED = frozenset({Action.RETURN, Action.CANCEL, Action.WITHDRAW})

#: States in which a revision is "in progress" (at most one per document).
IN_PROGRESS = frozenset({S.DRAFT, S.SUBMITTED, S.REVIEWED, S.APPROVED})


class InvalidTransition(Exception):
    def __init__(self, action: Action, state: S):
        super().__init__(f"{action} is not possible from {state}")
        self.action = action
        self.state = state


def next_state(action: Action, state: S) -> S:
    """The state after *action*, or InvalidTransition."""
    try:
        return TRANSITIONS[(action, state)]
    except KeyError:
        raise InvalidTransition(action, state) from None


def available_actions(state: S) -> list[Action]:
    return [action for (action, source) in TRANSITIONS if source == state]
