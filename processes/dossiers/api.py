"""The ingest API (issue 5, input path 4): the one-stop information system pushes dossier events as they
happen, JSON over HTTP at /api/v1 (ISO 9001:2008 clauses 7.5.1, 8.2.3: the records of each step).

- ``POST /api/v1/events``: a Bearer token per client system; all or nothing per request; idempotent
  by event id (an event already recorded answers ``duplicate``); 422 names each wrong event and field.
- ``GET /api/v1/openapi.json``: the OpenAPI 3.1 description; ``GET /api/v1/docs``: a page listing it.

No session and no CSRF token: the token replaces both. Writes are audited as ``api:<client name>``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template, request
from flask_babel import gettext as _

from processes.dossiers import api_clients, api_events
from processes.dossiers import api_clients, api_events, recorded
from processes.dossiers.followups import records_committed
from processes.dossiers.ingest import IngestRefused, ingest
from processes.dossiers.openapi import openapi_document
from qms.audit import log as audit
from qms.extensions import csrf, db
from qms.permissions import public
from qms.timeutil import utcnow

bp = Blueprint("dossier_api", __name__, url_prefix="/api/v1")


def _problem(status: int, message: str, **extra):
    response = jsonify(error=status, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="qms"'
    return response


def _client():
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return api_clients.authenticate(token.strip(), now=utcnow())


@bp.post("/events")
@public
def post_events():
    """Record a batch of step events; answer each event's status, or every error and write nothing."""
    client = _client()
    if client is None:
        db.session.rollback()
        return _problem(401, _("A valid Bearer token of an active client system is required."))
    db.session.commit()  # last_used_at, whatever the outcome
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _problem(400, _('The body must be a JSON object with a list "events".'))
    if len(payload["events"]) > api_events.MAX_EVENTS:
        return _problem(413, _("At most %(n)d events per request.", n=api_events.MAX_EVENTS))
    batch = api_events.read_events(payload["events"])
    if not batch.problems:
        api_events.attach_known(batch)
    if batch.problems:
        return _refused([p.as_json() for p in batch.problems])
    actor = audit.Actor.system(f"api:{client.name}")
    mark = recorded.take_mark()
    with audit.acting_as(actor):
        try:
            report = ingest(batch.inputs, source="api", actor_name=actor.name, now=utcnow(), label=f"API {client.name}",
                            track_skipped=True)
        except IngestRefused as refused:
            db.session.rollback()
            return _refused([p.as_json() for p in api_events.problems_from_ingest(batch, refused.report.errors)])
        db.session.commit()
        records_committed(mark)  # after the commit: what follows never refuses the records
    api_events.apply_report(batch, report.skipped_events)
    return jsonify(results=[{"event_id": event_id, "status": batch.statuses[event_id]} for event_id in batch.order],
                   dossiers_created=report.dossiers_created, dossiers_updated=report.dossiers_updated,
                   steps_created=report.steps_created, steps_opened=report.steps_opened,
                   steps_closed=report.steps_closed, warnings=[
                       {"dossier_code": code, "rule": _("The code %(code)s is not in the TT 01 format (unit "
                                                        "code-yymmdd-number): it is kept as given.", code=code)}
                       for code in report.legacy_examples])


def _refused(errors: list[dict]):
    return _problem(422, _("Nothing was recorded: %(n)d errors.", n=len(errors)), errors=errors)


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document())


@bp.get("/docs")
@public
def docs():
    return render_template("dossier_api/docs.html", document=openapi_document())


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
