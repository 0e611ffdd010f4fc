"""Idempotent loading of the demo agency from ``seed_data/demo/*.toml``.

Rows are matched by natural keys (codes, usernames) and left alone when present, so
running the loader twice changes nothing. Everything goes through the services, so the
audit log shows what the seed created.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import partial
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from config import PROJECT_ROOT
from qms.calendar.seeding import load_calendar_demo
from qms.documents.defaults import ensure_document_types
from qms.documents.seeding import load_documents_demo
from qms.extensions import db
from qms.records.seeding import load_records_demo
from qms.external_docs.seeding import load_external_documents, load_external_relations
from qms.org import services as org_services
from qms.org.models import Position, Unit, UnitKind
from qms.permissions import SYSTEM_ACTOR
from qms.timeutil import local_today
from qms.users import services as user_services
from qms.users.models import Delegation, User

DEMO_DIR = PROJECT_ROOT / "seed_data" / "demo"


@dataclass
class SeedReport:
    created: int = 0
    unchanged: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _read(directory: Path) -> dict:
    merged: dict = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            for key, value in tomllib.load(handle).items():
                if isinstance(value, list):
                    merged.setdefault(key, []).extend(value)
                else:
                    merged[key] = value
    return merged


def load_demo(directory: Path = DEMO_DIR) -> SeedReport:
    """Load the demo organisation and users; return what was created and the demo sign-ins."""
    data = _read(directory)
    report = SeedReport()
    if org_services.current_agency() is None:
        org_services.save_agency(data["agency"], actor=SYSTEM_ACTOR)
        report.created += 1
    else:
        report.unchanged += 1

    for values in data.get("positions", []):
        if db.session.scalar(select(Position).where(Position.code == values["code"])) is None:
            org_services.save_position(None, dict(values), actor=SYSTEM_ACTOR)
            report.created += 1
        else:
            report.unchanged += 1

    for values in data.get("units", []):
        if db.session.scalar(select(Unit).where(Unit.code == values["code"])) is None:
            org_services.save_unit(None, {**values, "kind": UnitKind(values["kind"])}, actor=SYSTEM_ACTOR)
            report.created += 1
        else:
            report.unchanged += 1

    password = data.get("demo_password", "")
    today = local_today()
    for values in data.get("users", []):
        roles = values["roles"]
        report.logins.append((values["username"], password, ", ".join(roles)))
        if db.session.scalar(select(User).where(User.username == values["username"])) is not None:
            report.unchanged += 1
            continue
        profile = {
            "username": values["username"], "full_name": values["full_name"], "email": values.get("email", ""),
            "unit_id": _id_of(Unit, values.get("unit")), "position_id": _id_of(Position, values.get("position")),
            "expires_on": today + timedelta(days=values["expires_in_days"]) if "expires_in_days" in values else None,
        }
        user_services.create_user(profile, roles, actor=SYSTEM_ACTOR, password=password)
        report.created += 1

    for values in data.get("delegations", []):
        director = db.session.scalar(select(User).where(User.username == values["director"]))
        deputy = db.session.scalar(select(User).where(User.username == values["deputy"]))
        if "starts_on" in values:
            starts, ends = date.fromisoformat(values["starts_on"]), date.fromisoformat(values["ends_on"])
        else:
            starts = today + timedelta(days=values.get("starts_in_days", 0))
            ends = starts + timedelta(days=values["days"])
        exists = db.session.scalar(select(Delegation.id).where(Delegation.director_id == director.id,
                                                                Delegation.deputy_id == deputy.id,
                                                                Delegation.starts_on == starts))
        if exists is not None:
            report.unchanged += 1
            continue
        user_services.create_delegation(director, deputy, starts, ends, actor=SYSTEM_ACTOR,
                                        scope=values.get("scope", ""), decision_ref=values.get("decision_ref", ""))
        report.created += 1

    report.created += ensure_document_types()
    # The register first (documents cite it), the amendments last (so that citing documents are flagged).
    # Domains add their steps by order (see ``add_demo_step``): 5 calendar, 10 external documents, 20 documents,
    # 30 external relations, 40 quality records.
    steps = [(5, lambda: load_calendar_demo(data)), (10, lambda: load_external_documents(directory)), (20, lambda: load_documents_demo(data, password)),
             (30, lambda: load_external_relations(directory)), (40, lambda: load_records_demo(data))]
    steps += [(order, partial(step, directory, data, password))
              for order, step in current_app.extensions.get("qms_demo_steps", [])]
    for _order, step in sorted(steps, key=lambda item: item[0]):
        created, unchanged = step()
        report.created, report.unchanged = report.created + created, report.unchanged + unchanged
    db.session.flush()
    return report


def add_demo_step(app, order: int, step) -> None:
    """A domain's part of the demo: *step(directory, data, password)* returns (created, unchanged) and runs
    in *order* among the kernel's steps (e.g. 15: after the external register, before the documents)."""
    app.extensions.setdefault("qms_demo_steps", []).append((order, step))


def _id_of(model, code: str | None) -> int | None:
    if not code:
        return None
    return db.session.scalar(select(model.id).where(model.code == code))
