"""The OpenAPI 3.1 description of the ingest API, served at /api/v1/openapi.json (issue 5).

Written out by hand next to the code it describes (``api``, ``api_events``): the fields, the limits and
the answers below are the ones those modules apply. In English: it is read by the integrators of the
one-stop information systems, not by the agency's staff.
"""

from __future__ import annotations

from processes.dossiers.api_events import DOSSIER_CHOICES, MAX_EVENTS

_DATE = {"type": "string", "format": "date-time", "description": "ISO 8601 with its UTC offset.",
         "examples": ["2024-05-21T10:15:00+07:00"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


EVENT = {
    "type": "object",
    "required": ["event_id", "dossier_code", "procedure_code", "activity", "timestamp"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1, "maxLength": 120,
                     "description": "The sender's id of the event: sending it again records nothing."},
        "dossier_code": {"type": "string", "minLength": 1, "maxLength": 60,
                         "description": "Mã hồ sơ (Thông tư 01/2018/TT-VPCP Art. 19 format; legacy codes accepted)."},
        "procedure_code": {"type": "string", "minLength": 1, "maxLength": 30,
                           "description": "Mã TTHC of the national database, e.g. 1.004470."},
        "activity": {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "The step: its code (B3) or its name in the process map."},
        "lifecycle": {"type": "string", "enum": ["start", "complete"], "default": "complete",
                      "description": "A complete event ends the step; a start event, sent in the same request "
                                     "as its complete, sets when the step began."},
        "timestamp": _DATE,
        "handler": {"type": "string", "maxLength": 200, "description": "The person who handled the step."},
        "applicant_name": {"type": "string", "maxLength": 300},
        "channel": {"type": "string", "enum": list(DOSSIER_CHOICES["channel"])},
        "received_at": {**_DATE, "description": "Receipt of the dossier (default: its first event)."},
        "result_ready_at": _DATE,
        "returned_at": _DATE,
        "outcome": {"type": "string", "enum": list(DOSSIER_CHOICES["outcome"])},
    },
    "additionalProperties": True,
}


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the ingest API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "QMS TTHC: dossier event ingest API", "version": "1.0.0",
                 "description": "Push the step events of dossiers (hồ sơ TTHC) as they happen. Each request is "
                                "recorded whole or not at all. The dossier's fields may come on any of its events."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerToken": []}],
        "paths": {
            "/events": {
                "post": {
                    "operationId": "postEvents",
                    "summary": "Record step events of dossiers",
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": _ref("EventBatch")}}},
                    "responses": {
                        "200": _json(_ref("Recorded"), "Every event recorded, or already recorded (duplicate)."),
                        "400": _json(_ref("Problem"), "The body is not JSON or has no list \"events\"."),
                        "401": _json(_ref("Problem"), "No token, or an unknown or revoked token."),
                        "413": _json(_ref("Problem"), f"More than {MAX_EVENTS} events, or a body too large."),
                        "422": _json(_ref("Refused"), "Some events are wrong: each error names its event and "
                                                      "field; nothing was recorded."),
                    },
                },
            },
            "/openapi.json": {
                "get": {"operationId": "getOpenApi", "summary": "This description", "security": [],
                        "responses": {"200": {"description": "The OpenAPI document.",
                                              "content": {"application/json": {"schema": {"type": "object"}}}}}},
            },
        },
        "components": {
            "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                                "description": "The token the ISO secretary created for your "
                                                               "system (shown once)."}},
            "schemas": {
                "Event": EVENT,
                "EventBatch": {"type": "object", "required": ["events"],
                               "properties": {"events": {"type": "array", "items": _ref("Event"),
                                                         "maxItems": MAX_EVENTS}}},
                "EventResult": {"type": "object", "required": ["event_id", "status"],
                                "properties": {"event_id": {"type": "string"},
                                               "status": {"type": "string",
                                                          "enum": ["created", "duplicate"],
                                                          "description": "A start event without its complete "
                                                                         "opens its step; a later complete of "
                                                                         "the same step closes it."}}},
                "Recorded": {"type": "object", "required": ["results"],
                             "properties": {"results": {"type": "array", "items": _ref("EventResult")},
                                            "dossiers_created": {"type": "integer"},
                                            "dossiers_updated": {"type": "integer"},
                                            "steps_created": {"type": "integer"},
                                            "steps_opened": {"type": "integer",
                                                             "description": "Steps started, not finished yet."},
                                            "steps_closed": {"type": "integer",
                                                             "description": "Open steps finished now."},
                                            "warnings": {"type": "array", "items": {
                                                "type": "object", "properties": {
                                                    "dossier_code": {"type": "string"}, "rule": {"type": "string"}},
                                                "description": "A new dossier's code outside the TT 01 format: "
                                                               "kept as given."}}}},
                "EventError": {"type": "object", "required": ["event_id", "field", "value", "rule"],
                               "properties": {"event_id": {"type": ["string", "null"]},
                                              "field": {"type": "string"}, "value": {"type": "string"},
                                              "rule": {"type": "string"}}},
                "Problem": {"type": "object", "required": ["error", "message"],
                            "properties": {"error": {"type": "integer"}, "message": {"type": "string"}}},
                "Refused": {"allOf": [_ref("Problem"),
                                      {"type": "object", "required": ["errors"],
                                       "properties": {"errors": {"type": "array", "items": _ref("EventError")}}}]},
            },
        },
    }
