"""Dossiers handled in the browser (issue 5): DOMAIN.md 4.5 and 9.4-9.5 to the day through the services."""

from datetime import date, datetime, timedelta

import pytest

from processes.dossiers import services as dossiers
from processes.dossiers.models import DossierStatus, Outcome, SupplementPolicy, Timeliness
from qms.calendar import services as calendar
from qms.errors import Conflict, DomainError, Forbidden
from qms.extensions import db
from qms.timeutil import agency_zone
from tests.process_samples import approve, draft_first_version, setup_people

NOW = datetime(2024, 7, 1, 9, 0, tzinfo=agency_zone())


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


def receive(people, procedure, code="000.00.17.H99-240425-0007", at=local(2024, 4, 25, 14, 30), **values):
    data = {"code": code, "procedure_id": procedure.id, "applicant_name": "Công ty TNHH Chuyển phát Nhanh An Phú",
            "channel": "in_person", "received_at": at, **values}
    dossier = dossiers.receive_dossier(data, actor=people["officer"], now=NOW)
    db.session.commit()
    return dossier


def test_domain_4_5_due_date_by_hours_and_by_sessions(people, procedure):
    by_hours = receive(people, procedure)
    assert by_hours.due_at == local(2024, 5, 27, 14, 30)
    assert by_hours.original_due_at == by_hours.due_at
    assert not by_hours.code_is_legacy
    calendar.update_rules({"convention": "sessions"}, actor=people["secretary"])
    by_sessions = receive(people, procedure, code="000.00.17.H99-240425-0008")
    assert by_sessions.due_at == local(2024, 5, 27, 17, 0)  # "nhận chiều trả chiều"


def test_domain_4_5_supplement_restarts_or_pauses(people, procedure):
    restart = receive(people, procedure)
    dossiers.request_supplement(restart, actor=people["officer"], reason="Thiếu phương án kinh doanh",
                                at=local(2024, 5, 3, 10, 0), now=NOW)
    assert restart.status == DossierStatus.SUPPLEMENT_REQUESTED
    dossiers.complete_supplement(restart, actor=people["officer"], at=local(2024, 5, 10, 8, 30), now=NOW)
    assert restart.due_at.astimezone(agency_zone()).date() == date(2024, 6, 7)
    assert restart.original_due_at == local(2024, 5, 27, 14, 30)
    paused = receive(people, procedure, code="000.00.17.H99-240425-0009",
                     supplement_policy=SupplementPolicy.PAUSE.value)
    dossiers.request_supplement(paused, actor=people["officer"], reason="Thiếu giấy tờ",
                                at=local(2024, 5, 3, 10, 0), now=NOW)
    dossiers.complete_supplement(paused, actor=people["officer"], at=local(2024, 5, 10, 8, 30), now=NOW)
    assert paused.due_at.astimezone(agency_zone()).date() == date(2024, 6, 4)


def test_domain_9_5_every_step_early_and_the_dossier_one_day_early(people, procedure):
    dossier = receive(people, procedure)
    for handed in (local(2024, 4, 25, 15, 40), local(2024, 4, 26, 8, 30), local(2024, 5, 17, 16, 0),
                   local(2024, 5, 21, 10, 15), local(2024, 5, 23, 16, 20), local(2024, 5, 24, 9, 10)):
        dossiers.finish_step(dossier, actor=people["officer"], at=handed, now=NOW)
    assert dossier.status == DossierStatus.RESULT_READY and dossier.result_ready_at == local(2024, 5, 24, 9, 10)
    assert dossier.timeliness == Timeliness.EARLY
    dossiers.return_result(dossier, actor=people["officer"], at=local(2024, 5, 24, 15, 0), now=NOW)
    db.session.commit()
    assert dossier.status == DossierStatus.RETURNED and dossier.outcome == Outcome.ISSUED
    assert [run.step_code for run in dossier.steps] == ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]
    assert all(run.result == Timeliness.EARLY for run in dossier.steps)
    first = dossier.steps[0]
    assert first.used_units == pytest.approx(70 * 480 / 450)  # 14:30 → 15:40, in 480-a-day units
    assert dossier.steps[4].deadline_at == local(2024, 5, 24, 14, 30)  # B5: due 27/05 14:30 less B6 and B7


def test_a_late_step_and_a_late_dossier(people, procedure):
    dossier = receive(people, procedure)
    dossiers.finish_step(dossier, actor=people["officer"], at=local(2024, 4, 29, 9, 0) + timedelta(days=3), now=NOW)
    assert dossier.steps[0].result == Timeliness.LATE
    dossiers.refuse(dossier, actor=people["officer"], reason="Không đủ điều kiện", at=local(2024, 5, 28, 9, 0),
                    now=NOW)
    assert dossier.timeliness == Timeliness.LATE and dossier.outcome == Outcome.REFUSED


def test_an_apology_once_and_at_least_one_working_day_before(people, procedure):
    dossier = receive(people, procedure, code="000.00.17.H99-240506-0011", at=local(2024, 5, 6, 9, 0))
    with pytest.raises(DomainError):
        dossiers.apologise(dossier, actor=people["officer"], reason="Chờ ý kiến Công an tỉnh",
                           new_due_at=local(2024, 6, 7, 16, 30), at=dossier.due_at - timedelta(hours=2), now=NOW)
    dossiers.apologise(dossier, actor=people["officer"], reason="Chờ ý kiến phối hợp của Công an tỉnh",
                       new_due_at=local(2024, 6, 7, 16, 30), at=local(2024, 5, 31, 9, 0), now=NOW)
    with pytest.raises(Conflict):
        dossiers.apologise(dossier, actor=people["officer"], reason="Lần hai", new_due_at=local(2024, 6, 10, 16, 0),
                           at=local(2024, 6, 1, 9, 0), now=NOW)
    assert dossier.extended_due_at == local(2024, 6, 7, 16, 30)
    dossiers.refuse(dossier, actor=people["officer"], reason="x", at=local(2024, 6, 6, 10, 0), now=NOW)
    assert dossier.timeliness == Timeliness.LATE  # against the due date, not the apology's


def test_refused_inputs(people, procedure):
    receive(people, procedure)
    with pytest.raises(Conflict):
        receive(people, procedure)
    db.session.rollback()
    legacy = receive(people, procedure, code="HS-2024-001")
    assert legacy.code_is_legacy
    with pytest.raises(DomainError):
        receive(people, procedure, code="000.00.17.H99-990101-0001", at=NOW + timedelta(days=1))
    db.session.rollback()
    with pytest.raises(DomainError):  # no version in force before 01/04/2024
        receive(people, procedure, code="000.00.17.H99-240301-0001", at=local(2024, 3, 1, 9, 0))
    db.session.rollback()
    with pytest.raises(DomainError):  # a step cannot finish before it started
        dossiers.finish_step(legacy, actor=people["officer"], at=local(2024, 4, 25, 9, 0), now=NOW)
    with pytest.raises(Forbidden):
        dossiers.finish_step(legacy, actor=people["head"].__class__(username="x", full_name="x"), now=NOW)


def test_a_withdrawal_closes_the_running_step(people, procedure):
    dossier = receive(people, procedure)
    dossiers.end_dossier(dossier, Outcome.WITHDRAWN, actor=people["officer"], reason="Công dân rút hồ sơ",
                         at=local(2024, 4, 26, 9, 0), now=NOW)
    db.session.commit()
    assert dossier.status == DossierStatus.WITHDRAWN and dossier.steps[0].used_units is not None
    with pytest.raises(DomainError):
        other = receive(people, procedure, code="000.00.17.H99-240425-0010")
        dossiers.apologise(other, actor=people["officer"], reason="x", new_due_at=local(2024, 8, 1, 9, 0),
                           at=NOW + timedelta(days=1), now=NOW)
