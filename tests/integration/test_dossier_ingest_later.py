"""Later imports of dossiers already recorded (issue 5, review defects): a second file or a later push is measured
from what is stored, exactly as if every event had come in one batch; lone start events are open steps; codes
and procedures of the bulk path are checked like the browser's; every malformed input is refused whole."""

import io
from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from processes.dossiers import import_jobs, importing
from processes.dossiers.import_models import DossierImport, ImportStatus
from processes.dossiers.importing_mapping import suggest
from processes.dossiers.models import Dossier, DossierStatus, StepRun
from qms.extensions import db
from qms.timeutil import agency_zone
from tests.integration.test_xes import _log
from tests.process_samples import approve, draft_first_version, setup_people

HANDOVERS = ["25/04/2024 15:40", "26/04/2024 08:30", "17/05/2024 16:00", "21/05/2024 10:15", "23/05/2024 16:20",
             "24/05/2024 09:10", "24/05/2024 15:00"]
HEADER = "Mã hồ sơ;Mã TTHC;Ngày tiếp nhận;Ngày trả kết quả;Bước;Thời điểm;Loại sự kiện;Người xử lý"
RUN_FIELDS = ("position", "step_code", "started_at", "finished_at", "used_units", "result", "deadline_at",
              "allotted_units")
DOSSIER_FIELDS = ("status", "due_at", "result_ready_at", "returned_at", "outcome", "used_units", "timeliness",
                  "version_id", "procedure_id")


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


def rows(code, steps, returned="", procedure="1.004470", kind="Hoàn thành"):
    """Event rows of *code* for the steps numbered *steps* (1-based), at their handover times."""
    return [f"{code};{procedure};25/04/2024 14:30;{returned};B{n};{HANDOVERS[n - 1]};{kind};Nguyễn Thị Thảo"
            for n in steps]


def run_csv(tmp_path, people, name, lines) -> DossierImport:
    path = tmp_path / name
    path.write_text("\n".join([HEADER] + lines) + "\n", encoding="utf-8")
    with force_locale("en"):
        batch = importing.register_file(path, actor=people["officer"])
        if batch.status == ImportStatus.MAPPING:
            importing.save_mapping(batch, suggest(batch.headers), name="một cửa", actor=people["officer"])
        db.session.commit()
        ident = batch.id
        import_jobs.execute_import(ident, path=path)
    db.session.expire_all()
    return db.session.get(DossierImport, ident)


def stored(code):
    dossier = db.session.scalar(select(Dossier).where(Dossier.code == code))
    runs = [tuple(getattr(run, name) for name in RUN_FIELDS) for run in dossier.steps]
    return tuple(getattr(dossier, name) for name in DOSSIER_FIELDS), runs


def counts():
    return db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id)))


def test_a_second_file_continues_its_dossiers_as_if_in_one_file(people, procedure, tmp_path):
    whole = run_csv(tmp_path, people, "whole.csv", rows("X-1", range(1, 8), returned="24/05/2024 15:00"))
    assert whole.status == ImportStatus.DONE, whole.errors
    first = run_csv(tmp_path, people, "first.csv", rows("X-2", range(1, 4)))
    assert first.status == ImportStatus.DONE, first.errors
    assert db.session.scalar(select(Dossier.status).where(Dossier.code == "X-2")) == DossierStatus.IN_PROGRESS
    second = run_csv(tmp_path, people, "second.csv", rows("X-2", range(4, 8), returned="24/05/2024 15:00"))
    assert second.status == ImportStatus.DONE, second.errors
    assert (second.dossiers_updated, second.steps_created) == (1, 4)
    one, two = stored("X-1"), stored("X-2")
    assert two[1] == one[1]  # started_at, used_units, result, deadline_at of every step
    assert two[0] == one[0] and two[0][0] == DossierStatus.RETURNED
    assert two[1][3][2] == local(2024, 5, 17, 16, 0)  # B4 starts when B3 finished, not at receipt


def test_a_later_file_may_not_go_back_before_what_is_recorded(people, procedure, tmp_path):
    assert run_csv(tmp_path, people, "first.csv", rows("X-3", range(1, 4))).status == ImportStatus.DONE
    earlier = ["X-3;1.004470;25/04/2024 14:30;;B4;02/05/2024 09:00;Hoàn thành;"]  # before B3 (17/05)
    refused = run_csv(tmp_path, people, "earlier.csv", earlier)
    assert refused.status == ImportStatus.REFUSED and counts() == (1, 3)
    assert refused.errors == [["earlier.csv!R2", "Thời điểm", "02/05/2024 09:00",
                               "Events out of order: this one comes before the last recorded event of the dossier "
                               "(17/05/2024 16:00)."]]


def test_a_trace_ending_with_a_start_leaves_its_step_open_and_the_next_log_closes_it(people, procedure):
    events = [("B1", "2024-04-25T15:40:00+07:00", "complete"), ("B2", "2024-04-26T08:30:00+07:00", "complete"),
              ("B3", "2024-05-02T08:00:00+07:00", "start")]
    running = run_xes(_log([("d1", events)]))  # exported while B3 was in progress
    assert (running.ingest.steps_created, running.ingest.steps_opened) == (2, 1)
    b3 = db.session.scalar(select(StepRun).where(StepRun.step_code == "B3"))
    assert (b3.position, b3.started_at, b3.finished_at, b3.used_units, b3.result) == \
        (2, local(2024, 5, 2, 8, 0), None, None, None)
    assert b3.deadline_at is not None
    assert not run_xes(_log([("d1", events)])).ingest.changed  # the same log again: nothing new
    finished = run_xes(_log([("d1", events + [("B3", "2024-05-17T16:00:00+07:00", "complete")])]))
    assert (finished.ingest.steps_created, finished.ingest.steps_closed, finished.ingest.dossiers_updated) == (0, 1, 1)
    whole = run_xes(_log([("d2", events + [("B3", "2024-05-17T16:00:00+07:00", "complete")])]))
    assert whole.ingest.steps_created == 3
    assert counts() == (2, 6)
    assert stored("onestop-d1")[1] == stored("onestop-d2")[1]  # closed where it started, measured as one log


def run_xes(log: bytes):
    from processes.dossiers.xes import XesOptions, import_xes

    with force_locale("en"):
        report = import_xes(io.BytesIO(log), XesOptions(log_name="onestop.xes", procedure_code="1.004470"),
                            actor_name="test", now=local(2024, 7, 1, 9, 0))
    db.session.commit()
    db.session.expire_all()
    return report


def test_codes_too_long_or_blank_are_refused_and_legacy_codes_are_kept_with_a_warning(people, procedure, tmp_path):
    long_code = "000.00.17.H99-240425-" + "9" * 50  # 71 characters: the column holds 60
    lines = rows("000.00.17.H99-240425-0007", [1]) + rows(long_code, [1]) + rows("  ", [1])
    refused = run_csv(tmp_path, people, "codes.csv", lines)
    assert refused.status == ImportStatus.REFUSED and counts() == (0, 0)
    errors = {tuple(error[:2]): error[2:] for error in refused.errors}
    value, rule = errors[("codes.csv!R3", "Mã hồ sơ")]
    assert value == long_code[:40] + "…" and "at most 60 characters (71 given)" in rule
    assert "required" in errors[("codes.csv!R4", "Mã hồ sơ")][1]
    legacy = run_csv(tmp_path, people, "legacy.csv", rows("HS-2024/7", [1]) + rows("000.00.17.H99-240425-0007", [1]))
    assert legacy.status == ImportStatus.DONE and counts() == (2, 2)
    assert db.session.scalar(select(Dossier.code_is_legacy).where(Dossier.code == "HS-2024/7")) is True
    assert db.session.scalar(select(Dossier.code_is_legacy).where(Dossier.code == "000.00.17.H99-240425-0007")) \
        is False
    with force_locale("en"):
        assert "1 dossier code is not in the TT 01 format" in importing.summary(legacy)
        assert "HS-2024/7" in importing.summary(legacy)


def test_a_known_dossier_under_another_procedure_is_refused(people, procedure, tmp_path):
    other, version = draft_first_version(people, code="1.004471")
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    assert run_csv(tmp_path, people, "first.csv", rows("X-4", range(1, 3))).status == ImportStatus.DONE
    again = run_csv(tmp_path, people, "other.csv", rows("X-4", range(3, 5), procedure="1.004471"))
    assert again.status == ImportStatus.REFUSED and counts() == (1, 2)
    assert again.errors == [["other.csv!R2", "Mã TTHC", "1.004471",
                             "The dossier X-4 was received for the procedure 1.004470."]]


def test_an_unknown_procedure_and_a_return_before_the_stored_receipt_are_refused(people, procedure, tmp_path):
    unknown = run_csv(tmp_path, people, "unknown.csv", rows("X-5", [1], procedure="9.999999"))
    assert unknown.status == ImportStatus.REFUSED and counts() == (0, 0)
    assert unknown.errors[0] == ["unknown.csv!R2", "Mã TTHC", "9.999999", "No procedure of the catalogue has this code."]
    assert run_csv(tmp_path, people, "first.csv", rows("X-6", [1, 2])).status == ImportStatus.DONE
    # the later file says the dossier came on 02/04 and was returned on 20/04: it was received on 25/04 (stored)
    early = ["X-6;1.004470;02/04/2024 08:00;20/04/2024 09:00;B3;17/05/2024 16:00;Hoàn thành;"]
    refused = run_csv(tmp_path, people, "early.csv", early)
    assert refused.status == ImportStatus.REFUSED and counts() == (1, 2)
    assert refused.errors == [["early.csv!R2", "Ngày trả kết quả", "20/04/2024 09:00",
                               "The result cannot be returned before the dossier was received (25/04/2024 14:30)."]]


def test_a_later_file_with_another_receipt_keeps_the_stored_one_and_says_so(people, procedure, tmp_path):
    """The process in force is the one at the stored receipt: a later file dating the receipt before the version
    took effect (1 April 2024) is not refused for it, and the differing receipt is named in a warning."""
    first = run_csv(tmp_path, people, "first.csv", rows("R-1", range(1, 4)))
    assert first.status == ImportStatus.DONE, first.errors
    before = stored("R-1")
    later = [line.replace("25/04/2024 14:30", "25/03/2024 14:30") for line in rows("R-1", range(4, 8),
                                                                                   returned="24/05/2024 15:00")]
    second = run_csv(tmp_path, people, "second.csv", later)
    assert second.status == ImportStatus.DONE, second.errors
    assert second.dossiers_updated == 1 and second.steps_created == 4 and counts() == (1, 7)
    dossier = db.session.scalar(select(Dossier).where(Dossier.code == "R-1"))
    assert dossier.received_at == local(2024, 4, 25, 14, 30) and dossier.due_at == before[0][1]
    assert dossier.status == DossierStatus.RETURNED
    with force_locale("en"):
        message = importing.summary(second)
    assert "R-1" in message and "25/03/2024 14:30" in message and "25/04/2024 14:30" in message
