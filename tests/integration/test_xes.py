"""XES event logs in and out (issue 5): the real logs of ../shared/data import, start/complete are honoured,
activities are matched to a procedure's steps or refused by name, and an export reads back to the same figures."""

import csv
import gzip
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask_babel import force_locale
from lxml import etree
from sqlalchemy import func, select

from processes.dossiers.ingest import IngestRefused
from processes.dossiers.models import Dossier, DossierStatus, StepRun
from processes.dossiers.xes import XesOptions, import_xes
from processes.dossiers.xes_export import CSV_HEADER, ExportFilter, csv_document, xes_document
from qms.calendar.engine import Weighting
from qms.calendar.services import working_clock
from qms.extensions import db
from qms.timeutil import agency_zone
from tests.process_samples import approve, draft_first_version, setup_people

DATA = Path(__file__).resolve().parents[1] / "data" / "event_logs"  # copies of ../shared/data
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
LOGS = {"receipt.xes.gz": (1434, 8577), "reviewing.xes.gz": (100, 3730), "running-example.xes": (6, 42)}



def run_import(source, name, **options):
    with force_locale("en"):
        report = import_xes(source, XesOptions(log_name=name, **options), actor_name="test", now=NOW)
    db.session.commit()
    return report


def refused(source, name, **options) -> list[str]:
    with force_locale("en"), pytest.raises(IngestRefused) as error:
        import_xes(source, XesOptions(log_name=name, **options), actor_name="test", now=NOW)
    db.session.rollback()
    return [str(e) for e in error.value.report.errors]


def counts():
    return (db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id))))


@pytest.mark.parametrize("name", sorted(LOGS))
def test_the_real_logs_import_as_observed_processes(ctx, name):
    traces, events = LOGS[name]
    report = run_import(DATA / name, name)
    assert (report.traces, report.events) == (traces, events)
    created = report.ingest.steps_created  # a step run per complete event
    assert created == events - (1452 if name == "reviewing.xes.gz" else 0)  # its start events open steps
    assert report.ingest.dossiers_created == traces
    dossiers = db.session.scalars(select(Dossier)).all()
    assert all(d.procedure_id is None and d.activity_set == report.log_name and d.source == "xes" for d in dossiers)
    stem = name.split(".")[0]
    assert all(d.code.startswith(f"{stem}-") for d in dossiers)
    assert counts() == (traces, created)
    again = run_import(DATA / name, name)
    assert not again.ingest.changed and again.ingest.dossiers_unchanged == traces
    assert counts() == (traces, created)


def test_receipt_counts_every_event_as_a_step(ctx):
    report = run_import(DATA / "receipt.xes.gz", "receipt.xes.gz")
    assert report.ingest.steps_created == 8577 and not report.skipped
    first = db.session.scalar(select(Dossier).where(Dossier.code == "receipt-case-10011"))
    assert first is not None and first.received_at == min(step.finished_at for step in first.steps)
    assert first.steps[0].used_units == 0.0  # a case's first event: nothing before it


def test_reviewing_honours_start_and_complete(ctx):
    report = run_import(DATA / "reviewing.xes.gz", "reviewing.xes.gz")
    assert report.ingest.steps_created == 2278  # one step run per complete event; the 1,452 starts open them
    dossier = db.session.scalar(select(Dossier).where(Dossier.code == "reviewing-1"))
    steps = {s.finished_at: s for s in dossier.steps}
    invite = dossier.steps[0]
    assert (invite.activity, invite.handler) == ("invite reviewers", "Mike")
    assert invite.started_at == cet(2006, 1, 1) == dossier.received_at and invite.finished_at == cet(2006, 1, 6)
    review = dossier.steps[1]  # "get review 2" has no start event: it lasts from the previous event
    assert review.activity == "get review 2" and review.started_at == invite.finished_at
    decide = steps[cet(2006, 2, 19)]  # started 14/02, a fortnight after the previous event (31/01)
    assert decide.activity == "decide" and decide.started_at == cet(2006, 2, 14)
    clock = working_clock(Weighting.DAY)
    assert decide.used_units == pytest.approx(clock.between(cet(2006, 2, 14), cet(2006, 2, 19)))
    assert 0 < decide.used_units < clock.between(cet(2006, 1, 31), cet(2006, 2, 19))


def cet(*day):
    return datetime(*day, tzinfo=timezone(timedelta(hours=1)))


def test_a_chosen_procedure_refuses_unmatched_activities_by_name(ctx, make_user):
    people = setup_people(make_user)
    _procedure, version = draft_first_version(people)
    approve(people, version, at=datetime(2010, 1, 4, 2, tzinfo=timezone.utc))
    errors = refused(DATA / "running-example.xes", "running-example.xes", procedure_code="1.004470")
    assert any("register request" in e and "1.004470 has no step" in e for e in errors)
    assert any("examine casually" in e for e in errors)
    assert len([e for e in errors if "register request" in e]) == 1  # one error per activity, not per event
    assert counts() == (0, 0)


def test_a_log_matched_to_the_steps_of_a_procedure(ctx, make_user):
    people = setup_people(make_user)
    _procedure, version = draft_first_version(people)
    approve(people, version, at=datetime(2024, 4, 1, 2, tzinfo=timezone.utc))
    log = _log([("d1", [("B1", "2024-04-25T15:40:00+07:00", "complete"),
                        ("Phân công thụ lý", "2024-04-26T08:30:00.000+07:00", "complete"),
                        ("b3", "2024-05-02T08:00:00+07:00", "start"),
                        ("b3", "2024-05-17T16:00:00+07:00", "complete"),
                        ("B4", "2024-05-18T09:00:00+07:00", "assign")])])
    report = run_import(io.BytesIO(log), "onestop.xes", procedure_code="1.004470")
    assert report.skipped == {"assign": 1} and report.ingest.steps_created == 3
    dossier = db.session.scalar(select(Dossier))
    assert dossier.code == "onestop-d1" and dossier.procedure.code == "1.004470" and dossier.due_at is not None
    assert [s.step_code for s in dossier.steps] == ["B1", "B2", "B3"]
    assert dossier.steps[2].started_at == datetime(2024, 5, 2, 1, tzinfo=timezone.utc)
    assert all(s.result is not None for s in dossier.steps)


def test_malformed_logs_are_refused_with_a_clear_message(ctx):
    broken = b'<?xml version="1.0"?><log xes.version="1.0"><trace><string key="concept:name" value="a"/>\n<event>'
    errors = refused(io.BytesIO(broken), "broken.xes")
    assert len(errors) == 1 and "not well-formed XML" in errors[0] and "line" in errors[0]
    errors = refused(io.BytesIO(b"<html><body/></html>"), "page.xes")
    assert "not an XES event log" in errors[0]
    errors = refused(io.BytesIO(gzip.compress(b"<log>")[:12]), "cut.xes.gz")
    assert "XML" in errors[0] or "gzip" in errors[0]
    errors = refused(io.BytesIO(_log([("a", [("x", "yesterday", "complete"), ("", "2024-01-01T00:00:00Z", "")])])),
                     "bad.xes")
    assert any("trace 'a' event 1" in e and "xs:dateTime" in e for e in errors)
    assert any("trace 'a' event 2" in e and "no activity" in e for e in errors)
    errors = refused(io.BytesIO(_log([("a", [("x", "1999-01-01T00:00:00Z", "complete")])])), "old.xes")
    assert "working calendar starts" in errors[0]
    assert counts() == (0, 0)


def test_namespace_globals_and_nested_attributes(ctx):
    document = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <string key="concept:name" value="tiny"/>
  <global scope="event"><string key="lifecycle:transition" value="complete"/>
    <string key="org:resource" value="Lan"/></global>
  <trace><string key="concept:name" value="t1"/>
    <event><string key="concept:name" value="Nhận"><string key="note" value="nested"/></string>
      <date key="time:timestamp" value="2024-03-04T08:00:00.123+07:00"/></event>
    <event><string key="concept:name" value="Trả"/><string key="org:resource" value="Minh"/>
      <date key="time:timestamp" value="2024-03-04T09:00:00Z"/></event>
  </trace>
</log>""".encode("utf-8")
    report = run_import(io.BytesIO(document), "tiny.xes")
    dossier = db.session.scalar(select(Dossier))
    assert report.log_name == "tiny" and dossier.code == "tiny-t1" and dossier.activity_set == "tiny"
    assert [(s.activity, s.handler) for s in dossier.steps] == [("Nhận", "Lan"), ("Trả", "Minh")]
    assert dossier.steps[0].finished_at == datetime(2024, 3, 4, 1, 0, 0, 123000, tzinfo=timezone.utc)


def test_export_then_import_gives_the_same_figures(ctx, tmp_path):
    run_import(DATA / "reviewing.xes.gz", "reviewing.xes.gz")
    run_import(DATA / "running-example.xes", "running-example.xes")
    before = _figures()
    path = tmp_path / "export.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(xes_document(ExportFilter()))
    again = run_import(path, "export.xes.gz")  # into the same database: everything is known
    assert not again.ingest.changed
    for table in (StepRun.__table__, Dossier.__table__):
        db.session.execute(table.delete())
    db.session.commit()
    report = run_import(path, "export.xes.gz")
    assert report.ingest.dossiers_created == 106 and report.ingest.steps_created == 2278 + 42
    after = _figures()
    assert after.keys() == before.keys()
    for key, (used, started, finished, activity) in before.items():
        assert after[key][1:] == (started, finished, activity)
        assert after[key][0] == pytest.approx(used, abs=1e-6)
    assert {d.activity_set for d in db.session.scalars(select(Dossier))} == {"reviewing.mxml", "running-example.xes"}


def test_exported_xes_is_valid_and_csv_has_the_columns(ctx):
    run_import(DATA / "running-example.xes", "running-example.xes")
    document = "".join(xes_document(ExportFilter(received_from=date(2010, 12, 30), received_to=date(2011, 1, 5))))
    schema = etree.XMLSchema(etree.fromstring(XES_SCHEMA))
    root = etree.fromstring(document.encode("utf-8"))
    schema.assertValid(root)
    traces = root.findall("{http://www.xes-standard.org/}trace")
    assert len(traces) == 3  # three of the six cases were received on 30/12/2010, three on 06/01/2011
    rows = list(csv.reader(io.StringIO("".join(csv_document(ExportFilter())))))
    assert tuple(rows[0]) == CSV_HEADER and len(rows) == 43
    first = rows[1]
    stamp = datetime.fromisoformat(first[2])
    assert stamp.utcoffset() == agency_zone().utcoffset(stamp.replace(tzinfo=None)) and first[3] == "complete"
    assert first[8] == "0.0" and first[0].startswith("running-example-")


def test_csv_cells_never_become_formulas(ctx):
    run_import(io.BytesIO(_log([("=1+1", [("@SUM(A1)", "2024-03-04T08:00:00+07:00", "complete")])])), "x.xes",
               code_prefix="")
    rows = list(csv.reader(io.StringIO("".join(csv_document(ExportFilter())))))
    assert rows[1][0] == "'=1+1" and rows[1][1] == "'@SUM(A1)"


def test_dossiers_of_an_export_keep_their_dates(ctx):
    document = _log([("d9", [("Nhận", "2024-03-04T08:00:00+07:00", "complete")])],
                    trace_extra='<date key="qms:receivedAt" value="2024-03-01T08:00:00+07:00"/>'
                                '<date key="qms:returnedAt" value="2024-03-05T08:00:00+07:00"/>',
                    log_extra='<string key="qms:source" value="qms-tthc"/>')
    run_import(io.BytesIO(document), "export.xes")
    dossier = db.session.scalar(select(Dossier))
    assert dossier.code == "d9" and dossier.status == DossierStatus.RETURNED
    assert dossier.received_at == datetime(2024, 3, 1, 1, tzinfo=timezone.utc)
    assert dossier.steps[0].started_at == dossier.received_at


def test_the_commands_import_and_export(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-xes", str(DATA / "running-example.xes"), "--prefix", "re-"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert counts() == (6, 42) and db.session.scalar(select(Dossier.code).order_by(Dossier.code)) == "re-1"
    out = tmp_path / "log.csv.gz"
    result = runner.invoke(args=["export-dossiers", "--format", "csv", "--out", str(out), "--from", "30/12/2010",
                                 "--to", "2010-12-30"])
    assert result.exit_code == 0, result.output
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert {row[0] for row in rows[1:]} == {"re-1", "re-2", "re-3"}
    broken = tmp_path / "broken.xes"
    broken.write_bytes(b"<log><trace>")
    result = runner.invoke(args=["import-xes", str(broken)])
    assert result.exit_code == 1 and "broken.xes" in result.output
    assert runner.invoke(args=["import-xes", str(broken), "--as", "nobody"]).exit_code != 0


def _figures() -> dict:
    rows = db.session.execute(select(Dossier.code, StepRun.position, StepRun.used_units, StepRun.started_at,
                                     StepRun.finished_at, StepRun.activity).join(StepRun)).all()
    return {(r.code, r.position): (r.used_units, r.started_at, r.finished_at, r.activity) for r in rows}


def _log(traces, trace_extra="", log_extra="") -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">',
             log_extra]
    for name, events in traces:
        parts.append(f'<trace><string key="concept:name" value="{name}"/>{trace_extra}')
        for activity, stamp, lifecycle in events:
            parts.append(f'<event><string key="concept:name" value="{activity}"/>'
                         f'<date key="time:timestamp" value="{stamp}"/>')
            if lifecycle:
                parts.append(f'<string key="lifecycle:transition" value="{lifecycle}"/>')
            parts.append("</event>")
        parts.append("</trace>")
    parts.append("</log>")
    return "".join(parts).encode("utf-8")


#: The structure of IEEE 1849-2016 (XES) as an XML schema, in the namespace the XES writers use.
XES_SCHEMA = ("""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.xes-standard.org/"
           xmlns="http://www.xes-standard.org/" elementFormDefault="qualified">
  <xs:element name="log" type="Log"/>
  <xs:group name="Attributes"><xs:sequence><xs:choice minOccurs="0" maxOccurs="unbounded">
    <xs:element name="string" type="Text"/><xs:element name="date" type="When"/>
    <xs:element name="int" type="Whole"/><xs:element name="float" type="Real"/>
    <xs:element name="boolean" type="Truth"/><xs:element name="id" type="Text"/>
  </xs:choice></xs:sequence></xs:group>
  <xs:complexType name="Attributable"><xs:group ref="Attributes"/></xs:complexType>
  <xs:complexType name="Keyed"><xs:complexContent><xs:extension base="Attributable">
    <xs:attribute name="key" type="xs:Name" use="required"/></xs:extension></xs:complexContent></xs:complexType>
%(typed)s
  <xs:complexType name="Extension"><xs:attribute name="name" type="xs:NCName" use="required"/>
    <xs:attribute name="prefix" type="xs:NCName" use="required"/>
    <xs:attribute name="uri" type="xs:anyURI" use="required"/></xs:complexType>
  <xs:complexType name="Globals"><xs:group ref="Attributes"/>
    <xs:attribute name="scope" type="xs:NCName"/></xs:complexType>
  <xs:complexType name="Classifier"><xs:attribute name="name" type="xs:NCName" use="required"/>
    <xs:attribute name="scope" type="xs:NCName"/><xs:attribute name="keys" type="xs:token" use="required"/>
  </xs:complexType>
  <xs:complexType name="Log"><xs:sequence>
    <xs:element name="extension" type="Extension" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element name="global" type="Globals" minOccurs="0" maxOccurs="unbounded"/>
    <xs:element name="classifier" type="Classifier" minOccurs="0" maxOccurs="unbounded"/>
    <xs:group ref="Attributes"/>
    <xs:element name="trace" type="Trace" minOccurs="0" maxOccurs="unbounded"/>
  </xs:sequence>
    <xs:attribute name="xes.version" type="xs:decimal" use="required"/>
    <xs:attribute name="xes.features" type="xs:token"/></xs:complexType>
  <xs:complexType name="Trace"><xs:sequence><xs:group ref="Attributes"/>
    <xs:element name="event" type="Attributable" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
</xs:schema>""" % {"typed": "".join(
    f'<xs:complexType name="{name}"><xs:complexContent><xs:extension base="Keyed"><xs:attribute name="value" '
    f'type="xs:{kind}" use="required"/></xs:extension></xs:complexContent></xs:complexType>\n'
    for name, kind in (("Text", "string"), ("When", "dateTime"), ("Whole", "long"), ("Real", "double"),
                       ("Truth", "boolean")))}).encode("utf-8")

