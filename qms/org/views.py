"""Organisation pages: the directory of units and people, and their administration."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qms.errors import DomainError
from qms.extensions import db
from qms.org import services
from qms.org.forms import AgencyForm, PositionForm, UnitForm
from qms.org.models import Position, Unit, UnitKind
from qms.permissions import Permission, require_permission
from qms.ui import NavItem, add_nav

bp = Blueprint("org", __name__, url_prefix="/org")


def _units():
    return db.session.scalars(select(Unit).order_by(Unit.sort_order, Unit.name)).all()


@bp.get("/")
@require_permission(Permission.ORG_VIEW)
def directory():
    from qms.users.models import User

    users = db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name)).all()
    by_unit: dict[int | None, list] = {}
    for user in users:
        by_unit.setdefault(user.unit_id, []).append(user)
    for members in by_unit.values():
        members.sort(key=lambda u: (u.position.rank if u.position else 999, u.full_name))
    return render_template("org/directory.html", agency=services.current_agency(),
                           units=[u for u in _units() if u.is_active], by_unit=by_unit)


@bp.route("/agency", methods=["GET", "POST"])
@require_permission(Permission.ORG_MANAGE)
def agency():
    current = services.current_agency()
    form = AgencyForm(obj=current)
    if form.validate_on_submit():
        values = {f.name: f.data or "" for f in form if f.name != "csrf_token"}
        services.save_agency(values, actor=current_user)
        db.session.commit()
        flash(_("The agency's details have been saved."), "success")
        return redirect(url_for("org.agency"))
    return render_template("org/agency.html", form=form)


@bp.get("/units")
@require_permission(Permission.ORG_MANAGE)
def units():
    return render_template("org/units.html", units=_units())


def _unit_form_page(unit: Unit | None):
    form = UnitForm(obj=unit)
    form.fill_choices([u for u in _units() if unit is None or u.id != unit.id])
    if unit is not None and form.parent_id.data is None:
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        values = {"code": form.code.data, "name": form.name.data, "short_name": form.short_name.data or "",
                  "kind": UnitKind(form.kind.data), "parent_id": form.parent_id.data or None,
                  "sort_order": form.sort_order.data or 0, "description": form.description.data or "",
                  "is_active": form.is_active.data}
        try:
            saved = services.save_unit(unit, values, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template("org/unit_form.html", form=form, unit=unit), 422
        db.session.commit()
        flash(_("Unit %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("org.units"))
    return render_template("org/unit_form.html", form=form, unit=unit)


@bp.route("/units/new", methods=["GET", "POST"])
@require_permission(Permission.ORG_MANAGE)
def new_unit():
    return _unit_form_page(None)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.ORG_MANAGE)
def edit_unit(unit_id: int):
    return _unit_form_page(db.get_or_404(Unit, unit_id))


@bp.get("/positions")
@require_permission(Permission.ORG_MANAGE)
def positions():
    rows = db.session.scalars(select(Position).order_by(Position.rank, Position.name)).all()
    return render_template("org/positions.html", positions=rows)


def _position_form_page(position: Position | None):
    form = PositionForm(obj=position)
    if form.validate_on_submit():
        values = {"code": form.code.data, "name": form.name.data, "rank": form.rank.data or 0,
                  "is_leadership": form.is_leadership.data, "is_active": form.is_active.data}
        try:
            services.save_position(position, values, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "code").errors.append(error.message)
            return render_template("org/position_form.html", form=form, position=position), 422
        db.session.commit()
        flash(_("Position %(name)s saved.", name=values["name"]), "success")
        return redirect(url_for("org.positions"))
    return render_template("org/position_form.html", form=form, position=position)


@bp.route("/positions/new", methods=["GET", "POST"])
@require_permission(Permission.ORG_MANAGE)
def new_position():
    return _position_form_page(None)


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.ORG_MANAGE)
def edit_position(position_id: int):
    position = db.session.get(Position, position_id) or abort(404)
    return _position_form_page(position)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    section = _l("Organisation")
    add_nav(app, NavItem(section, _l("Units and people"), "org.directory", Permission.ORG_VIEW, 10))
    admin = _l("Administration")
    add_nav(app, NavItem(admin, _l("Agency"), "org.agency", Permission.ORG_MANAGE, 900))
    add_nav(app, NavItem(admin, _l("Units"), "org.units", Permission.ORG_MANAGE, 901))
    add_nav(app, NavItem(admin, _l("Positions"), "org.positions", Permission.ORG_MANAGE, 902))
