"""Forms of the change-request and periodic-review pages."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from qms.documents.models import ChangeKind
from qms.forms import BaseForm


class _ChangeKindMixin:
    def fill_choices(self):
        self.change_kind.choices = [(k.value, k.label) for k in (ChangeKind.AMENDMENT, ChangeKind.REISSUE)]
        return self


class ChangeRequestForm(BaseForm):
    reason = TextAreaField(_l("Reason for the change"), validators=[DataRequired(), Length(max=5000)],
                           description=_l("What is wrong or missing, e.g. a new legal text, a step that "
                                          "no longer matches practice."))
    proposed_change = TextAreaField(_l("Proposed change"), validators=[Length(max=5000)],
                                    description=_l("Which section, and what it should say."))


class AcceptChangeRequestForm(_ChangeKindMixin, BaseForm):
    change_kind = RadioField(_l("Kind of change"), choices=[], default=ChangeKind.AMENDMENT.value)
    comment = TextAreaField(_l("Comment to the requester"), validators=[Length(max=2000)])


class RejectChangeRequestForm(BaseForm):
    reason = TextAreaField(_l("Reason for the rejection"), validators=[DataRequired(), Length(max=2000)])


class NoChangeReviewForm(BaseForm):
    password = PasswordField(_l("Your password (electronic signature)"), validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class RevisionReviewForm(_ChangeKindMixin, BaseForm):
    change_kind = RadioField(_l("Kind of change"), choices=[], default=ChangeKind.AMENDMENT.value)
    finding = TextAreaField(_l("What must change"), validators=[Length(max=2000)])
