"""User administration: accounts, roles, passwords, locks and signing delegations."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qms.audit.models import AuditEntry
from qms.auth import services as auth_services
from qms.errors import DomainError, Forbidden
from qms.extensions import db
from qms.org.models import Position, Unit
from qms.permissions import Permission, Role, can_manage_delegation, has_permission, require_permission
from qms.text import word_patterns
from qms.timeutil import utcnow
from qms.ui import NavItem, add_nav
from qms.users import services
from qms.users.forms import DeactivateForm, DelegationForm, UserForm
from qms.users.models import Delegation, User, UserRole

bp = Blueprint("users", __name__, url_prefix="/users")


def _choices():
    units = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order)).all()
    positions = db.session.scalars(select(Position).where(Position.is_active.is_(True))
                                   .order_by(Position.rank)).all()
    return units, positions


@bp.get("/")
@require_permission(Permission.USERS_MANAGE)
def index():
    query = select(User).order_by(User.is_active.desc(), User.full_name)
    q, unit_id, role, status = (request.args.get(k, "") for k in ("q", "unit", "role", "status"))
    for pattern in word_patterns(q):
        query = query.where(User.search_key.like(pattern, escape="\\"))
    if unit_id.isdigit():
        query = query.where(User.unit_id == int(unit_id))
    if role in {r.value for r in Role}:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role(role))))
    if status == "active":
        query = query.where(User.is_active.is_(True))
    elif status == "inactive":
        query = query.where(User.is_active.is_(False))
    elif status == "locked":
        query = query.where(User.locked_until > utcnow())
    page = db.paginate(query, per_page=25, error_out=False)
    units, _positions = _choices()
    return render_template("users/index.html", page=page, units=units, roles=list(Role), now=utcnow())


def _save_user_page(user: User | None):
    form = UserForm(obj=user)
    units, positions = _choices()
    form.fill_choices(units, positions)
    if request.method == "GET" and user is not None:
        form.roles.data = [r.value for r in user.role_set]
        form.unit_id.data, form.position_id.data = user.unit_id or 0, user.position_id or 0
    if user is not None:
        form.username.data = user.username  # the username never changes: history refers to it
    if form.validate_on_submit():
        try:
            if user is None:
                saved, password = services.create_user(form.profile_values(), form.roles.data, actor=current_user)
            else:
                saved, password = services.update_user(user, form.profile_values(), form.roles.data,
                                                       actor=current_user), None
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "full_name").errors.append(error.message)
            return render_template("users/form.html", form=form, user=user), 422
        db.session.commit()
        if password:
            flash(_("Account %(username)s created. Initial password: %(password)s (to be changed at first "
                    "sign-in).", username=saved.username, password=password), "success")
        else:
            flash(_("Account %(username)s saved.", username=saved.username), "success")
        return redirect(url_for("users.detail", user_id=saved.id))
    return render_template("users/form.html", form=form, user=user)


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.USERS_MANAGE)
def new():
    return _save_user_page(None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.USERS_MANAGE)
def edit(user_id: int):
    return _save_user_page(db.get_or_404(User, user_id))


@bp.get("/<int:user_id>")
@require_permission(Permission.USERS_MANAGE)
def detail(user_id: int):
    user = db.get_or_404(User, user_id)
    history = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "users", AuditEntry.object_id == str(user.id))
        .order_by(AuditEntry.seq.desc()).limit(20)).all()
    return render_template("users/detail.html", user=user, history=history, now=utcnow(),
                           deactivate_form=DeactivateForm())


def _account_action(user_id: int, action, done_message):
    user = db.get_or_404(User, user_id)
    try:
        result = action(user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("users.detail", user_id=user.id))
    db.session.commit()
    flash(done_message(user, result), "success")
    return redirect(url_for("users.detail", user_id=user.id))


@bp.post("/<int:user_id>/deactivate")
@require_permission(Permission.USERS_MANAGE)
def deactivate(user_id: int):
    reason = DeactivateForm().reason.data or ""
    return _account_action(user_id, lambda u: services.deactivate_user(u, actor=current_user, reason=reason),
                           lambda u, _r: _("Account %(username)s deactivated.", username=u.username))


@bp.post("/<int:user_id>/reactivate")
@require_permission(Permission.USERS_MANAGE)
def reactivate(user_id: int):
    return _account_action(user_id, lambda u: services.reactivate_user(u, actor=current_user),
                           lambda u, _r: _("Account %(username)s reactivated.", username=u.username))


@bp.post("/<int:user_id>/reset-password")
@require_permission(Permission.USERS_MANAGE)
def reset_password(user_id: int):
    return _account_action(
        user_id, lambda u: auth_services.reset_password(u, actor=current_user),
        lambda u, password: _("Temporary password for %(username)s: %(password)s. They must change it at next "
                              "sign-in.", username=u.username, password=password))


@bp.post("/<int:user_id>/unlock")
@require_permission(Permission.USERS_MANAGE)
def unlock(user_id: int):
    return _account_action(user_id, lambda u: auth_services.unlock(u, actor=current_user),
                           lambda u, _r: _("Account %(username)s unlocked.", username=u.username))


@bp.get("/delegations")
@require_permission(Permission.DELEGATIONS_MANAGE)
def delegations():
    rows = db.session.scalars(select(Delegation).order_by(Delegation.starts_on.desc())).all()
    return render_template("users/delegations.html", delegations=rows,
                           can_revoke=lambda d: can_manage_delegation(current_user, d.director))


@bp.route("/delegations/new", methods=["GET", "POST"])
@require_permission(Permission.DELEGATIONS_MANAGE)
def new_delegation():
    form = DelegationForm()
    active = db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.full_name)).all()
    directors = [u for u in active if u.has_role(Role.DIRECTOR)]
    if not has_permission(current_user, Permission.USERS_MANAGE):
        directors = [u for u in directors if u.id == current_user.id]
    form.director_id.choices = [(u.id, u.display_title) for u in directors]
    form.deputy_id.choices = [(u.id, u.display_title) for u in active if u.position and u.position.is_leadership
                              and not u.has_role(Role.DIRECTOR)]
    if form.validate_on_submit():
        director, deputy = db.get_or_404(User, form.director_id.data), db.get_or_404(User, form.deputy_id.data)
        try:
            services.create_delegation(director, deputy, form.starts_on.data, form.ends_on.data, actor=current_user,
                                       scope=form.scope.data or "", decision_ref=form.decision_ref.data or "")
        except (DomainError, Forbidden) as error:
            db.session.rollback()
            getattr(form, error.field or "director_id").errors.append(error.message)
            return render_template("users/delegation_form.html", form=form), 422
        db.session.commit()
        flash(_("Delegation recorded."), "success")
        return redirect(url_for("users.delegations"))
    return render_template("users/delegation_form.html", form=form)


@bp.post("/delegations/<int:delegation_id>/revoke")
@require_permission(Permission.DELEGATIONS_MANAGE)
def revoke_delegation(delegation_id: int):
    delegation = db.get_or_404(Delegation, delegation_id)
    try:
        services.revoke_delegation(delegation, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("users.delegations"))
    db.session.commit()
    flash(_("Delegation revoked."), "success")
    return redirect(url_for("users.delegations"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    admin = _l("Administration")
    add_nav(app, NavItem(admin, _l("Users"), "users.index", Permission.USERS_MANAGE, 910))
    add_nav(app, NavItem(admin, _l("Signing delegations"), "users.delegations", Permission.DELEGATIONS_MANAGE, 911))
