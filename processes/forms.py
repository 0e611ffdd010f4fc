"""Forms of the TTHC catalogue and the process-map pages (ISO 9001:2008 clauses 4.1, 7.5.1).

The step editor posts its rows as parallel lists (``step_code``, ``step_name``, ...; one value per
table row, so rows added or removed in the browser need no renumbering); ``step_rows`` and
``branch_rows`` turn them into the dicts ``services.replace_steps`` checks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from processes.durations import format_amount
from processes.models import BranchKind, OnlineService, ProcedureLevel, ProcessVersion, StepKind, TimeUnit
from qms.documents.models import ChangeKind
from qms.extensions import db
from qms.forms import BaseForm, VNDateField
from qms.org.models import Unit

STEP_FIELDS = ("code", "name", "description", "unit_id", "performer", "kind", "amount", "unit", "output")
BRANCH_FIELDS = ("kind", "from_step", "to_step", "party", "condition", "output")
BLANK_STEP_ROWS = 3
BLANK_BRANCH_ROWS = 2


def active_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.name)))


def _time_units() -> list[tuple[str, str]]:
    return [(u.value, u.label) for u in TimeUnit]


class ProcedureForm(BaseForm):
    """One procedure of the catalogue; the code is given once and never changes."""

    code = StringField(_l("Procedure code"), validators=[Length(max=30)],
                       description=_l("The code on the national database of administrative procedures, "
                                      "e.g. 1.004470."))
    name = TextAreaField(_l("Name of the procedure"), validators=[DataRequired(), Length(max=500)],
                         render_kw={"rows": 2})
    field = StringField(_l("Field (lĩnh vực)"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"), choices=[], default=ProcedureLevel.PROVINCIAL.value)
    legal_limit = StringField(_l("Legal time limit"), validators=[DataRequired(), Length(max=10)],
                              render_kw={"inputmode": "decimal", "placeholder": "20"})
    legal_limit_unit = SelectField(_l("Unit"), choices=[])
    committed_limit = StringField(_l("Committed time limit"), validators=[Optional(), Length(max=10)],
                                  render_kw={"inputmode": "decimal"},
                                  description=_l("Only when the agency commits to a shorter limit."))
    committed_limit_unit = SelectField(_l("Unit"), choices=[])
    fees = TextAreaField(_l("Fees and charges"), validators=[Length(max=5000)])
    accepts_in_person = BooleanField(_l("Dossiers accepted in person"), default=True)
    accepts_post = BooleanField(_l("Dossiers accepted by post"))
    online_service = SelectField(_l("Online public service"), choices=[])
    announcement_no = StringField(_l("Announcement decision no."), validators=[Length(max=80)])
    announcement_on = VNDateField(_l("Announced on"), validators=[Optional()])
    internal_approval_no = StringField(_l("Decision approving the internal procedure"), validators=[Length(max=80)])
    internal_approval_on = VNDateField(_l("Approved on"), validators=[Optional()])
    owner_unit_id = SelectField(_l("Unit in charge"), coerce=int, choices=[])
    legal_basis_ids = SelectMultipleField(_l("Legal basis"), coerce=int, choices=[], render_kw={"size": 10},
                                          description=_l("From the register of external documents; hold Ctrl to "
                                                         "choose several."))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def fill_choices(self, externals, procedure=None) -> None:
        self.level.choices = [(level.value, level.label) for level in ProcedureLevel]
        self.legal_limit_unit.choices = self.committed_limit_unit.choices = _time_units()
        self.online_service.choices = [(s.value, s.label) for s in OnlineService]
        units = active_units()
        if procedure is not None and procedure.owner_unit is not None and procedure.owner_unit not in units:
            units.append(procedure.owner_unit)  # a unit closed since: kept, so that saving does not fail
        self.owner_unit_id.choices = [(0, "—")] + [(u.id, u.name) for u in units]
        cited = {b.external_document_id for b in procedure.legal_bases} if procedure is not None else set()
        externals = sorted(externals, key=lambda e: e.id not in cited)  # the cited ones on top, in view
        self.legal_basis_ids.choices = [(e.id, f"{e.number} – {_short(e.title)}") for e in externals]

    def load(self, procedure) -> None:
        """Fill the fields from *procedure* on the first GET of the edit page."""
        self.level.data, self.online_service.data = procedure.level.value, procedure.online_service.value
        self.legal_limit.data = format_amount(procedure.legal_limit_minutes, procedure.legal_limit_unit)
        self.legal_limit_unit.data = procedure.legal_limit_unit.value
        if procedure.committed_limit_minutes is not None:
            self.committed_limit.data = format_amount(procedure.committed_limit_minutes,
                                                      procedure.committed_limit_unit)
            self.committed_limit_unit.data = procedure.committed_limit_unit.value
        self.owner_unit_id.data = procedure.owner_unit_id or 0
        self.legal_basis_ids.data = [b.external_document_id for b in procedure.legal_bases]

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in (
            "name", "field", "level", "legal_limit", "legal_limit_unit", "committed_limit", "committed_limit_unit",
            "fees", "accepts_in_person", "accepts_post", "online_service", "announcement_no", "announcement_on",
            "internal_approval_no", "internal_approval_on", "notes", "legal_basis_ids")}
        values["owner_unit_id"] = self.owner_unit_id.data or None
        values["code"] = self.code.data or ""
        return values


def _short(text: str, length: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


class AbolishForm(BaseForm):
    abolished_on = VNDateField(_l("Abolished from"), validators=[DataRequired()])
    reason = StringField(_l("Decision or reason"), validators=[Length(max=500)])


class StartVersionForm(BaseForm):
    change_kind = RadioField(_l("Kind of change"), choices=[], default=ChangeKind.AMENDMENT.value)
    change_summary = TextAreaField(_l("Summary of the change"), validators=[Length(max=5000)],
                                   render_kw={"rows": 3})

    def fill_choices(self) -> None:
        self.change_kind.choices = [(k.value, k.label) for k in (ChangeKind.AMENDMENT, ChangeKind.REISSUE)]


class StepsForm(BaseForm):
    """The version's notes and the CSRF token; the rows come as parallel lists (``step_rows``)."""

    notes = TextAreaField(_l("Notes on this version"), validators=[Length(max=5000)], render_kw={"rows": 3})


def _columns(formdata, prefix: str, names: tuple[str, ...]) -> list[dict]:
    columns = {name: formdata.getlist(f"{prefix}_{name}") for name in names}
    count = max((len(values) for values in columns.values()), default=0)
    return [{name: (columns[name][i] if i < len(columns[name]) else "").strip() for name in names}
            for i in range(count)]


def step_rows(formdata) -> list[dict]:
    """The posted step rows, blank ones (no code and no name) left out; the amount stays as typed."""
    rows = [row for row in _columns(formdata, "step", STEP_FIELDS) if row["code"] or row["name"]]
    for row in rows:
        row["unit_id"] = int(row["unit_id"]) if row["unit_id"].isdigit() else None
    return rows


def branch_rows(formdata) -> list[dict]:
    """The posted branch rows, blank ones (no step, party, condition nor output) left out."""
    return [row for row in _columns(formdata, "branch", BRANCH_FIELDS)
            if any(row[name] for name in ("from_step", "to_step", "party", "condition", "output"))]


def rows_of(version: ProcessVersion) -> tuple[list[dict], list[dict]]:
    """The rows of a saved version, as the editor shows them."""
    steps = [{"code": s.code, "name": s.name, "description": s.description, "unit_id": s.unit_id,
              "performer": s.performer, "kind": s.kind.value, "amount": format_amount(s.allotted_minutes,
                                                                                     s.allotted_unit),
              "unit": s.allotted_unit.value, "output": s.output} for s in version.steps]
    branches = [{"kind": b.kind.value, "from_step": b.from_step.code, "to_step": b.to_step.code if b.to_step else "",
                 "party": b.party, "condition": b.condition, "output": b.output} for b in version.branches]
    return steps, branches


def editor_choices() -> dict:
    """The options of the editor's selects."""
    return {"units": active_units(), "step_kinds": list(StepKind), "time_units": list(TimeUnit),
            "branch_kinds": list(BranchKind)}
