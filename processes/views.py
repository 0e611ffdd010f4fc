"""Pages of the TTHC catalogue (ISO 9001:2008 clauses 4.1, 7.5.1): list and search, the procedure's
record and page, abolition. The process versions' pages are in ``version_views`` on the same blueprint.
"""

from __future__ import annotations

import math
import re
from importlib import import_module
from typing import NamedTuple

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from processes import permissions, queries, services
from processes.durations import duration_label, format_amount
from processes.forms import AbolishForm, ProcedureForm, StartVersionForm
from processes.models import AdministrativeProcedure, ProcedureStatus, ProcessVersion
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import Permission, can_read_revision, require_permission
from qms.timeutil import local_today, parse_local_date
from qms.ui import NavItem, add_nav
from qms.web import perform

bp = Blueprint("processes", __name__, url_prefix="/procedures")


def limit_label(procedure: AdministrativeProcedure) -> str:
    """ "20 working days", or "14 (committed) / 20 working days" when the agency shortened it."""
    legal = duration_label(procedure.legal_limit_minutes, procedure.legal_limit_unit)
    if procedure.committed_limit_minutes is None:
        return legal
    if procedure.committed_limit_unit == procedure.legal_limit_unit:
        committed = format_amount(procedure.committed_limit_minutes, procedure.committed_limit_unit)
    else:
        committed = duration_label(procedure.committed_limit_minutes, procedure.committed_limit_unit)
    return _("%(committed)s (committed) / %(legal)s", committed=committed, legal=legal)


class MapPicture(NamedTuple):
    markup: Markup
    width: int  # the drawing's own width: a small map is not blown up to the page's width


def map_svg(version: ProcessVersion) -> MapPicture | None:
    """The swimlane map of *version* as inline SVG (the drawing escapes every text it writes).

    The page names the procedure and the version above the map, so the drawing gets no title of its own.
    """
    if not version.steps:
        return None
    from processes.drawing import render_svg

    markup = render_svg(version)
    match = re.search(r'viewBox="0 0 ([0-9.]+) ', markup)
    return MapPicture(Markup(markup), math.ceil(float(match.group(1))) if match else 0)


@bp.context_processor
def _helpers() -> dict:
    return {"duration_label": duration_label, "limit_label": limit_label,
            "can_manage_catalogue": permissions.can_manage_catalogue(current_user),
            "can_draft_version": permissions.can_draft_version(current_user)}


def load_procedure(procedure_id: int) -> AdministrativeProcedure:
    return db.get_or_404(AdministrativeProcedure, procedure_id)


def readable_versions(procedure: AdministrativeProcedure) -> list[ProcessVersion]:
    """The versions whose revision this user may read (drafts and obsolete ones are not for everyone)."""
    today = local_today()
    return [v for v in queries.versions_of(procedure) if can_read_revision(current_user, v.revision, today)]


@bp.get("/")
@require_permission(Permission.PROCESSES_VIEW)
def index():
    filters = {key: request.args.get(key, "").strip() for key in ("q", "field", "status")}
    page = db.paginate(queries.catalogue_query(**filters), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    current = {p.id: queries.current_version(p) for p in page.items}
    return render_template("processes/index.html", page=page, filters=filters, fields=queries.fields(),
                           statuses=list(ProcedureStatus), current=current)


def _form_page(procedure: AdministrativeProcedure | None):
    form = ProcedureForm(obj=procedure)
    form.fill_choices(_externals(), procedure)
    if procedure is not None and not form.is_submitted():
        form.load(procedure)
    if form.validate_on_submit():
        try:
            if procedure is None:
                saved = services.create_procedure(form.values(), actor=current_user)
            else:
                saved = services.update_procedure(procedure, form.values(), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "name", form.name).errors.append(error.message)
            return render_template("processes/form.html", form=form, procedure=procedure,
                                   fields=queries.fields()), 422
        db.session.commit()
        flash(_("%(code)s saved in the catalogue.", code=saved.code), "success")
        return redirect(url_for("processes.detail", procedure_id=saved.id))
    return render_template("processes/form.html", form=form, procedure=procedure, fields=queries.fields())


def _externals():
    from qms.external_docs.models import ExternalDocument

    return db.session.scalars(select(ExternalDocument).order_by(ExternalDocument.number)).all()


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.PROCESSES_MANAGE)
def new():
    return _form_page(None)


@bp.route("/<int:procedure_id>/edit", methods=["GET", "POST"])
@require_permission(Permission.PROCESSES_MANAGE)
def edit(procedure_id: int):
    return _form_page(load_procedure(procedure_id))


@bp.post("/<int:procedure_id>/abolish")
@require_permission(Permission.PROCESSES_MANAGE)
def abolish(procedure_id: int):
    procedure = load_procedure(procedure_id)
    back = url_for("processes.detail", procedure_id=procedure.id)
    form = AbolishForm()
    if not form.validate_on_submit():
        flash(_("Give the date from which the procedure is abolished (dd/mm/yyyy)."), "danger")
        return redirect(back)
    return perform(lambda: services.abolish_procedure(procedure, actor=current_user, on=form.abolished_on.data,
                                                      reason=form.reason.data or ""),
                   done=_("%(code)s is marked abolished.", code=procedure.code), back=back)


@bp.post("/<int:procedure_id>/reinstate")
@require_permission(Permission.PROCESSES_MANAGE)
def reinstate(procedure_id: int):
    procedure = load_procedure(procedure_id)
    return perform(lambda: services.reinstate_procedure(procedure, actor=current_user),
                   done=_("%(code)s is in force again.", code=procedure.code),
                   back=url_for("processes.detail", procedure_id=procedure.id))


@bp.get("/<int:procedure_id>")
@require_permission(Permission.PROCESSES_VIEW)
def detail(procedure_id: int):
    procedure = load_procedure(procedure_id)
    versions = readable_versions(procedure)
    current, draft = queries.current_version(procedure), queries.draft_version(procedure)
    current = current if current in versions else None
    start_form = StartVersionForm()
    start_form.fill_choices()
    return render_template("processes/detail.html", procedure=procedure, versions=versions, current=current,
                           draft=draft if draft in versions else None, has_draft=draft is not None,
                           svg=map_svg(current) if current else None, in_force=_in_force_answer(procedure),
                           start_form=start_form, abolish_form=AbolishForm())


def _in_force_answer(procedure: AdministrativeProcedure) -> dict:
    """The answer of the "version in force on" box: the date asked, the version or an error."""
    text = request.args.get("on", "").strip()
    try:
        day = parse_local_date(text) if text else local_today()
    except ValueError:
        return {"text": text, "error": _("Enter a date as dd/mm/yyyy.")}
    version = queries.version_in_force_on(procedure.id, day)
    readable = version is not None and can_read_revision(current_user, version.revision, local_today())
    return {"text": text or day.strftime("%d/%m/%Y"), "day": day, "version": version, "readable": readable,
            "asked": bool(text)}


def init_app(app: Flask) -> None:
    import_module("processes.version_views")  # the versions' routes, on the same bp

    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Processes"), _l("Administrative procedures"), "processes.index",
                         Permission.PROCESSES_VIEW, 300))
