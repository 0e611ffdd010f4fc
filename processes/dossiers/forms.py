"""Forms of the dossier pages (NĐ 61/2018 Art. 18-19, TT 01/2018): receipt (Mẫu 01 data) and the actions
recorded on the electronic Mẫu 05.

Every instant is typed as a date (dd/mm/yyyy) and a time (HH:MM) in the agency's time zone, and
left blank for "now". The action forms share one page, so each gets a prefix (``finish-on`` ...)
and their fields never clash.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from processes.dossiers.models import Channel, Outcome, SupplementPolicy
from processes.models import AdministrativeProcedure, ProcedureStatus, ProcessVersion
from qms.documents.models import Revision, RevisionState
from qms.extensions import db
from qms.forms import BaseForm, VNDateField
from qms.timeutil import agency_zone, to_local, utcnow

_TIME = re.compile(r"^\s*(\d{1,2})\s*[:hH.]\s*(\d{2})\s*(?:p|ph|phút)?\s*$")


class TimeOfDayField(StringField):
    """A time typed as HH:MM (24 h; "15h40" also accepted), shown as HH:MM whatever the browser's locale."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": "HH:MM", "inputmode": "numeric", "autocomplete": "off", "maxlength": 5,
                     **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip() if valuelist else ""
        self.data = None
        if not text:
            return
        match = _TIME.match(text)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValidationError(_l("Enter a time as HH:MM."))
        self.data = time(int(match.group(1)), int(match.group(2)))


class WhenForm(BaseForm):
    """A form that records something at an instant: a date and a time, both blank for now."""

    on = VNDateField(_l("Date"))
    at = TimeOfDayField(_l("Time"))

    def fill_now(self) -> None:
        """Offer the present instant (the officer records what happens at the counter, as it happens)."""
        now = to_local(utcnow())
        self.on.data, self.at.data = now.date(), now.time().replace(second=0, microsecond=0)

    def validate_at(self, field) -> None:
        if self.on.data is not None and field.data is None and not field.errors:
            raise ValidationError(_l("Enter a time as HH:MM."))

    def instant(self) -> datetime | None:
        """The instant typed, in UTC; None (the services take "now") when the date is blank."""
        return combine(self.on.data, self.at.data)


def combine(day, at: time | None) -> datetime | None:
    if day is None or at is None:
        return None
    return datetime.combine(day, at, tzinfo=agency_zone()).astimezone(timezone.utc)


def receivable_procedures() -> list[AdministrativeProcedure]:
    """Procedures in force whose process map has a version in force now: only those can take a dossier."""
    in_force = (select(ProcessVersion.procedure_id).join(Revision, Revision.id == ProcessVersion.revision_id)
                .where(Revision.state == RevisionState.EFFECTIVE))
    return list(db.session.scalars(
        select(AdministrativeProcedure).where(AdministrativeProcedure.status == ProcedureStatus.IN_FORCE,
                                              AdministrativeProcedure.id.in_(in_force))
        .order_by(AdministrativeProcedure.code)))


def _short(text: str, length: int = 95) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


class ReceiveForm(WhenForm):
    """Mẫu 01: the dossier received at the one-stop shop."""

    procedure_id = SelectField(_l("Administrative procedure"), coerce=int, choices=[],
                               validators=[DataRequired(_l("Choose a procedure in force."))])
    code = StringField(_l("Dossier code (mã hồ sơ)"), validators=[Length(max=60)],
                       description=_l("TT 01/2018: the agency's unit code, the date of receipt yymmdd and the "
                                      "number of the day. Leave it blank for the next number of the day of "
                                      "receipt."))
    applicant_name = StringField(_l("Applicant (person or organisation)"),
                                 validators=[DataRequired(), Length(max=300)])
    applicant_address = StringField(_l("Address"), validators=[Length(max=300)])
    applicant_phone = StringField(_l("Phone"), validators=[Length(max=40)])
    channel = RadioField(_l("Channel"), choices=[], default=Channel.IN_PERSON.value)
    supplement_policy = RadioField(_l("If a supplement is requested"), choices=[],
                                   default=SupplementPolicy.RESTART.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # choices set here: WTForms 3.3 warns on tuples given at declaration
        self.on.label.text, self.at.label.text = _l("Received on"), _l("at")
        self.procedure_id.choices = [(0, "—")] + [(p.id, f"{p.code} – {_short(p.name)}")
                                                  for p in receivable_procedures()]
        self.channel.choices = [(c.value, c.label) for c in Channel]
        self.supplement_policy.choices = [(p.value, p.label) for p in SupplementPolicy]

    def values(self) -> dict:
        return {"procedure_id": self.procedure_id.data, "code": (self.code.data or "").strip(),
                "applicant_name": self.applicant_name.data, "applicant_address": self.applicant_address.data or "",
                "applicant_phone": self.applicant_phone.data or "", "channel": self.channel.data,
                "supplement_policy": self.supplement_policy.data, "received_at": self.instant()}


class FinishStepForm(WhenForm):
    """The running step is done: the dossier is handed to the next step (a row of Mẫu 05)."""

    handler = StringField(_l("Handled by"), validators=[Length(max=200)])
    note = StringField(_l("Note"), validators=[Length(max=2000)])


class ReasonForm(WhenForm):
    """An action that needs its reason: a supplement request (Mẫu 02), a refusal."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 2})


class EndForm(ReasonForm):
    """The applicant withdraws the dossier, or its handling stops."""

    outcome = RadioField(_l("The dossier"), choices=[], default=Outcome.WITHDRAWN.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(Outcome.WITHDRAWN.value, _l("is withdrawn by the applicant")),
                                (Outcome.STOPPED.value, _l("is stopped"))]


class ApologyForm(ReasonForm):
    """Mẫu 04: the apology and the new date promised to the applicant."""

    new_on = VNDateField(_l("New date"), validators=[DataRequired()])
    new_at = TimeOfDayField(_l("New time"), validators=[DataRequired()])
    signed_by = StringField(_l("Signed by"), validators=[Length(max=200)],
                            render_kw={"placeholder": "KT. Giám đốc – Phó Giám đốc …"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on.label.text = _l("Issued on")

    def new_due_at(self) -> datetime | None:
        return combine(self.new_on.data, self.new_at.data)
