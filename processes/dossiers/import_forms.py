"""Forms of the dossier import pages: the upload, and the mapping of a file's columns to our fields.

The mapping form is built for the file it maps: one select per field of the chosen layout (and per
step code for the one-row-per-dossier layout), each offering the file's headers, preset with the
suggestion read from the headers.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from processes.dossiers.import_models import LAYOUT_LABELS, MappingLayout
from processes.dossiers.importing_mapping import Proposal, fields_of
from processes.models import ProcessStep
from qms.extensions import db
from qms.forms import BaseForm


class UploadForm(BaseForm):
    file = FileField(_l("Export of the one-stop system (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file to import."))],
                     description=_l("One row per step event, or one row per dossier with a column per step. Dates as "
                                    "dd/mm/yyyy HH:MM (or real Excel dates)."))
    dry_run = BooleanField(_l("Check only: report what the import would change, write nothing"))


class MappingForm(BaseForm):
    layout = RadioField(_l("Layout of the file"), choices=[SelectChoice(layout.value, LAYOUT_LABELS[layout])
                                                           for layout in MappingLayout])
    name = StringField(_l("Save the mapping as"), validators=[DataRequired(_l("Give the mapping a name.")),
                                                              Length(max=120)],
                       description=_l("e.g. the system the file comes from: later files with the same columns are "
                                      "mapped with it at once."))
    date_format = StringField(_l("Date format (only if not the usual dd/mm/yyyy HH:MM)"), validators=[Length(max=60)],
                              description=_l("A Python strptime format such as %m/%d/%Y %I:%M %p; leave empty for "
                                             "the Vietnamese forms and real Excel dates."))


def step_codes() -> list[str]:
    """B1 … Bn for the longest process map of the catalogue (at least ten)."""
    longest = db.session.scalar(select(func.max(ProcessStep.position))) or 0
    return [f"B{n}" for n in range(1, max(longest + 1, 10) + 1)]


def column_selects(headers: list[str], proposal: Proposal, data=None) -> tuple[list, list]:
    """(field, name, selected) rows and (step code, name, selected) rows for the mapping page."""
    data = data or {}
    fields = [(f, f"field-{f.key}", data.get(f"field-{f.key}", proposal.fields.get(f.key, "")))
              for f in fields_of(proposal.layout)]
    steps = [(code, f"step-{code}", data.get(f"step-{code}", proposal.steps.get(code, "")))
             for code in step_codes()] if proposal.layout == MappingLayout.DOSSIERS else []
    return fields, steps


def proposal_from(data, layout: str, headers: list[str]) -> Proposal:
    """The mapping the user chose on the page (values not among the headers are ignored)."""
    present = set(headers)
    proposal = Proposal(layout)
    for f in fields_of(layout):
        value = data.get(f"field-{f.key}", "")
        if value in present:
            proposal.fields[f.key] = value
    if layout == MappingLayout.DOSSIERS:
        for code in step_codes():
            value = data.get(f"step-{code}", "")
            if value in present:
                proposal.steps[code] = value
    return proposal
