"""Bulk ingestion of dossier records: the one path of every import (.xlsx/.csv, XES, the ingest API).

Readers turn their input into ``DossierInput`` rows, each with its step events in the order the
source gives them. ``ingest`` checks everything first and collects every error with where it
came from (sheet and row, event id), the column, the value and the rule; if one is wrong, nothing
is written. Otherwise it measures every step at once on the working clock (vectorised: a million
events take seconds) and writes plain inserts in the caller's transaction.

Idempotent: a dossier is known by its code and an event by its key (the source's event id, or
activity, lifecycle and time), so importing the same data again writes nothing and says so, and
new events of a known dossier are appended after the ones already recorded.

A step of a complete-only log lasts from the previous event of its dossier (or from receipt) to its
completion, as process-mining tools count it; a ``start`` event, when the source has one, starts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import insert, select

from processes.dossiers.models import Channel, Dossier, DossierStatus, Outcome, StepRun, SupplementPolicy, Timeliness
from processes.dossiers.timing import clock_for
from processes.models import AdministrativeProcedure, ProcessVersion
from processes.queries import ONCE_IN_FORCE
from qms.audit import log as audit
from qms.calendar import services as calendar
from qms.calendar.deadlines import count_start
from qms.calendar.models import CountingConvention
from qms.documents.models import Revision
from qms.extensions import db
from qms.text import fold

MAX_ERRORS = 500
TOLERANCE = 1.0  # working-time units (480 a day): "to the minute"


@dataclass
class StepEvent:
    activity: str  # a step code (B3) or name, or the log's activity
    at: datetime  # aware
    lifecycle: str = "complete"  # start | complete
    handler: str = ""
    key: str = ""  # the source's event id; derived when empty
    where: str = ""  # e.g. "Sự kiện!R12" or "event 8f1c…", for messages

    def event_key(self) -> str:
        return self.key or f"{self.activity}|{self.lifecycle}|{self.at.astimezone(timezone.utc).isoformat()}"


@dataclass
class DossierInput:
    code: str
    where: str = ""
    procedure_code: str = ""  # empty: an observed process without a map
    activity_set: str = ""  # the name of an observed process (a log's name)
    applicant_name: str = ""
    channel: str = Channel.IN_PERSON.value
    received_at: datetime | None = None  # default: the first event
    result_ready_at: datetime | None = None
    returned_at: datetime | None = None
    outcome: str = ""
    events: list[StepEvent] = field(default_factory=list)


@dataclass
class IngestError:
    where: str
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        return f"{self.where} [{self.column}] '{self.value}': {self.rule}"


@dataclass
class IngestReport:
    dossiers_created: int = 0
    dossiers_unchanged: int = 0
    dossiers_updated: int = 0
    steps_created: int = 0
    errors: list[IngestError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.dossiers_created or self.dossiers_updated or self.steps_created)


class IngestRefused(Exception):
    def __init__(self, report: IngestReport):
        super().__init__(f"{len(report.errors)} errors")
        self.report = report


@dataclass
class _Plan:
    """What one dossier's events become: its row (new or known) and its new step runs."""

    source: DossierInput
    dossier_id: int | None
    version: ProcessVersion | None
    received_at: datetime
    runs: list[dict] = field(default_factory=list)


def ingest(inputs: list[DossierInput], *, source: str, actor_name: str, now: datetime, import_id: int | None = None,
           label: str = "") -> IngestReport:
    """Check every input, then write the new dossiers and step runs; raise IngestRefused on any error."""
    report = IngestReport()
    rules = calendar.current_rules()
    procedures = {p.code: p for p in db.session.scalars(select(AdministrativeProcedure))}
    known = _known_dossiers([item.code for item in inputs])
    plans = []
    seen_codes: dict[str, str] = {}
    for item in inputs:
        if len(report.errors) >= MAX_ERRORS:
            break
        plan = _check(item, procedures, known, seen_codes, now, report)
        if plan is not None:
            plans.append(plan)
    if report.errors:
        raise IngestRefused(report)
    clock = clock_for(rules.convention)
    _write(plans, known, clock, rules, source, import_id, report)
    if report.changed:
        audit.record(db.session, "dossiers.import", object_type="dossiers",
                     summary=_("%(label)s: %(created)d dossiers added, %(updated)d updated, %(steps)d steps recorded "
                               "(by %(actor)s)", label=label or source, created=report.dossiers_created,
                               updated=report.dossiers_updated, steps=report.steps_created, actor=actor_name))
    return report


def _known_dossiers(codes: list[str]) -> dict[str, tuple[Dossier, set[str], int]]:
    """The dossiers already recorded among *codes*, with their event keys and next position."""
    known = {}
    unique = list(dict.fromkeys(codes))
    for start in range(0, len(unique), 900):
        chunk = unique[start:start + 900]
        for dossier in db.session.scalars(select(Dossier).where(Dossier.code.in_(chunk))):
            rows = db.session.execute(select(StepRun.event_key, StepRun.position)
                                      .where(StepRun.dossier_id == dossier.id)).all()
            known[dossier.code] = (dossier, {row.event_key for row in rows},
                                   max((row.position for row in rows), default=-1) + 1)
    return known


def _error(report: IngestReport, where: str, column: str, value, rule: str) -> None:
    if len(report.errors) < MAX_ERRORS:
        report.errors.append(IngestError(where, column, "" if value is None else str(value), rule))


def _version_in_force(procedure_id: int, at: datetime) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion).join(Revision, Revision.id == ProcessVersion.revision_id)
        .where(ProcessVersion.procedure_id == procedure_id, Revision.state.in_(ONCE_IN_FORCE),
               Revision.effective_at <= at, (Revision.ended_at.is_(None)) | (Revision.ended_at > at))
        .order_by(Revision.effective_at.desc()).limit(1))


def _check(item: DossierInput, procedures, known, seen_codes, now: datetime, report: IngestReport) -> _Plan | None:
    errors_before = len(report.errors)
    code = (item.code or "").strip()
    if not code:
        _error(report, item.where, _("Dossier code"), item.code, _("The dossier code is required."))
        return None
    if code in seen_codes and seen_codes[code] != item.where:
        _error(report, item.where, _("Dossier code"), code,
               _("The dossier is already in this file at %(where)s.", where=seen_codes[code]))
    seen_codes.setdefault(code, item.where)
    procedure = procedures.get(item.procedure_code.strip()) if item.procedure_code else None
    if item.procedure_code and procedure is None:
        _error(report, item.where, _("Procedure code"), item.procedure_code,
               _("No procedure of the catalogue has this code."))
    times = [e.at for e in item.events]
    received = item.received_at or (min(times) if times else None)
    if received is None:
        _error(report, item.where, _("Received at"), "", _("The time of receipt is required."))
        return None
    for label, moment in ((_("Received at"), received), (_("Result ready at"), item.result_ready_at),
                          (_("Returned at"), item.returned_at)):
        if moment is not None and moment > now:
            _error(report, item.where, label, _stamp(moment), _("A date in the future cannot be recorded."))
    if item.returned_at is not None and item.returned_at < received:
        _error(report, item.where, _("Returned at"), _stamp(item.returned_at),
               _("The result cannot be returned before the dossier was received (%(received)s).",
                 received=_stamp(received)))
    if item.outcome and item.outcome not in {o.value for o in Outcome}:
        _error(report, item.where, _("Outcome"), item.outcome, _("Not a known outcome."))
    version = _version_in_force(procedure.id, received) if procedure is not None else None
    if procedure is not None and version is None:
        _error(report, item.where, _("Received at"), _stamp(received),
               _("%(code)s had no process in force on that date.", code=procedure.code))
    previous = None
    for event in item.events:
        if event.at > now:
            _error(report, event.where or item.where, _("Time"), _stamp(event.at),
                   _("A date in the future cannot be recorded."))
        if event.at < received:
            _error(report, event.where or item.where, _("Time"), _stamp(event.at),
                   _("The event comes before the dossier was received (%(received)s).", received=_stamp(received)))
        if previous is not None and event.at < previous.at:
            _error(report, event.where or item.where, _("Time"), _stamp(event.at),
                   _("Events out of order: this one comes before the previous event of the dossier (%(previous)s).",
                     previous=_stamp(previous.at)))
        if event.lifecycle not in ("start", "complete"):
            _error(report, event.where or item.where, _("Lifecycle"), event.lifecycle,
                   _("Only start and complete events are recorded."))
        previous = event
    if version is not None:
        names = _step_names(version)
        for event in item.events:
            if fold(event.activity) not in names:
                _error(report, event.where or item.where, _("Step"), event.activity,
                       _("%(code)s has no step of this code or name.", code=procedure.code))
    if len(report.errors) > errors_before:
        return None
    known_row = known.get(code)
    return _Plan(source=item, dossier_id=known_row[0].id if known_row else None, version=version, received_at=received)


def _step_names(version: ProcessVersion) -> dict[str, object]:
    names = {}
    for step in version.steps:
        names[fold(step.code)] = step
        names[fold(step.name)] = step
    return names


def _stamp(moment: datetime) -> str:
    return moment.astimezone(calendar.working_clock().zone).strftime("%d/%m/%Y %H:%M")


def _write(plans: list[_Plan], known, clock, rules, source: str, import_id, report: IngestReport) -> None:
    sessions = rules.convention == CountingConvention.SESSIONS
    new_rows = [_dossier_row(plan, clock, rules, sessions, source, import_id) for plan in plans
                if plan.dossier_id is None]
    if new_rows:
        _measure_dossiers(new_rows, clock)
        db.session.execute(insert(Dossier.__table__), new_rows)
        report.dossiers_created = len(new_rows)
    ids = _chunked(select(Dossier.code, Dossier.id), Dossier.code, [p.source.code.strip() for p in plans])
    runs = []
    for plan in plans:
        code = plan.source.code.strip()
        keys, position = (known[code][1], known[code][2]) if code in known else (set(), 0)
        new = _runs_of(plan, ids[code], keys, position)
        if code in known:
            changed = _update_known(known[code][0], plan.source, clock) or bool(new)
            report.dossiers_updated += changed
            report.dossiers_unchanged += not changed
        runs.extend(new)
    if runs:
        due = _chunked(select(Dossier.id, Dossier.due_at), Dossier.id, list({r["dossier_id"] for r in runs}))
        _measure(runs, due, clock)
        db.session.execute(insert(StepRun.__table__), runs)
        report.steps_created = len(runs)


def _update_known(dossier: Dossier, item: DossierInput, clock) -> bool:
    """Dates a later push brings for a dossier already recorded (result ready, returned, outcome)."""
    from processes.dossiers.timing import measure_dossier

    changed = False
    for key in ("result_ready_at", "returned_at"):
        value = getattr(item, key)
        if value is not None and getattr(dossier, key) is None:
            setattr(dossier, key, value)
            changed = True
    if not changed:
        return False
    status, outcome = _status_of(item)
    if dossier.returned_at is not None:
        status = DossierStatus.RETURNED
    if dossier.result_ready_at is None and status in (DossierStatus.RESULT_READY, DossierStatus.RETURNED):
        dossier.result_ready_at = dossier.returned_at
    dossier.status, dossier.outcome = int(status), dossier.outcome or (Outcome(outcome) if outcome else None)
    measure_dossier(dossier, clock)
    db.session.flush()
    return True


def _chunked(query, column, values: list) -> dict:
    """``dict(query.where(column IN values))`` in chunks the databases accept."""
    found = {}
    for start in range(0, len(values), 900):
        found.update(db.session.execute(query.where(column.in_(values[start:start + 900]))).all())
    return found


def _dossier_row(plan: _Plan, clock, rules, sessions: bool, source: str, import_id) -> dict:
    item = plan.source
    limit = plan.version.total_minutes if plan.version is not None else None
    due = clock.at(count_start(clock, plan.received_at, sessions=sessions) + limit) if limit is not None else None
    status, outcome = _status_of(item)
    ready = item.result_ready_at or (item.returned_at if status == DossierStatus.RETURNED else None)
    return {"code": item.code.strip(), "code_is_legacy": not _standard(item.code),
            "procedure_id": plan.version.procedure_id if plan.version is not None else None,
            "version_id": plan.version.id if plan.version is not None else None,
            "activity_set": item.activity_set[:120], "applicant_name": item.applicant_name[:300],
            "applicant_kind": "person", "applicant_address": "", "applicant_phone": "",
            "channel": _channel(item.channel), "received_at": plan.received_at,
            "convention": rules.convention.value, "timeliness_point": rules.timeliness_point.value,
            "supplement_policy": SupplementPolicy.RESTART.value, "limit_minutes": limit, "original_due_at": due,
            "due_at": due, "extended_due_at": None, "result_ready_at": ready, "returned_at": item.returned_at,
            "outcome": outcome, "status": int(status), "used_units": None, "timeliness": None, "source": source,
            "import_id": import_id}


def _standard(code: str) -> bool:
    from processes.dossiers.services import code_is_standard

    return code_is_standard(code.strip())


def _channel(value: str) -> str:
    return value if value in {c.value for c in Channel} else Channel.IN_PERSON.value


def _status_of(item: DossierInput) -> tuple[DossierStatus, str | None]:
    if item.returned_at is not None:
        return DossierStatus.RETURNED, item.outcome or Outcome.ISSUED.value
    if item.outcome == Outcome.WITHDRAWN.value:
        return DossierStatus.WITHDRAWN, item.outcome
    if item.outcome == Outcome.STOPPED.value:
        return DossierStatus.STOPPED, item.outcome
    if item.result_ready_at is not None:
        return DossierStatus.RESULT_READY, item.outcome or Outcome.ISSUED.value
    return DossierStatus.IN_PROGRESS, item.outcome or None


def _runs_of(plan: _Plan, dossier_id: int, keys: set[str], position: int) -> list[dict]:
    """Step runs from the events: a complete event closes the step its start event (or the previous event) began."""
    steps = _step_names(plan.version) if plan.version is not None else {}
    after = _allotment_after(plan.version)
    runs = []
    previous_at = plan.received_at
    started: dict[str, datetime] = {}
    for event in plan.source.events:
        if event.lifecycle == "start":
            started[event.activity] = event.at
            continue
        begin = started.pop(event.activity, previous_at)
        previous_at = event.at
        key = event.event_key()[:120]
        if key in keys:
            continue
        step = steps.get(fold(event.activity))
        runs.append({"dossier_id": dossier_id, "position": position, "step_id": step.id if step else None,
                     "step_code": step.code if step else "", "activity": (step.name if step else event.activity)[:200],
                     "unit_id": step.unit_id if step else None, "handler": event.handler[:200], "handler_id": None,
                     "from_label": "", "to_label": _responsible(step)[:200], "started_at": begin,
                     "finished_at": event.at, "allotted_units": float(step.allotted_minutes) if step else None,
                     "note": "", "event_key": key, "_after": after.get(step.id) if step else None})
        keys.add(key)
        position += 1
    return runs


def _responsible(step) -> str:
    if step is None:
        return ""
    return step.unit.name if step.unit is not None else step.performer


def _allotment_after(version: ProcessVersion | None) -> dict[int, float]:
    """For each step, the allotments of the steps after it (the plan counts back from the due date)."""
    if version is None:
        return {}
    minutes = [step.allotted_minutes for step in version.steps]
    return {step.id: float(sum(minutes[i + 1:])) for i, step in enumerate(version.steps)}


def _epoch(moments) -> np.ndarray:
    return np.array([m.timestamp() if m is not None else np.nan for m in moments], dtype=np.float64)


def _datetimes(seconds: np.ndarray) -> list[datetime | None]:
    return [None if np.isnan(x) else datetime.fromtimestamp(round(float(x), 6), tz=timezone.utc) for x in seconds]


def _measure(runs: list[dict], due_by_id: dict[int, datetime], clock) -> None:
    """Used time, plan deadline and result of every new step run, all at once on the clock."""
    starts = clock.clock_many(_epoch([r["started_at"] for r in runs]))
    ends = clock.clock_many(_epoch([r["finished_at"] for r in runs]))
    after = np.array([np.nan if r["_after"] is None else r["_after"] for r in runs], dtype=np.float64)
    due = _epoch([due_by_id.get(r["dossier_id"]) for r in runs])
    planned = ~np.isnan(after) & ~np.isnan(due)
    deadline_units = np.full(len(runs), np.nan)
    deadline_units[planned] = clock.clock_many(due[planned]) - after[planned]
    deadline = np.full(len(runs), np.nan)
    deadline[planned] = clock.at_many(deadline_units[planned])
    margin = deadline_units - ends
    results = np.where(margin < -TOLERANCE, Timeliness.LATE.value,
                       np.where(margin <= TOLERANCE, Timeliness.ON_TIME.value, Timeliness.EARLY.value))
    for run, used, when, result, has_plan in zip(runs, ends - starts, _datetimes(deadline), results, planned):
        del run["_after"]
        run["used_units"], run["deadline_at"] = float(used), when
        run["result"] = str(result) if has_plan else None


def _measure_dossiers(rows: list[dict], clock) -> None:
    """Used time and timeliness (by day, against the due date) of the new dossiers at their measuring point."""
    points = [(row["returned_at"] if row["timeliness_point"] == "returned" else
               row["result_ready_at"] or row["returned_at"]) for row in rows]
    measured = [i for i, point in enumerate(points) if point is not None]
    if not measured:
        return
    received = clock.clock_many(_epoch([rows[i]["received_at"] for i in measured]))
    reached = clock.clock_many(_epoch([points[i] for i in measured]))
    zone = clock.zone
    for index, used in zip(measured, reached - received):
        row, point = rows[index], points[index]
        row["used_units"] = float(used)
        due = row["due_at"]
        if due is not None:
            row["timeliness"] = (Timeliness.LATE if point > due else Timeliness.ON_TIME
                                 if point.astimezone(zone).date() == due.astimezone(zone).date()
                                 else Timeliness.EARLY).value
