"""The bulk path of every import (issue 5): the same figures as the browser path, all or nothing, idempotent."""

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, inspect, select

from processes.dossiers import ingest_target
from processes.dossiers import services as dossiers
from processes.dossiers.ingest import DossierInput, IngestRefused, StepEvent, ingest
from processes.dossiers.models import Dossier, DossierStatus, StepRun, Timeliness
from qms.extensions import db
from qms.timeutil import agency_zone
from tests.process_samples import approve, draft_first_version, setup_people

NOW = datetime(2024, 7, 1, 9, 0, tzinfo=agency_zone())
HANDOVERS = [(2024, 4, 25, 15, 40), (2024, 4, 26, 8, 30), (2024, 5, 17, 16, 0), (2024, 5, 21, 10, 15),
             (2024, 5, 23, 16, 20), (2024, 5, 24, 9, 10), (2024, 5, 24, 15, 0)]


def local(*parts):
    return datetime(*parts, tzinfo=agency_zone())


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def procedure(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    return procedure


def sample(code="000.00.17.H99-240425-0007", **values) -> DossierInput:
    events = [StepEvent(activity=f"B{n}", at=local(*stamp), where=f"Sự kiện!R{n + 1}")
              for n, stamp in enumerate(HANDOVERS, start=1)]
    data = {"code": code, "where": "Sự kiện!R2", "procedure_code": "1.004470", "applicant_name": "Công ty An Phú",
            "received_at": local(2024, 4, 25, 14, 30), "result_ready_at": local(2024, 5, 24, 9, 10),
            "returned_at": local(2024, 5, 24, 15, 0), "events": events}
    data.update(values)
    return DossierInput(**data)


def run(inputs):
    with force_locale("en"):  # the assertions read the English messages
        report = ingest(inputs, source="import", actor_name="test", now=NOW, label="test.xlsx")
    db.session.commit()
    return report


def test_the_bulk_path_measures_like_the_browser_path(people, procedure):
    report = run([sample()])
    assert (report.dossiers_created, report.steps_created) == (1, 7)
    bulk = db.session.scalar(select(Dossier).where(Dossier.code == "000.00.17.H99-240425-0007"))
    assert bulk.due_at == local(2024, 5, 27, 14, 30) and bulk.status == DossierStatus.RETURNED
    assert bulk.timeliness == Timeliness.EARLY
    browser = dossiers.receive_dossier({"code": "000.00.17.H99-240425-0099", "procedure_id": procedure.id,
                                        "applicant_name": "Công ty An Phú", "received_at": local(2024, 4, 25, 14, 30)},
                                       actor=people["officer"], now=NOW)
    for stamp in HANDOVERS:
        dossiers.finish_step(browser, actor=people["officer"], at=local(*stamp), now=NOW)
    db.session.commit()
    db.session.expire_all()
    pairs = zip(sorted(bulk.steps, key=lambda r: r.position), sorted(browser.steps, key=lambda r: r.position))
    for a, b in pairs:
        assert (a.step_code, a.result, a.deadline_at, a.finished_at) == (b.step_code, b.result, b.deadline_at,
                                                                         b.finished_at)
        assert a.used_units == pytest.approx(b.used_units)
    assert bulk.used_units == pytest.approx(browser.used_units)


def test_importing_again_changes_nothing_and_new_events_are_appended(people, procedure):
    first = sample(returned_at=None, result_ready_at=None)
    first.events = first.events[:3]
    run([first])
    again = run([first])
    assert not again.changed and again.dossiers_unchanged == 1
    later = run([sample()])
    assert later.dossiers_updated == 1 and later.steps_created == 4
    dossier = db.session.scalar(select(Dossier))
    assert dossier.status == DossierStatus.RETURNED and [r.position for r in dossier.steps] == list(range(7))


def test_every_error_is_reported_and_nothing_is_written(people, procedure):
    bad_order = sample(code="A-1")
    bad_order.events[3].at = local(2024, 4, 20, 9, 0)
    future = sample(code="A-2", returned_at=NOW + timedelta(days=2))
    unknown = sample(code="A-3")
    unknown.events[1].activity = "Thẩm định lại"
    early_return = sample(code="A-4", returned_at=local(2024, 4, 1, 9, 0))
    with pytest.raises(IngestRefused) as refused:
        run([sample(code="OK-1"), bad_order, future, unknown, early_return])
    db.session.rollback()
    rules = [str(error) for error in refused.value.report.errors]
    assert any("Sự kiện!R5" in text and "out of order" in text for text in rules)
    assert any("future" in text for text in rules)
    assert any("Thẩm định lại" in text for text in rules)
    assert any("before the dossier was received" in text for text in rules)
    assert db.session.scalar(select(func.count(Dossier.id))) == 0
    assert db.session.scalar(select(func.count(StepRun.id))) == 0


def test_an_observed_process_without_a_map(people):
    log = DossierInput(code="case-1", activity_set="receipt.xes", events=[
        StepEvent("Confirmation of receipt", local(2024, 5, 2, 8, 0)),
        StepEvent("T02 Check confirmation of receipt", local(2024, 5, 2, 9, 0))])
    run([log])
    steps = db.session.scalars(select(StepRun).order_by(StepRun.position)).all()
    assert [s.used_units for s in steps] == [0.0, pytest.approx(60 * 480 / 450)]
    assert steps[1].result is None and steps[1].step_id is None


def _schema():
    inspector = inspect(db.engine)
    return {table: (sorted(index["name"] for index in inspector.get_indexes(table)),
                    sorted(key["name"] for key in inspector.get_foreign_keys(table)))
            for table in ("step_runs", "dossiers")}


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_a_large_import_rebuilds_the_indexes_and_keys_it_dropped(people, procedure, monkeypatch, outcome):
    """A large import (here: from 5 step runs) into nearly empty tables drops the secondary indexes (and, on
    PostgreSQL, step_runs' foreign keys) while it writes and builds them again before its end; a rollback
    brings them back too."""
    monkeypatch.setattr(ingest_target, "BULK_ROWS", 5)
    monkeypatch.setattr(ingest_target, "THREAD_EVENTS", 1)  # written in the writer thread, as a large file is
    db.session.commit()
    before = _schema()
    assert before["step_runs"][0] and before["step_runs"][1]
    dropped = []
    original = ingest_target.Target.restore_indexes

    def spy(self):
        dropped.append(len(self.dropped))
        original(self)

    monkeypatch.setattr(ingest_target.Target, "restore_indexes", spy)
    with force_locale("en"):
        report = ingest([sample(f"000.00.17.H99-240425-{n:04d}") for n in range(1, 4)], source="import",
                        actor_name="test", now=NOW, label="lon.csv")
    assert dropped and dropped[0] >= len(before["step_runs"][0]) + len(before["dossiers"][0]) - 2
    getattr(db.session, outcome)()
    assert _schema() == before
    expected = (3, 21) if outcome == "commit" else (0, 0)
    assert (db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id)))) \
        == expected
    if outcome == "commit":
        assert report.steps_created == 21
