"""Pages of the dossiers (hồ sơ TTHC; ISO 9001:2008 clauses 7.5.1, 8.2.3): the list with its filters, the
receipt at the one-stop shop (Mẫu 01 data) and the dossier itself, which is the electronic Mẫu 05
(Phiếu kiểm soát quá trình giải quyết hồ sơ). The actions recorded on it are in ``action_views``.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from processes.dossiers import services
from processes.dossiers.forms import (
    ApologyForm,
    EndForm,
    FinishStepForm,
    ReasonForm,
    ReceiveForm,
    WhenForm,
)
from processes.dossiers.models import Apology, Dossier, DossierStatus, StepRun, Timeliness
from processes.dossiers.timing import clock_for, paused_within
from processes.models import AdministrativeProcedure
from qms.calendar import services as calendar
from qms.calendar.engine import OutOfRange
from qms.errors import DomainError
from qms.extensions import db
from qms.permissions import Permission, require_permission
from qms.text import like_pattern
from qms.timeutil import local_midnight_utc, local_today, parse_local_date, to_local, utcnow
from qms.ui import NavItem, add_nav

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")

OPEN_STATUSES = (DossierStatus.ACCEPTED, DossierStatus.IN_PROGRESS, DossierStatus.SUPPLEMENT_REQUESTED,
                 DossierStatus.PAYMENT_REQUESTED)
#: The words of Mẫu 05's result column, printed on the agency's form (fixed text, not translated).
MAU05_RESULTS = {Timeliness.EARLY: "Trước hạn", Timeliness.ON_TIME: "Đúng hạn", Timeliness.LATE: "Quá hạn"}
STATUS_TONES = {DossierStatus.REGISTERED: "info", DossierStatus.ACCEPTED: "info", DossierStatus.NOT_ACCEPTED: "danger",
                DossierStatus.IN_PROGRESS: "info", DossierStatus.SUPPLEMENT_REQUESTED: "warning",
                DossierStatus.PAYMENT_REQUESTED: "warning", DossierStatus.WITHDRAWN: "muted",
                DossierStatus.STOPPED: "danger", DossierStatus.RESULT_READY: "success", DossierStatus.RETURNED: "muted"}
TIMELINESS_TONES = {Timeliness.EARLY: "success", Timeliness.ON_TIME: "info", Timeliness.LATE: "danger"}


def working_time_label(units: float | None) -> str:
    """Measured working time (480 a working day) as people say it: "12,5 working days", "1,2 working hours"."""
    if units is None:
        return "—"
    if abs(units) >= 240:
        days = round(units / 480, 1)
        return ngettext("%(amount)s working day", "%(amount)s working days", 1 if days == 1 else 2,
                        amount=_decimal(days))
    hours = round(units / 60, 1)
    return ngettext("%(amount)s working hour", "%(amount)s working hours", 1 if hours == 1 else 2,
                    amount=_decimal(hours))


def _decimal(value: float) -> str:
    return f"{value:g}".replace(".", ",")  # the decimal comma, as durations.format_amount writes it


def mau05_time(value) -> str:
    """ "15 giờ 40 phút, ngày 25/04/2024": the time cell of Mẫu 05, in the agency's time zone."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def is_overdue(dossier: Dossier, now=None) -> bool:
    """Open, and its due date (the statistics' one: an apology does not move it) has passed; not while the
    applicant holds it for a supplement (the limit will restart, or the due date move, when it comes back)."""
    return (dossier.is_open and dossier.status != DossierStatus.SUPPLEMENT_REQUESTED and dossier.due_at is not None
            and dossier.due_at < (now or utcnow()))


@bp.context_processor
def _helpers() -> dict:
    return {"working_time_label": working_time_label, "mau05_time": mau05_time, "is_overdue": is_overdue,
            "running_step": services.running_step, "status_tones": STATUS_TONES,
            "timeliness_tones": TIMELINESS_TONES, "mau05_results": MAU05_RESULTS,
            "can_handle": services.can_handle_dossiers(current_user),
            "hour_of": lambda value: to_local(value).strftime("%H:%M") if value else ""}


def load_dossier(dossier_id: int) -> Dossier:
    return db.get_or_404(Dossier, dossier_id)


# The list -------------------------------------------------------------------------------------------

FILTER_KEYS = ("q", "procedure", "status", "timeliness", "from", "to", "quick")


def _day(text: str, errors: list[str]):
    try:
        return parse_local_date(text) if text else None
    except ValueError:
        errors.append(_("Enter a date as dd/mm/yyyy."))
        return None


def dossier_query(filters: dict, errors: list[str]):
    """The dossiers matching the list's filters, the latest received first."""
    query = select(Dossier).options(selectinload(Dossier.steps).selectinload(StepRun.unit))
    for word in filters["q"].split()[:8]:  # every word in the code or the applicant's name, diacritics ignored
        pattern = like_pattern(word)
        query = query.where(or_(Dossier.code.ilike(pattern, escape="\\"),
                                Dossier.applicant_key.like(pattern, escape="\\")))
    if filters["procedure"].isdigit():
        query = query.where(Dossier.procedure_id == int(filters["procedure"]))
    if filters["status"].isdigit() and int(filters["status"]) in {s.value for s in DossierStatus}:
        query = query.where(Dossier.status == int(filters["status"]))
    if filters["timeliness"] in {t.value for t in Timeliness}:
        query = query.where(Dossier.timeliness == Timeliness(filters["timeliness"]))
    start, end = _day(filters["from"], errors), _day(filters["to"], errors)
    if start is not None:
        query = query.where(Dossier.received_at >= local_midnight_utc(start))
    if end is not None:
        query = query.where(Dossier.received_at < local_midnight_utc(end + timedelta(days=1)))
    is_open = Dossier.status.in_([int(s) for s in OPEN_STATUSES])
    if filters["quick"] == "open":
        query = query.where(is_open)
    elif filters["quick"] == "risk":  # late, or open and due within one working day
        query = query.where(or_(Dossier.timeliness == Timeliness.LATE,
                                and_(is_open, Dossier.due_at <= _one_working_day_ahead())))
    return query.order_by(Dossier.received_at.desc(), Dossier.id.desc())


def _one_working_day_ahead():
    return calendar.working_clock().add(utcnow(), 480)


@bp.get("/")
@require_permission(Permission.DOSSIERS_VIEW)
def index():
    filters = {key: request.args.get(key, "").strip() for key in FILTER_KEYS}
    errors: list[str] = []
    page = db.paginate(dossier_query(filters, errors), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    procedures = db.session.scalars(select(AdministrativeProcedure).order_by(AdministrativeProcedure.code)).all()
    return render_template("dossiers/index.html", page=page, filters=filters, errors=errors, procedures=procedures,
                           statuses=list(DossierStatus), timeliness=list(Timeliness), now=utcnow())


# Receipt ----------------------------------------------------------------------------------------------


def next_code(day) -> str:
    """The next TT 01 code of *day*: the agency's unit code, yymmdd and the day's four-digit number; "" when
    the agency has no unit code recorded."""
    from qms.org.services import current_agency

    agency = current_agency()
    if agency is None or not agency.code:
        return ""
    prefix = f"{agency.code}-{day:%y%m%d}-"
    codes = db.session.scalars(select(Dossier.code).where(Dossier.code.startswith(prefix, autoescape=True)))
    numbers = [int(code[len(prefix):]) for code in codes if code[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@bp.route("/new", methods=["GET", "POST"])
@require_permission(Permission.DOSSIERS_HANDLE)
def new():
    form = ReceiveForm()
    if not form.is_submitted():
        form.fill_now()
    # Offered, not filled in: the number belongs to the day of receipt, which the officer may still change.
    form.code.render_kw = {**(form.code.render_kw or {}), "placeholder": next_code(local_today())}
    if not form.validate_on_submit():
        return render_template("dossiers/new.html", form=form, error=""), 422 if form.is_submitted() else 200
    values = form.values()
    if not values["code"]:
        values["code"] = next_code(to_local(values["received_at"] or utcnow()).date())
    try:
        dossier = services.receive_dossier(values, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        return render_template("dossiers/new.html", form=form, error="" if field else error.message), 422
    db.session.commit()
    flash(_("Dossier %(code)s received; due %(due)s.", code=dossier.code,
            due=to_local(dossier.due_at).strftime("%d/%m/%Y %H:%M") if dossier.due_at else "—"), "success")
    if dossier.code_is_legacy:
        flash(_("The code %(code)s is not in the TT 01 format (unit code-yymmdd-number): it is kept as given.",
                code=dossier.code), "warning")
    return redirect(url_for("dossiers.detail", dossier_id=dossier.id))


# The dossier: the electronic Mẫu 05 ---------------------------------------------------------------------


def action_forms(dossier: Dossier) -> dict:
    """The forms of the actions the dossier's state allows, filled with "now"; {} for a reader."""
    if not services.can_handle_dossiers(current_user):
        return {}
    status, forms = dossier.status_code, {}
    if status == DossierStatus.IN_PROGRESS and services.running_step(dossier) is not None:
        forms["finish"] = FinishStepForm(prefix="finish", handler=current_user.full_name)
        forms["supplement"] = ReasonForm(prefix="supplement")
    if status == DossierStatus.SUPPLEMENT_REQUESTED:
        forms["complete"] = WhenForm(prefix="complete")
    if status == DossierStatus.RESULT_READY:
        forms["return"] = WhenForm(prefix="return")
    has_apology = db.session.scalar(select(Apology.id).where(Apology.dossier_id == dossier.id)) is not None
    if dossier.is_open and dossier.due_at is not None and not has_apology:
        forms["apology"] = ApologyForm(prefix="apology", new_at=to_local(dossier.due_at).time())
    if dossier.is_open:
        forms["refuse"] = ReasonForm(prefix="refuse")
        forms["end"] = EndForm(prefix="end")
    for form in forms.values():
        form.fill_now()
    return forms


def supplements_by_step(dossier: Dossier) -> dict[int, list]:
    """Each supplement request under the step that was running when it was made (for Mẫu 05's notes).

    Not by the step's start: a restart moves the start of the running step to the complete dossier's arrival.
    """
    by_run: dict[int, list] = {}
    for request_ in dossier.supplements:
        run = next((r for r in dossier.steps if r.finished_at is None or r.finished_at >= request_.requested_at),
                   None)
        if run is not None:
            by_run.setdefault(run.id, []).append(request_)
    return by_run


def _map(dossier: Dossier, running: StepRun | None):
    """The process map of the dossier's version, the running step's box marked."""
    from processes.views import map_svg

    picture = map_svg(dossier.version) if dossier.version is not None else None
    if picture is None or running is None:
        return picture
    position = next((i for i, step in enumerate(dossier.version.steps, start=1) if step.id == running.step_id), None)
    if position is None:
        return picture
    marked = str(picture.markup).replace(f'<g class="step" id="Task_{position}">',
                                         f'<g class="step current-step" id="Task_{position}">', 1)
    return picture._replace(markup=Markup(marked))


def _next_step(dossier: Dossier, running: StepRun | None):
    if running is None or dossier.version is None:
        return None
    steps = dossier.version.steps
    index = next((i for i, step in enumerate(steps) if step.id == running.step_id), None)
    return steps[index + 1] if index is not None and index + 1 < len(steps) else None


def _elapsed(dossier: Dossier, now) -> float | None:
    """Working time since receipt for an open dossier (less the pauses), for "… so far"."""
    if not dossier.is_open or dossier.received_at > now:
        return None
    clock = clock_for(dossier.convention)
    try:
        return clock.between(dossier.received_at, now) - paused_within(dossier, clock, dossier.received_at, now)
    except OutOfRange:  # an imported dossier older than the calendar: nothing to say
        return None


@bp.get("/<int:dossier_id>")
@require_permission(Permission.DOSSIERS_VIEW)
def detail(dossier_id: int):
    dossier, now = load_dossier(dossier_id), utcnow()
    running = services.running_step(dossier)
    return render_template("dossiers/detail.html", dossier=dossier, running=running, now=now,
                           apology=db.session.scalar(select(Apology).where(Apology.dossier_id == dossier.id)),
                           forms=action_forms(dossier), next_step=_next_step(dossier, running),
                           supplements_of=supplements_by_step(dossier), elapsed=_elapsed(dossier, now),
                           svg=_map(dossier, running))


def init_app(app: Flask) -> None:
    import_module("processes.dossiers.action_views")  # the actions' routes, on the same bp

    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Processes"), _l("Dossiers"), "dossiers.index", Permission.DOSSIERS_VIEW, 310))
