"""Services for the agency, its units and positions. They flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.errors import Conflict, Forbidden
from qms.extensions import db
from qms.org.models import Agency, Position, Unit
from qms.permissions import Permission, has_permission


def current_agency() -> Agency | None:
    """The agency this installation serves (the first and only row)."""
    return db.session.scalar(select(Agency).order_by(Agency.id).limit(1))


def _require_manage(actor) -> None:
    if not has_permission(actor, Permission.ORG_MANAGE):
        raise Forbidden(_("You may not change the organisation."))


def save_agency(values: dict, *, actor) -> Agency:
    """Create or update the agency's identity (name, parent body, code, contact)."""
    _require_manage(actor)
    agency = current_agency() or Agency()
    for key, value in values.items():
        setattr(agency, key, value.strip() if isinstance(value, str) else value)
    db.session.add(agency)
    db.session.flush()
    return agency


def _check_unique(model, field: str, value: str, current_id: int | None, message: str) -> None:
    column = getattr(model, field)
    clash = db.session.scalar(select(model).where(func.lower(column) == value.strip().lower()))
    if clash is not None and clash.id != current_id:
        raise Conflict(message, field=field)


def save_unit(unit: Unit | None, values: dict, *, actor) -> Unit:
    """Create a unit (``unit=None``) or update one; codes and names are unique."""
    _require_manage(actor)
    unit = unit or Unit()
    _check_unique(Unit, "code", values["code"], unit.id,
                  _("The unit code %(code)s is already used.", code=values["code"]))
    _check_unique(Unit, "name", values["name"], unit.id,
                  _("A unit named %(name)s already exists.", name=values["name"]))
    parent_id = values.get("parent_id")
    if parent_id and unit.id and _is_descendant(parent_id, unit.id):
        raise Conflict(_("A unit cannot be placed under itself or one of its sub-units."), field="parent_id")
    for key, value in values.items():
        setattr(unit, key, value.strip() if isinstance(value, str) else value)
    db.session.add(unit)
    db.session.flush()
    return unit


def _is_descendant(candidate_id: int, unit_id: int) -> bool:
    seen = set()
    node = db.session.get(Unit, candidate_id)
    while node is not None and node.id not in seen:
        if node.id == unit_id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def save_position(position: Position | None, values: dict, *, actor) -> Position:
    """Create or update a position; codes and names are unique."""
    _require_manage(actor)
    position = position or Position()
    _check_unique(Position, "code", values["code"], position.id,
                  _("The position code %(code)s is already used.", code=values["code"]))
    _check_unique(Position, "name", values["name"], position.id,
                  _("A position named %(name)s already exists.", name=values["name"]))
    for key, value in values.items():
        setattr(position, key, value.strip() if isinstance(value, str) else value)
    db.session.add(position)
    db.session.flush()
    return position
