"""The working calendar page: the counting rules, office hours by date, exceptions and a year overview."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date

from flask import Blueprint, Flask, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import extract, select

from qms.calendar import services
from qms.calendar.forms import ExceptionForm, OfficeHoursForm, RulesForm
from qms.calendar.models import CalendarException, OfficeHours
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today
from qms.ui import NavItem, add_nav
from qms.web import perform

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _page(year: int, rules_form=None, hours_form=None, exception_form=None, status: int = 200):
    rules = services.current_rules()
    if rules_form is None:
        rules_form = RulesForm(data={"weekdays": sorted(rules.weekdays), "convention": rules.convention.value,
                                     "cutoff_enabled": rules.cutoff_enabled, "cutoff_at": rules.cutoff_at,
                                     "timeliness_point": rules.timeliness_point.value})
    hours = db.session.scalars(select(OfficeHours).order_by(OfficeHours.effective_from.desc())).all()
    exceptions = db.session.scalars(select(CalendarException).where(extract("year", CalendarException.day) == year)
                                    .order_by(CalendarException.day)).all()
    overview = services.year_overview(year)
    months = [(month, month_calendar.Calendar().monthdayscalendar(year, month)) for month in range(1, 13)]
    return render_template("calendar/index.html", year=year, rules=rules, rules_form=rules_form,
                           hours_form=hours_form or OfficeHoursForm(), exception_form=exception_form or ExceptionForm(),
                           hours=hours, exceptions=exceptions, months=months,
                           days={day: (working, reason) for day, working, reason in overview},
                           working_count=sum(1 for _day, working, _reason in overview if working),
                           can_manage=services.can_manage_calendar(current_user),
                           date_of=date), status


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    return min(max(year, services.FIRST_DAY.year), local_today().year + services.YEARS_AHEAD)


@bp.get("/")
@require_permission(Permission.ORG_VIEW)
def index():
    return _page(_year())


def _submit(form, action, done: str, year: int, **page_forms):
    """Validate *form*, run the service, commit and say *done*; otherwise show the page with the errors."""
    if not form.validate_on_submit():
        return _page(year, **page_forms, status=422)
    return perform(lambda: action(form), done=done, back=url_for("calendar.index", year=year))


@bp.post("/rules")
@require_permission(Permission.CALENDAR_MANAGE)
def save_rules():
    form = RulesForm()
    return _submit(form, lambda f: services.update_rules(f.data | {"weekdays": f.weekdays.data}, actor=current_user),
                   _("The counting rules are saved."), _year(), rules_form=form)


@bp.post("/office-hours")
@require_permission(Permission.CALENDAR_MANAGE)
def add_office_hours():
    form = OfficeHoursForm()
    return _submit(form, lambda f: services.add_office_hours(f.data, actor=current_user),
                   _("The office hours are saved."), _year(), hours_form=form)


@bp.post("/office-hours/<int:hours_id>/delete")
@require_permission(Permission.CALENDAR_MANAGE)
def delete_office_hours(hours_id: int):
    row = db.get_or_404(OfficeHours, hours_id)
    return perform(lambda: services.delete_office_hours(row, actor=current_user),
                   done=_("The office hours are deleted."), back=url_for("calendar.index", year=_year()))


@bp.post("/exceptions")
@require_permission(Permission.CALENDAR_MANAGE)
def add_exception():
    form = ExceptionForm()
    year = form.day.data.year if form.day.data else _year()
    return _submit(form, lambda f: services.add_exception(f.data, actor=current_user),
                   _("The date is recorded in the calendar."), year, exception_form=form)


@bp.post("/exceptions/<int:exception_id>/delete")
@require_permission(Permission.CALENDAR_MANAGE)
def delete_exception(exception_id: int):
    row = db.get_or_404(CalendarException, exception_id)
    return perform(lambda: services.delete_exception(row, actor=current_user),
                   done=_("The date is removed from the calendar."), back=url_for("calendar.index", year=row.day.year))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Organisation"), _l("Working calendar"), "calendar.index", Permission.ORG_VIEW, 20))
