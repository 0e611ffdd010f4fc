"""Dossier event logs out of the application, as XES (IEEE 1849) and CSV, for process-mining tools
(issue 5, output; ISO 9001:2008 clause 8.4: analysis of the processes' data).

One trace per dossier, in the order of receipt. Each finished step run is a ``complete`` event at
its finish time, preceded by a ``start`` event at its start when that differs from the event before
it (a step of a complete-only log starts when the previous one ends; a start event says otherwise);
a step still running is a lone ``start``. The events carry the step code, the unit, the allotted and
the used working time (units, 480 a working day) and the result. The XES is marked as this
application's, so ``xes.import_xes`` reads it back with the same codes, times and figures.

Both writers are generators over dossiers read in chunks (keyset pagination): a million events
stream out without sitting in memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from xml.sax.saxutils import quoteattr

from sqlalchemy import select

from processes.dossiers.models import Dossier, StepRun
from processes.dossiers.xes import EXPORT_MARK, EXPORT_SOURCE
from processes.models import AdministrativeProcedure
from qms.exports import FORMULA_TRIGGERS
from qms.extensions import db
from qms.org.models import Unit
from qms.timeutil import agency_zone, local_midnight_utc

CHUNK = 500
CSV_HEADER = ("case_id", "activity", "timestamp", "lifecycle", "resource", "step_code", "unit", "allotted_units",
              "used_units", "result")
XES_EXTENSIONS = (("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
                  ("Time", "time", "http://www.xes-standard.org/time.xesext"),
                  ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
                  ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
                  ("Identity", "identity", "http://www.xes-standard.org/identity.xesext"))
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class ExportFilter:
    """Which dossiers: a procedure (or an observed process), received between two local dates (inclusive)."""

    procedure_code: str = ""
    activity_set: str = ""
    received_from: date | None = None
    received_to: date | None = None


@dataclass
class LogEvent:
    """One event of the exported log (a row of the CSV)."""

    case_id: str
    activity: str
    at: datetime
    lifecycle: str
    resource: str
    step_code: str
    unit: str
    allotted: float | None
    used: float | None
    result: str
    key: str


def _dossier_query(selection: ExportFilter):
    query = select(Dossier.id, Dossier.code, Dossier.procedure_id, Dossier.activity_set, Dossier.channel,
                   Dossier.received_at, Dossier.result_ready_at, Dossier.returned_at, Dossier.outcome,
                   Dossier.used_units, Dossier.timeliness)
    if selection.procedure_code:
        query = query.join(AdministrativeProcedure, AdministrativeProcedure.id == Dossier.procedure_id) \
            .where(AdministrativeProcedure.code == selection.procedure_code)
    if selection.activity_set:
        query = query.where(Dossier.activity_set == selection.activity_set)
    if selection.received_from is not None:
        query = query.where(Dossier.received_at >= local_midnight_utc(selection.received_from))
    if selection.received_to is not None:
        query = query.where(Dossier.received_at < local_midnight_utc(date.fromordinal(
            selection.received_to.toordinal() + 1)))
    return query


def _chunks(selection: ExportFilter) -> Iterator[tuple[list, dict[int, list]]]:
    """Dossiers (rows) in chunks by id, each with its step runs in order."""
    query = _dossier_query(selection)
    last_id = 0
    while True:
        dossiers = db.session.execute(query.where(Dossier.id > last_id).order_by(Dossier.id).limit(CHUNK)).all()
        if not dossiers:
            return
        last_id = dossiers[-1].id
        runs: dict[int, list] = {row.id: [] for row in dossiers}
        for run in db.session.execute(
                select(StepRun.dossier_id, StepRun.position, StepRun.step_code, StepRun.activity, StepRun.unit_id,
                       StepRun.handler, StepRun.started_at, StepRun.finished_at, StepRun.allotted_units,
                       StepRun.used_units, StepRun.result, StepRun.event_key)
                .where(StepRun.dossier_id.in_(list(runs))).order_by(StepRun.dossier_id, StepRun.position)):
            runs[run.dossier_id].append(run)
        yield dossiers, runs


def _value(enum_or_text) -> str:
    return "" if enum_or_text is None else str(getattr(enum_or_text, "value", enum_or_text))


def trace_events(dossier, runs: list, units: dict[int, str]) -> list[LogEvent]:
    """The events of one dossier in time order, as ``ingest`` reads them back to the same step runs."""
    events: list[tuple[datetime, int, int, LogEvent]] = []
    previous = dossier.received_at
    finished = sorted((r for r in runs if r.finished_at is not None), key=lambda r: (r.finished_at, r.position))
    running = [r for r in runs if r.finished_at is None]
    for order, run in enumerate(finished + running):
        unit = units.get(run.unit_id, "")
        result = _value(run.result)
        common = dict(case_id=dossier.code, activity=run.activity, resource=run.handler, step_code=run.step_code,
                      unit=unit, allotted=run.allotted_units, result=result)
        if run.finished_at is None or run.started_at != previous:
            events.append((run.started_at, 0, order, LogEvent(at=run.started_at, lifecycle="start", used=None,
                                                              key=f"{run.event_key}#start" if run.event_key else "",
                                                              **common)))
        if run.finished_at is not None:
            events.append((run.finished_at, 1, order, LogEvent(at=run.finished_at, lifecycle="complete",
                                                               used=run.used_units, key=run.event_key, **common)))
            previous = run.finished_at
    return [event for *_order, event in sorted(events, key=lambda e: e[:3])]


def _iso(moment: datetime, zone) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(zone)
    return local.isoformat(timespec="milliseconds" if local.microsecond % 1000 == 0 else "microseconds")


def _lookups() -> tuple[dict[int, str], dict[int, str]]:
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    procedures = dict(db.session.execute(select(AdministrativeProcedure.id, AdministrativeProcedure.code)).all())
    return units, procedures


# XES --------------------------------------------------------------------------------------------------


def _text(value) -> str:
    return quoteattr(_NOT_XML.sub("", str(value)))


def _attr(kind: str, key: str, value) -> str:
    return f"<{kind} key={_text(key)} value={_text(value)}/>"


def _number(value: float) -> str:
    return repr(float(value))


def xes_document(selection: ExportFilter, *, log_name: str = "dossiers") -> Iterator[str]:
    """The XES document of the selected dossiers, piece by piece (one piece per trace)."""
    zone = agency_zone()
    units, procedures = _lookups()
    head = ['<?xml version="1.0" encoding="UTF-8"?>\n',
            '<log xes.version="1.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n']
    head += [f"  <extension name={_text(n)} prefix={_text(p)} uri={_text(u)}/>\n" for n, p, u in XES_EXTENSIONS]
    head += ['  <global scope="trace">', _attr("string", "concept:name", "UNKNOWN"), "</global>\n",
             '  <global scope="event">', _attr("string", "concept:name", "UNKNOWN"),
             _attr("date", "time:timestamp", "1970-01-01T00:00:00.000+00:00"),
             _attr("string", "lifecycle:transition", "complete"), "</global>\n",
             '  <classifier name="Activity" keys="concept:name"/>\n',
             '  <classifier name="Activity_lifecycle" keys="concept:name lifecycle:transition"/>\n',
             '  <classifier name="Resource" keys="org:resource"/>\n',
             "  ", _attr("string", "concept:name", log_name), "\n",
             "  ", _attr("string", EXPORT_MARK, EXPORT_SOURCE), "\n",
             "  ", _attr("string", "lifecycle:model", "standard"), "\n"]
    yield "".join(head)
    for dossiers, runs in _chunks(selection):
        for dossier in dossiers:
            yield _xes_trace(dossier, runs[dossier.id], units, procedures, zone)
    yield "</log>\n"


def _xes_trace(dossier, runs: list, units, procedures, zone) -> str:
    parts = ["  <trace>", _attr("string", "concept:name", dossier.code)]
    if dossier.procedure_id is not None:
        parts.append(_attr("string", "qms:procedure", procedures.get(dossier.procedure_id, "")))
    elif dossier.activity_set:
        parts.append(_attr("string", "qms:activitySet", dossier.activity_set))
    parts.append(_attr("string", "qms:channel", _value(dossier.channel)))
    for key, moment in (("qms:receivedAt", dossier.received_at), ("qms:resultReadyAt", dossier.result_ready_at),
                        ("qms:returnedAt", dossier.returned_at)):
        if moment is not None:
            parts.append(_attr("date", key, _iso(moment, zone)))
    if dossier.outcome is not None:
        parts.append(_attr("string", "qms:outcome", _value(dossier.outcome)))
    if dossier.used_units is not None:
        parts.append(_attr("float", "qms:usedUnits", _number(dossier.used_units)))
    if dossier.timeliness is not None:
        parts.append(_attr("string", "qms:timeliness", _value(dossier.timeliness)))
    parts.append("\n")
    for event in trace_events(dossier, runs, units):
        parts += ["    <event>", _attr("string", "concept:name", event.activity),
                  _attr("string", "lifecycle:transition", event.lifecycle),
                  _attr("date", "time:timestamp", _iso(event.at, zone))]
        if event.key:
            parts.append(_attr("id", "identity:id", event.key))
        if event.resource:
            parts.append(_attr("string", "org:resource", event.resource))
        if event.unit:
            parts.append(_attr("string", "org:group", event.unit))
        if event.step_code:
            parts.append(_attr("string", "qms:stepCode", event.step_code))
        if event.allotted is not None:
            parts.append(_attr("float", "qms:allottedUnits", _number(event.allotted)))
        if event.used is not None:
            parts.append(_attr("float", "qms:usedUnits", _number(event.used)))
        if event.result:
            parts.append(_attr("string", "qms:result", event.result))
        parts.append("</event>\n")
    parts.append("  </trace>\n")
    return "".join(parts)


# CSV --------------------------------------------------------------------------------------------------


def _safe(text: str) -> str:
    """Text a spreadsheet would read as a formula is written as text (STYLE.md rule 6)."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_document(selection: ExportFilter) -> Iterator[str]:
    """The CSV event log (UTF-8, header row, one row per event), a chunk of dossiers at a time."""
    zone = agency_zone()
    units, _procedures = _lookups()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for dossiers, runs in _chunks(selection):
        for dossier in dossiers:
            writer.writerows(_csv_rows(trace_events(dossier, runs[dossier.id], units), zone))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csv_rows(events: Iterable[LogEvent], zone) -> Iterator[tuple]:
    for e in events:
        yield (_safe(e.case_id), _safe(e.activity), _iso(e.at, zone), e.lifecycle, _safe(e.resource),
               _safe(e.step_code), _safe(e.unit), "" if e.allotted is None else _number(e.allotted),
               "" if e.used is None else _number(e.used), e.result)
