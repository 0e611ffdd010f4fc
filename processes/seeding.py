"""The demo TTHC catalogue and the process maps of the demo procedures (ISO 9001:2008 clauses 4.2.3, 7.5.1).

Read from ``seed_data/demo/*.toml`` and written through the services, so the audit log shows who
did what and the workflow's checks apply (the steps of a map must add up to its limit):

- ``load_procedures_demo``: the catalogue (the ``procedures`` list), kept by the ISO secretary;
- ``abolish_procedures_demo``: the procedures the province has since abolished, after their
  documents were seeded (the map was drafted while the procedure was in force);
- ``seed_version``: the ``process`` table of a demo document revision, called by the document
  loader (``qms.documents.hooks.seed``) after each draft is written and before it is signed.

Idempotent by natural key: a procedure whose code is in the catalogue is left alone; a process
map is only seeded with its revision, which the document loader creates once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from processes import services
from processes.models import ProcedureStatus, ProcessVersion, TimeUnit
from qms.audit import log as audit
from qms.extensions import db
from qms.external_docs.services import find_by_number
from qms.org.models import Unit
from qms.users.models import User

#: The ISO secretary keeps the catalogue (services.can_manage_catalogue).
CATALOGUE_KEEPER = "huong.nt"

_CATALOGUE_KEYS = ("code", "name", "field", "level", "legal_limit", "legal_limit_unit", "committed_limit",
                   "committed_limit_unit", "fees", "accepts_in_person", "accepts_post", "online_service",
                   "announcement_no", "announcement_on", "internal_approval_no", "internal_approval_on", "notes")
_DATE_KEYS = ("announcement_on", "internal_approval_on")
#: How a step's time is written in the TOML: ``days = 0.5``, ``hours = 4`` or ``calendar_days = 3``.
_TIME_KEYS = {"days": TimeUnit.WORKING_DAYS, "hours": TimeUnit.WORKING_HOURS,
              "calendar_days": TimeUnit.CALENDAR_DAYS}


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValueError(f"demo process data: no user {username}")
    return user


def _unit_id(code: str | None) -> int | None:
    if not code:
        return None
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == code))
    if unit_id is None:
        raise ValueError(f"demo process data: no unit {code}")
    return unit_id


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _catalogue_values(spec: dict) -> dict:
    """The services' values for a catalogue entry of the TOML (unit codes and register numbers resolved)."""
    values = {key: spec[key] for key in _CATALOGUE_KEYS if key in spec}
    if "legal_limit" in values:
        values.setdefault("legal_limit_unit", TimeUnit.WORKING_DAYS.value)  # the unit of nearly every TTHC
    for key in _DATE_KEYS:
        if key in values:
            values[key] = _as_date(values[key])
    if "owner_unit" in spec:
        values["owner_unit_id"] = _unit_id(spec["owner_unit"])
    if "legal_bases" in spec:
        ids = []
        for number in spec["legal_bases"]:
            external = find_by_number(number)
            if external is None:  # our own data: a typo must not silently drop a legal basis
                raise ValueError(f"procedure {spec.get('code', '')}: {number} is not in the external register")
            ids.append(external.id)
        values["legal_basis_ids"] = ids
    return values


def load_procedures_demo(directory, data: dict, password: str) -> tuple[int, int]:
    """Add the demo procedures (``procedures`` list of *data*) to the catalogue; return (created, unchanged)."""
    keeper = _user(CATALOGUE_KEEPER)
    created = unchanged = 0
    with audit.acting_as(audit.Actor.of_user(keeper)):
        for spec in data.get("procedures", []):
            if services.find_procedure(spec["code"]) is not None:
                unchanged += 1
                continue
            services.create_procedure(_catalogue_values(spec), actor=keeper)
            created += 1
    db.session.flush()
    return created, unchanged


def abolish_procedures_demo(directory, data: dict, password: str) -> tuple[int, int]:
    """Mark abolished the demo procedures with an ``abolished`` table (on, reason); return (created, unchanged)."""
    keeper = _user(CATALOGUE_KEEPER)
    created = unchanged = 0
    with audit.acting_as(audit.Actor.of_user(keeper)):
        for spec in data.get("procedures", []):
            abolition = spec.get("abolished")
            if not abolition:
                continue
            procedure = services.find_procedure(spec["code"])
            if procedure.status == ProcedureStatus.ABOLISHED:
                unchanged += 1
                continue
            services.abolish_procedure(procedure, actor=keeper, on=_as_date(abolition["on"]),
                                       reason=abolition.get("reason", ""))
            created += 1
    db.session.flush()
    return created, unchanged


# Process maps ---------------------------------------------------------------------------------------


def _time(spec: dict) -> tuple[object, TimeUnit] | None:
    for key, unit in _TIME_KEYS.items():
        if key in spec:
            return spec[key], unit
    return None


def _step_row(spec: dict, base: dict | None = None) -> dict:
    """A step row for ``services.replace_steps`` from a TOML step (``unit`` there is the organisation unit's
    code); with *base*, the TOML step only says what changes in that existing row."""
    row = dict(base or {})
    for key in ("code", "name", "description", "performer", "kind", "output"):
        if key in spec:
            row[key] = spec[key]
    if "unit" in spec:
        row["unit_id"] = _unit_id(spec["unit"])
    time = _time(spec)
    if time is not None:
        row.pop("minutes", None)
        row["amount"], row["unit"] = time
    return row


def _existing_rows(version: ProcessVersion) -> list[dict]:
    return [{"code": s.code, "name": s.name, "description": s.description, "unit_id": s.unit_id,
             "performer": s.performer, "kind": s.kind.value, "minutes": s.allotted_minutes,
             "unit": s.allotted_unit.value, "output": s.output} for s in version.steps]


def _branch_row(spec: dict) -> dict:
    return {"kind": spec["kind"], "from_step": spec["from"], "to_step": spec.get("to", ""),
            "party": spec.get("party", ""), "condition": spec.get("condition", ""), "output": spec.get("output", "")}


def _existing_branches(version: ProcessVersion) -> list[dict]:
    return [{"kind": b.kind.value, "from_step": b.from_step.code, "to_step": b.to_step.code if b.to_step else "",
             "party": b.party, "condition": b.condition, "output": b.output} for b in version.branches]


def seed_version(revision, process: dict, revision_spec: dict) -> ProcessVersion:
    """Write the process map of a seeded draft *revision* from its TOML ``process`` table.

    ``procedure`` names the catalogue entry. ``committed_limit`` (and ``committed_limit_unit``) or a
    ``catalogue`` table first change the catalogue as the ISO secretary, e.g. a provincial decision
    that shortened the time limit. ``steps`` replace the steps; on a later revision, whose map was
    copied from the one in force, ``amend`` changes only the steps it names (by code). ``branches``
    replace the branches (kept otherwise). The drafter of the revision writes the map.
    """
    procedure = services.find_procedure(process["procedure"])
    if procedure is None:
        raise ValueError(f"process of {revision.document.code}: no procedure {process['procedure']} in the catalogue")
    changes = dict(process.get("catalogue", {}))
    for key in ("committed_limit", "committed_limit_unit"):
        if key in process:
            changes[key] = process[key]
    if changes:
        keeper = _user(CATALOGUE_KEEPER)
        with audit.acting_as(audit.Actor.of_user(keeper)):
            services.update_procedure(procedure, _catalogue_values(changes), actor=keeper)
    drafter = revision.drafted_by
    with audit.acting_as(audit.Actor.of_user(drafter)):
        version = services.version_of(revision) or services.create_version(procedure, revision, actor=drafter)
        if "steps" in process:
            rows = [_step_row(step) for step in process["steps"]]
        else:
            rows = _existing_rows(version)
            changed = {step["code"]: step for step in process.get("amend", [])}
            unknown = set(changed) - {row["code"] for row in rows}
            if unknown:
                raise ValueError(f"process of {revision.document.code}: no step {', '.join(sorted(unknown))} to amend")
            rows = [_step_row(changed[row["code"]], row) if row["code"] in changed else row for row in rows]
        branches = [_branch_row(b) for b in process["branches"]] if "branches" in process \
            else _existing_branches(version)
        services.replace_steps(version, rows, branches, actor=drafter, notes=process.get("notes"))
    return version
