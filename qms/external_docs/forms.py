"""Forms for the register of external documents and for recording an amendment or a replacement."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qms.external_docs.models import ExternalKind, ExternalStatus, RelationKind
from qms.forms import BaseForm, VNDateField


class ExternalDocumentForm(BaseForm):
    number = StringField(_l("Number and symbol"), validators=[DataRequired(), Length(max=80)],
                         description=_l("As printed on the text, e.g. 61/2018/NĐ-CP or TCVN ISO 9001:2008."))
    kind = SelectField(_l("Kind of text"), choices=[])
    issuer = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=200)])
    title = TextAreaField(_l("Summary of content (trích yếu)"), validators=[DataRequired(), Length(max=2000)])
    issued_on = VNDateField(_l("Issued on"), validators=[Optional()])
    effective_on = VNDateField(_l("In force from"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[])
    url = StringField(_l("Link to the text"), validators=[Optional(), Length(max=500)],
                      description=_l("For example the page of the text on vbpl.vn or the provincial portal."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def fill_choices(self) -> None:
        self.kind.choices = [(k.value, k.label) for k in ExternalKind]
        self.status.choices = [(s.value, s.label) for s in ExternalStatus]

    def values(self) -> dict:
        return {"number": self.number.data, "kind": self.kind.data, "issuer": self.issuer.data,
                "title": self.title.data, "issued_on": self.issued_on.data, "effective_on": self.effective_on.data,
                "status": self.status.data, "url": self.url.data or "", "notes": self.notes.data or ""}


class RelationForm(BaseForm):
    """On the page of the newer text: "this text amends / replaces that one"."""

    kind = SelectField(_l("This text"), choices=[])
    target_id = SelectField(_l("Earlier text"), coerce=int, choices=[], validators=[DataRequired()])
    effective_on = VNDateField(_l("From"), validators=[Optional()],
                               description=_l("Leave empty to use the date this text takes effect."))

    def fill_choices(self, targets) -> None:
        self.kind.choices = [(k.value, k.label) for k in RelationKind]
        self.target_id.choices = [(0, "—")] + [(t.id, f"{t.number} · {_short(t.title)}") for t in targets]


def _short(text: str, length: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"
