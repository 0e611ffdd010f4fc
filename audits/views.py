"""Pages of internal audits (ISO 9001:2008 clause 8.2.2): the overview, the yearly programme with its approval
and .xlsx export, and the coverage matrix. Auditors, plans and the calendar have their own view modules on
the same blueprint (``views_auditors``, ``views_plans``, ``calendar_views``).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from audits import clauses, exports, permissions, services
from audits.forms import CommentForm, ProgrammeForm, SignForm
from audits.models import Audit, AuditProgramme, ProgrammeStatus, ProgrammeTransition
from audits.programme_coverage import year_coverage
from qms.errors import DomainError
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.signatures.services import signatures_of
from qms.timeutil import local_today
from qms.ui import NavItem, add_nav
from qms.web import perform

bp = Blueprint("audits", __name__, url_prefix="/audits")


@bp.get("/")
@require_permission(Permission.AUDITS_VIEW)
def index():
    """The programmes by year and every audit, newest first."""
    programmes = db.session.scalars(select(AuditProgramme).order_by(AuditProgramme.year.desc())).all()
    audits = db.session.scalars(select(Audit).order_by(Audit.planned_start.desc(), Audit.code.desc())).all()
    form = ProgrammeForm(year=_next_programme_year(programmes))
    return render_template("audits/index.html", programmes=programmes, audits=audits, form=form,
                           can_manage=permissions.can_manage_audits(current_user))


def _next_programme_year(programmes) -> int:
    taken = {p.year for p in programmes}
    year = local_today().year
    while year in taken:
        year += 1
    return year


@bp.post("/programmes")
@require_permission(Permission.AUDITS_MANAGE)
def new_programme():
    form = ProgrammeForm()
    if not form.validate_on_submit():
        flash(_("Give a year between 2000 and 2100."), "danger")
        return redirect(url_for("audits.index"))
    try:
        programme = services.create_programme(form.year.data, form.data, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("audits.index"))
    db.session.commit()
    return redirect(url_for("audits.programme", programme_id=programme.id))


@bp.get("/programmes/<int:programme_id>")
@require_permission(Permission.AUDITS_VIEW)
def programme(programme_id: int):
    """The programme: its audits with scope and dates, its state, history and signature."""
    item = db.get_or_404(AuditProgramme, programme_id)
    history = db.session.scalars(select(ProgrammeTransition).where(ProgrammeTransition.programme_id == item.id)
                                 .order_by(ProgrammeTransition.id)).all()
    return render_template("audits/programme.html", programme=item, history=history,
                           signatures=signatures_of(item), sign_form=SignForm(), comment_form=CommentForm(),
                           coverage=year_coverage(item.year),
                           can_edit=permissions.can_edit_programme(current_user, item),
                           can_approve=permissions.can_approve_programme(current_user, item, local_today()),
                           state_label=lambda value: ProgrammeStatus(value).label if value else "")


@bp.post("/programmes/<int:programme_id>/submit")
@require_permission(Permission.AUDITS_MANAGE)
def submit_programme(programme_id: int):
    item = db.get_or_404(AuditProgramme, programme_id)
    return perform(lambda: services.submit_programme(item, actor=current_user),
                   done=_("The programme was submitted to the director."),
                   back=url_for("audits.programme", programme_id=item.id))


@bp.post("/programmes/<int:programme_id>/return")
@require_permission(Permission.AUDITS_VIEW)
def return_programme(programme_id: int):
    item = db.get_or_404(AuditProgramme, programme_id)
    if not permissions.can_approve_programme(current_user, item, local_today()):
        abort(403)
    return perform(lambda: services.return_programme(item, actor=current_user,
                                                     comment=request.form.get("comment", "")),
                   done=_("The programme was returned for changes."),
                   back=url_for("audits.programme", programme_id=item.id))


@bp.post("/programmes/<int:programme_id>/approve")
@require_permission(Permission.AUDITS_VIEW)
def approve_programme(programme_id: int):
    """The director (or a deputy under a delegation) signs the programme with their password."""
    item = db.get_or_404(AuditProgramme, programme_id)
    if not permissions.can_approve_programme(current_user, item, local_today()):
        abort(403)
    return perform(lambda: services.approve_programme(item, actor=current_user,
                                                      password=request.form.get("password", ""),
                                                      comment=request.form.get("comment", "")),
                   done=_("The programme of %(year)d is approved.", year=item.year),
                   back=url_for("audits.programme", programme_id=item.id))


@bp.get("/programmes/<int:programme_id>/programme.xlsx")
@require_permission(Permission.AUDITS_VIEW)
def programme_xlsx(programme_id: int):
    item = db.get_or_404(AuditProgramme, programme_id)
    data = exports.programme_xlsx(item, services.audits_of_year(item.year), locale=str(get_locale() or "vi"))
    return Response(data, mimetype=XLSX_MIMETYPE, headers={
        "Content-Disposition": f"attachment; filename=chuong-trinh-danh-gia-noi-bo-{item.year}.xlsx"})


@bp.get("/coverage")
@require_permission(Permission.AUDITS_VIEW)
def coverage():
    """Every unit and every clause of ISO 9001:2008 against the year's audits; the gaps stand out."""
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    return render_template("audits/coverage.html", coverage=year_coverage(year), year=year,
                           programme=services.programme_of(year), locale=str(get_locale() or "vi"),
                           clause_title=clauses.title)


def init_app(app: Flask) -> None:
    from audits import calendar_views, panels, views_auditors, views_plans  # noqa: F401 - their routes on bp

    app.register_blueprint(bp)
    panels.init_app(app)
    section = _l("Internal audits")
    add_nav(app, NavItem(section, _l("Programmes and audits"), "audits.index", Permission.AUDITS_VIEW, order=60))
    add_nav(app, NavItem(section, _l("Coverage"), "audits.coverage", Permission.AUDITS_VIEW, order=61))
    add_nav(app, NavItem(section, _l("Audit calendar"), "audits.calendar", Permission.AUDITS_VIEW, order=62))
    add_nav(app, NavItem(section, _l("Auditors"), "audits.auditors", Permission.AUDITS_VIEW, order=63))
    from audits import seeding
    from qms.seeding import add_demo_step

    add_demo_step(app, 60, seeding.load_audits_demo)  # after the procedures, documents and dossiers
