"""The events of the ingest API turned into the bulk path's input, and its errors back into events
(issue 5, input path 4). Pure checking and mapping; ``api`` owns the request and the transaction.

Every event names its dossier and procedure; the dossier's own fields (applicant, channel, dates,
outcome) may come on any of its events. Events are grouped by dossier in time order and go to
``ingest`` together; an event already recorded (same dossier, same event id) is a duplicate. A new step of
a dossier already recorded is measured by ``ingest`` from the last recorded one, as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from processes.dossiers.ingest import DossierInput, IngestError, StepEvent
from processes.dossiers.models import Channel, Dossier, Outcome, StepRun
from qms.extensions import db

MAX_EVENTS = 5_000
LIFECYCLES = ("start", "complete")
DOSSIER_TEXT = {"applicant_name": 300}
DOSSIER_CHOICES = {"channel": tuple(c.value for c in Channel), "outcome": tuple(o.value for o in Outcome)}
DOSSIER_DATES = ("received_at", "result_ready_at", "returned_at")
DOSSIER_FIELDS = (*DOSSIER_TEXT, *DOSSIER_CHOICES, *DOSSIER_DATES)


@dataclass
class Problem:
    event_id: str | None
    field: str
    value: str
    rule: str

    def as_json(self) -> dict:
        return {"event_id": self.event_id, "field": self.field, "value": self.value, "rule": self.rule}


@dataclass
class Batch:
    """What a request becomes: the dossiers for ``ingest`` and the answer for each event."""

    inputs: list[DossierInput] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # event id → created | duplicate
    order: list[str] = field(default_factory=list)  # event ids as the request gave them
    where_to_event: dict[str, str] = field(default_factory=dict)


def _moment(text) -> datetime:
    if not isinstance(text, str):
        raise ValueError
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError
    return value


def _text(event: dict, name: str, problems: list, event_id, limit: int, required: bool = True) -> str:
    value = event.get(name)
    if value is None or value == "":
        if required:
            problems.append(Problem(event_id, name, "", _("This field is required.")))
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        problems.append(Problem(event_id, name, str(value), _("A text is expected.")))
        return ""
    value = str(value).strip()
    if len(value) > limit:
        problems.append(Problem(event_id, name, value[:80], _("At most %(n)d characters.", n=limit)))
    return value


def _date(event: dict, name: str, problems: list, event_id) -> datetime | None:
    try:
        return _moment(event[name])
    except (ValueError, TypeError):
        problems.append(Problem(event_id, name, str(event[name]),
                                _("An ISO 8601 date and time with its UTC offset is expected, "
                                  "e.g. 2024-05-21T10:15:00+07:00.")))
        return None


def read_events(raw_events: list) -> Batch:
    """Check each event on its own and group them by dossier (nothing is read from the database)."""
    batch = Batch()
    groups: dict[str, DossierInput] = {}
    first_event: dict[str, str] = {}
    problems = batch.problems
    for number, event in enumerate(raw_events, start=1):
        if not isinstance(event, dict):
            problems.append(Problem(None, "", str(number), _("Event %(n)d is not a JSON object.", n=number)))
            continue
        event_id = _text(event, "event_id", problems, None, 120)
        if event_id in batch.statuses:
            problems.append(Problem(event_id, "event_id", event_id, _("This event id comes twice in the request.")))
            continue
        before = len(problems)
        code = _text(event, "dossier_code", problems, event_id or None, 60)
        procedure = _text(event, "procedure_code", problems, event_id or None, 30)
        activity = _text(event, "activity", problems, event_id or None, 200)
        handler = _text(event, "handler", problems, event_id or None, 200, required=False)
        lifecycle = event.get("lifecycle") or "complete"
        if lifecycle not in LIFECYCLES:
            problems.append(Problem(event_id, "lifecycle", str(lifecycle), _("Either start or complete.")))
        at = _date(event, "timestamp", problems, event_id) if "timestamp" in event else None
        if "timestamp" not in event:
            problems.append(Problem(event_id, "timestamp", "", _("This field is required.")))
        dossier_values = _dossier_values(event, event_id, problems)
        if len(problems) > before or not event_id:
            continue
        where = f"event {event_id}"
        batch.where_to_event[where] = event_id
        batch.statuses[event_id] = ""
        batch.order.append(event_id)
        item = groups.get(code)
        if item is None:
            item = groups[code] = DossierInput(code=code, where=where, procedure_code=procedure)
            first_event[code] = event_id
        elif item.procedure_code != procedure:
            problems.append(Problem(event_id, "procedure_code", procedure,
                                    _("Event %(other)s gives this dossier the procedure %(code)s.",
                                      other=first_event[code], code=item.procedure_code)))
        _merge(item, dossier_values, event_id, first_event[code], problems)
        item.events.append(StepEvent(activity=activity, at=at, lifecycle=lifecycle, handler=handler, key=event_id,
                                     where=where))
    for item in groups.values():
        item.events.sort(key=lambda e: e.at)  # stable: a start before its complete at the same time
    batch.inputs = list(groups.values())
    return batch


def _dossier_values(event: dict, event_id, problems: list) -> dict:
    values = {}
    for name, limit in DOSSIER_TEXT.items():
        if event.get(name) not in (None, ""):
            values[name] = _text(event, name, problems, event_id, limit)
    for name, choices in DOSSIER_CHOICES.items():
        if event.get(name) not in (None, ""):
            if event[name] not in choices:
                problems.append(Problem(event_id, name, str(event[name]),
                                        _("One of: %(choices)s.", choices=", ".join(choices))))
            else:
                values[name] = event[name]
    for name in DOSSIER_DATES:
        if event.get(name) not in (None, ""):
            values[name] = _date(event, name, problems, event_id)
    return values


def _merge(item: DossierInput, values: dict, event_id: str, first: str, problems: list) -> None:
    """A dossier's field may come on any of its events, but always with the same value."""
    defaults = DossierInput(code="")
    for name, value in values.items():
        current = getattr(item, name)
        if current in (None, "", getattr(defaults, name)) or current == value:
            setattr(item, name, value)
        else:
            problems.append(Problem(event_id, name, str(value),
                                    _("Another event of this dossier (%(other)s) gives it another value.",
                                      other=first)))


def attach_known(batch: Batch) -> None:
    """Statuses against what is recorded, and the recorded steps of known dossiers put back in front."""
    codes = [item.code for item in batch.inputs]
    known: dict[str, Dossier] = {}
    for start in range(0, len(codes), 900):
        for dossier in db.session.scalars(select(Dossier).where(Dossier.code.in_(codes[start:start + 900]))):
            known[dossier.code] = dossier
    for item in batch.inputs:
        dossier = known.get(item.code)
        stored: list = []
        if dossier is not None:  # under another procedure: refused by ingest (check_known)
            stored = db.session.scalars(select(StepRun.event_key).where(StepRun.dossier_id == dossier.id,
                                                                        StepRun.event_key != "")).all()
            item.received_at = item.received_at or dossier.received_at
        _statuses(batch, item, set(stored))
        # a duplicate sent again is not sent twice; the bulk path measures the new steps from the stored ones
        item.events = [e for e in item.events if batch.statuses[e.key] != "duplicate"]


def _statuses(batch: Batch, item: DossierInput, keys: set[str]) -> None:
    """A completion already recorded is a duplicate, and so is the start it closes; the rest is created unless
    ``ingest`` finds it recorded (a start sent again: ``apply_report``)."""
    events = item.events
    for event in events:
        if event.lifecycle == "complete":
            batch.statuses[event.key] = "duplicate" if event.key in keys else "created"
    for index, event in enumerate(events):
        if event.lifecycle == "start":
            closing = next((later for later in events[index + 1:]
                            if later.lifecycle == "complete" and later.activity == event.activity), None)
            batch.statuses[event.key] = batch.statuses[closing.key] if closing is not None else "created"


def apply_report(batch: Batch, skipped: list[str]) -> None:
    """The events ``ingest`` skipped as already recorded (where they came from) are duplicates."""
    for where in skipped:
        event_id = batch.where_to_event.get(where)
        if event_id is not None:
            batch.statuses[event_id] = "duplicate"


def problems_from_ingest(batch: Batch, errors: list[IngestError]) -> list[Problem]:
    """The bulk path's errors named by event id and JSON field."""
    fields = {_("Time"): "timestamp", _("Step"): "activity", _("Lifecycle"): "lifecycle",
              _("Received at"): "received_at", _("Result ready at"): "result_ready_at",
              _("Returned at"): "returned_at", _("Outcome"): "outcome", _("Procedure code"): "procedure_code",
              _("Dossier code"): "dossier_code"}
    return [Problem(batch.where_to_event.get(error.where), fields.get(error.column, error.column), error.value,
                    error.rule) for error in errors]
