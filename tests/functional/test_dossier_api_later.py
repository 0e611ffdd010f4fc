"""Later pushes of the ingest API (issue 5, review defects): a known dossier's new events are measured from what is
stored, a start pushed before its completion is an open step that the completion closes, codes and procedures are
checked by the bulk path, and every refusal names its event with nothing written."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from processes.dossiers.models import Dossier, DossierStatus
from qms.extensions import db
from qms.users.models import User
from tests.functional.test_dossier_api import _counts, _post, _token
from tests.process_samples import approve, draft_first_version, setup_people

RUN_FIELDS = ("position", "step_code", "started_at", "finished_at", "used_units", "result", "deadline_at")
DOSSIER_FIELDS = ("status", "due_at", "result_ready_at", "returned_at", "outcome", "used_units", "timeliness")


@pytest.fixture
def mapped(app, make_user):
    """The sample team; 1.004470 (seven steps, 20 working days) in force since 01/04/2024."""
    with app.app_context():
        people = setup_people(make_user)
        _procedure, version = draft_first_version(people)
        approve(people, version, at=datetime(2024, 4, 1, 2, tzinfo=timezone.utc))


def _event(code, event_id, activity, stamp, **values) -> dict:
    return {"event_id": event_id, "dossier_code": code, "procedure_code": "1.004470", "activity": activity,
            "timestamp": stamp, **values}


def _events(code) -> list[dict]:
    return [_event(code, f"{code}-1", "B1", "2024-04-25T15:40:00+07:00", received_at="2024-04-25T14:30:00+07:00"),
            _event(code, f"{code}-2", "B2", "2024-04-26T08:30:00+07:00"),
            _event(code, f"{code}-3", "B3", "2024-05-17T16:00:00+07:00"),
            _event(code, f"{code}-7", "B7", "2024-05-24T15:00:00+07:00", returned_at="2024-05-24T15:00:00+07:00")]


def _stored(app, code):
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.code == code))
        return (tuple(getattr(dossier, name) for name in DOSSIER_FIELDS),
                [tuple(getattr(run, name) for name in RUN_FIELDS) for run in dossier.steps])


def test_pushes_a_day_apart_store_what_one_push_stores(app, mapped, client):
    token = _token(app)
    assert _post(client, token, _events("API-1")).status_code == 200
    later = _events("API-2")
    assert _post(client, token, later[:2]).status_code == 200
    third = _post(client, token, later[2:3])  # B3's completion, a day later: measured from B2's stored finish
    assert third.status_code == 200, third.get_json()
    assert _stored(app, "API-2")[1][2][2] == datetime(2024, 4, 26, 1, 30, tzinfo=timezone.utc)
    assert _stored(app, "API-2")[0][0] == DossierStatus.IN_PROGRESS
    last = _post(client, token, later[3:])  # the step that returns the result ends the dossier
    assert last.status_code == 200, last.get_json()
    assert _stored(app, "API-2") == _stored(app, "API-1")
    assert _stored(app, "API-2")[0][0] == DossierStatus.RETURNED
    assert _counts(app) == (2, 8)


def test_a_start_pushed_before_its_completion_is_an_open_step_that_the_completion_closes(app, mapped, client):
    token = _token(app)
    events = _events("API-3")[:2]
    start = _event("API-3", "API-3-3s", "Thẩm định hồ sơ", "2024-05-02T08:00:00+07:00", lifecycle="start")
    first = _post(client, token, events + [start])
    assert first.status_code == 200, first.get_json()
    assert [r["status"] for r in first.get_json()["results"]] == ["created"] * 3
    open_step = _stored(app, "API-3")[1][2]
    assert open_step[1:5] == ("B3", datetime(2024, 5, 2, 1, tzinfo=timezone.utc), None, None)
    complete = _event("API-3", "API-3-3", "B3", "2024-05-17T16:00:00+07:00")
    later = _post(client, token, [start, complete])  # the start again (a retry) and the completion
    assert later.status_code == 200, later.get_json()
    assert [r["status"] for r in later.get_json()["results"]] == ["duplicate", "created"]
    assert later.get_json()["steps_created"] == 0
    runs = _stored(app, "API-3")[1]
    assert len(runs) == 3 and runs[2][1:4] == ("B3", datetime(2024, 5, 2, 1, tzinfo=timezone.utc),
                                              datetime(2024, 5, 17, 9, tzinfo=timezone.utc))
    assert runs[2][4] > 0 and runs[2][5] is not None
    whole = _post(client, token, _events("API-4")[:2] + [
        _event("API-4", "API-4-3s", "B3", "2024-05-02T08:00:00+07:00", lifecycle="start"),
        _event("API-4", "API-4-3", "B3", "2024-05-17T16:00:00+07:00")])
    assert whole.status_code == 200
    assert _stored(app, "API-4")[1] == runs  # the same as one push
    again = _post(client, token, [complete])
    assert again.get_json()["results"] == [{"event_id": "API-3-3", "status": "duplicate"}]
    assert _counts(app) == (2, 6)


def test_codes_too_long_or_blank_are_refused_and_a_legacy_code_is_kept_with_a_warning(app, mapped, client):
    token = _token(app)
    too_long = _post(client, token, _events("X" * 61)[:1])
    assert too_long.status_code == 422
    assert [(e["event_id"], e["field"]) for e in too_long.get_json()["errors"]] == [("X" * 61 + "-1", "dossier_code")]
    blank = _post(client, token, [_event("   ", "b-1", "B1", "2024-04-25T15:40:00+07:00")])
    assert blank.status_code == 422
    assert [(e["event_id"], e["field"]) for e in blank.get_json()["errors"]] == [("b-1", "dossier_code")]
    assert _counts(app) == (0, 0)
    legacy = _post(client, token, _events("HS-2024/7")[:1])
    assert legacy.status_code == 200
    assert legacy.get_json()["warnings"] == [
        {"dossier_code": "HS-2024/7", "rule": "The code HS-2024/7 is not in the TT 01 format (unit code-yymmdd-number): "
                                              "it is kept as given."}]
    with app.app_context():
        assert db.session.scalar(select(Dossier.code_is_legacy)) is True


def test_a_known_dossier_pushed_under_another_procedure_is_refused(app, mapped, client):
    token = _token(app)
    assert _post(client, token, _events("API-5")[:2]).status_code == 200
    with app.app_context():
        names = {"secretary": "huong.nt", "head": "quang.nv", "director": "hung.lv", "specialist": "hoa.ltm",
                 "officer": "thao.nt"}
        people = {role: db.session.scalar(select(User).where(User.username == name)) for role, name in names.items()}
        _procedure, version = draft_first_version(people, code="1.004471")
        approve(people, version, at=datetime(2024, 4, 1, 2, tzinfo=timezone.utc))
    other = dict(_events("API-5")[2], procedure_code="1.004471")
    refused = _post(client, token, [other])
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"event_id": "API-5-3", "field": "procedure_code", "value": "1.004471",
                                             "rule": "The dossier API-5 was received for the procedure 1.004470."}]
    assert _counts(app) == (1, 2)


def test_an_unknown_procedure_code_is_refused_with_its_event(app, mapped, client):
    token = _token(app)
    refused = _post(client, token, [dict(_events("API-6")[0], procedure_code="9.999999")])
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"event_id": "API-6-1", "field": "procedure_code", "value": "9.999999",
                                             "rule": "No procedure of the catalogue has this code."}]
    assert _counts(app) == (0, 0)
