"""The ingest API over HTTP (issue 5): a token per client system shown once and revocable, idempotent by event
id, every wrong event named in a 422 with nothing written, 401/413/400, and its OpenAPI description."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

import pytest
from openapi_spec_validator import validate
from sqlalchemy import func, select

from processes.dossiers.api_models import ApiClient
from processes.dossiers.models import Dossier, DossierStatus, StepRun
from qms.audit.models import AuditEntry
from qms.extensions import db
from tests.conftest import AuthActions
from tests.process_samples import approve, draft_first_version, setup_people

CODE = "000.00.17.H99-240425-0007"


@pytest.fixture
def mapped(app, make_user):
    """The sample team; 1.004470 (seven steps, 20 working days) in force since 01/04/2024."""
    with app.app_context():
        people = setup_people(make_user)
        _procedure, version = draft_first_version(people)
        approve(people, version, at=datetime(2024, 4, 1, 2, tzinfo=timezone.utc))


def _as(app, username: str) -> AuthActions:
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def _token(app, name="Một cửa điện tử tỉnh") -> str:
    secretary = _as(app, "huong.nt")
    response = secretary.post("/dossiers/api-clients/", {"name": name}, page="/dossiers/api-clients/")
    assert response.status_code == 201
    return re.search(r'data-testid="api-token">([^<]+)<', response.get_data(as_text=True)).group(1)


def _event(event_id, activity, stamp, **values) -> dict:
    return {"event_id": event_id, "dossier_code": CODE, "procedure_code": "1.004470", "activity": activity,
            "timestamp": stamp, "handler": "Nguyễn Thị Thảo", **values}


def _post(client, token, events, **headers):
    """English answers (Accept-Language), so that the assertions survive the Vietnamese catalogue."""
    return client.post("/api/v1/events", json={"events": events},
                       headers={"Authorization": f"Bearer {token}", "Accept-Language": "en", **headers})


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id))))


FIRST = [_event("e1", "B1", "2024-04-25T15:40:00+07:00", received_at="2024-04-25T14:30:00+07:00",
                applicant_name="Công ty An Phú", channel="online"),
         _event("e2", "Phân công thụ lý", "2024-04-26T08:30:00+07:00"),
         _event("e3s", "B3", "2024-05-02T08:00:00+07:00", lifecycle="start"),
         _event("e3", "B3", "2024-05-17T16:00:00+07:00")]


def test_the_token_is_shown_once_stored_as_a_hash_and_revocable(app, mapped, client):
    token = _token(app)
    assert token.startswith("qms_")
    with app.app_context():
        stored = db.session.scalar(select(ApiClient))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token.startswith(stored.token_prefix)
        changes = " ".join(db.session.scalars(select(AuditEntry.changes)).all())
        assert token not in changes and stored.token_hash not in changes and "api_client.created" in " ".join(
            db.session.scalars(select(AuditEntry.action)).all())
        client_id = stored.id
    secretary = _as(app, "huong.nt")
    listing = secretary.client.get("/dossiers/api-clients/").get_data(as_text=True)
    assert token not in listing and stored.token_prefix in listing
    assert _post(client, token, FIRST[:1]).status_code == 200
    response = secretary.post(f"/dossiers/api-clients/{client_id}/revoke", page="/dossiers/api-clients/")
    assert response.status_code == 302
    refused = _post(client, token, FIRST[1:2])
    assert refused.status_code == 401 and refused.is_json and "WWW-Authenticate" in refused.headers
    with app.app_context():
        assert db.session.get(ApiClient, client_id).last_used_at is not None


def test_only_the_iso_secretary_manages_clients(app, mapped):
    officer = _as(app, "thao.nt")
    assert officer.client.get("/dossiers/api-clients/").status_code == 403
    assert officer.post("/dossiers/api-clients/", {"name": "x"}, page="/").status_code == 403


def test_events_are_recorded_and_a_second_post_says_duplicate(app, mapped, client):
    token = _token(app)
    response = _post(client, token, FIRST)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["created"] * 4
    assert body["dossiers_created"] == 1 and body["steps_created"] == 3
    again = _post(client, token, FIRST)
    assert again.status_code == 200, again.get_json()
    assert {r["status"] for r in again.get_json()["results"]} == {"duplicate"}
    assert _counts(app) == (1, 3)
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        steps = dossier.steps
        assert dossier.source == "api" and dossier.applicant_name == "Công ty An Phú" and dossier.channel == "online"
        assert [s.step_code for s in steps] == ["B1", "B2", "B3"]
        assert steps[2].started_at == datetime(2024, 5, 2, 1, tzinfo=timezone.utc)  # its start event
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossiers.import"))
        assert entry.actor_name == "api:Một cửa điện tử tỉnh"


def test_a_later_push_measures_from_the_last_recorded_step(app, mapped, client):
    token = _token(app)
    assert _post(client, token, FIRST[:1]).status_code == 200
    later = _post(client, token, [_event("e2", "B2", "2024-04-26T08:30:00+07:00"),
                                  _event("e9", "B7", "2024-05-24T15:00:00+07:00",
                                         returned_at="2024-05-24T15:00:00+07:00")])
    assert later.status_code == 200, later.get_json()
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        first, second, last = dossier.steps
        assert second.started_at == first.finished_at and second.used_units > 0
        assert last.started_at == second.finished_at and dossier.status == DossierStatus.RETURNED


def test_wrong_events_are_named_with_their_field_and_nothing_is_written(app, mapped, client):
    token = _token(app)
    events = [FIRST[0],
              _event("b1", "B2", "2024-04-26 08:30"),  # no offset
              _event("b2", "Thẩm định lại", "2024-04-27T08:30:00+07:00"),
              _event("b3", "B4", "2024-04-28T08:30:00+07:00", lifecycle="assign"),
              {"event_id": "b4", "activity": "B5"},
              _event("b5", "B6", "2030-01-01T08:00:00+07:00"),
              "not an object"]
    response = _post(client, token, events)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    fields = {(e["event_id"], e["field"]) for e in errors}
    assert {("b1", "timestamp"), ("b3", "lifecycle"), ("b4", "dossier_code"), ("b4", "procedure_code"),
            ("b4", "timestamp")} <= fields
    assert any(e["event_id"] is None and "not a JSON object" in e["rule"] for e in errors)
    assert _counts(app) == (0, 0)
    # once the shape is right, the bulk path's own rules name the event and the field
    response = _post(client, token, [FIRST[0], events[2], events[5]])
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {(e["event_id"], e["field"]) for e in errors} >= {("b2", "activity"), ("b5", "timestamp")}
    assert any(e["value"] == "Thẩm định lại" and "no step" in e["rule"] for e in errors)
    assert _counts(app) == (0, 0)


def test_401_413_and_400(app, mapped, client):
    assert client.post("/api/v1/events", json={"events": []}).status_code == 401
    bad = _post(client, "qms_deadbeef_nothing", [])
    assert bad.status_code == 401 and bad.get_json()["error"] == 401
    token = _token(app)
    too_many = _post(client, token, [FIRST[0]] * 5001)
    assert too_many.status_code == 413 and too_many.is_json
    broken = client.post("/api/v1/events", data="{not json", content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert broken.status_code == 400 and broken.is_json
    assert client.post("/api/v1/events", json=[1, 2], headers={"Authorization": f"Bearer {token}"}).status_code == 400
    assert _post(client, token, []).get_json()["results"] == []


def test_the_openapi_description_is_valid_and_served_without_signing_in(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    responses = document["paths"]["/events"]["post"]["responses"]
    assert {"200", "400", "401", "413", "422"} <= set(responses)
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "POST /api/v1/events" in page.get_data(as_text=True)
