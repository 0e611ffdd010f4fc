"""Pages of the timeliness analysis (ISO 9001:2008 8.2.3, 8.4): the dashboard with its charts, tables and the
dossiers at risk, the process map of a procedure coloured by measured median against allotment, and the
step figures as .xlsx. Every reader of dossiers may see them.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from processes import queries
from processes.dossiers import analysis, charts
from processes.dossiers.analysis import DAY, HOUR, Filters
from processes.dossiers.analysis_exports import step_stats_xlsx
from processes.dossiers.at_risk import dossiers_at_risk
from processes.dossiers.models import CHANNEL_LABELS, Channel
from processes.dossiers.followups import rollups_for_reading
from processes.models import AdministrativeProcedure, ProcessStep, ProcessVersion
from processes.views import readable_versions
from qms.exports import XLSX_MIMETYPE
from qms.extensions import db
from qms.org.models import Unit
from qms.permissions import Permission, require_permission
from qms.timeutil import local_today, parse_local_date, utcnow
from qms.ui import NavItem, add_nav

#: The at-risk table shows the most urgent; the counts above it are of all.
AT_RISK_ROWS = 100

bp = Blueprint("dossier_analysis", __name__, url_prefix="/analysis")

DEFAULT_WITHIN_HOURS = 16  # two working days
STEPS_IN_CHART = 15


def wtime_formats() -> tuple[str, str]:
    """The translated formats of ``wtime``, looked up once for a page that prints hundreds of times."""
    return _("%(amount)s d"), _("%(amount)s h")


def wtime(units: float | None, formats: tuple[str, str] | None = None) -> str:
    """Working time as people say it: "9,5 d" from a day up, "3,5 h" below."""
    if units is None:
        return "—"
    day_format, hour_format = formats or wtime_formats()
    if abs(units) >= DAY:
        return day_format % {"amount": analysis.decimal(units / DAY)}
    return hour_format % {"amount": analysis.decimal(units / HOUR)}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


@bp.context_processor
def _helpers() -> dict:
    formats = wtime_formats()
    return {"wtime": lambda units: wtime(units, formats), "percent": percent, "days": lambda units: analysis.decimal(analysis.in_days(units)),
            "channel_label": lambda value: str(CHANNEL_LABELS.get(Channel(value), value)) if value else "—",
            "band": charts.ratio_band, "dossier_link": "dossiers.detail" in current_app.view_functions}


def _period(args) -> tuple[date, date, list[str]]:
    """The period asked for, or the last twelve months up to today."""
    errors = []
    today = local_today()
    default_from = date(today.year - 1 + (today.month == 12), today.month % 12 + 1, 1)
    days = []
    for name, default in (("from", default_from), ("to", today)):
        text = (args.get(name) or "").strip()
        try:
            days.append(parse_local_date(text) if text else default)
        except ValueError:
            errors.append(_("Enter the dates as dd/mm/yyyy."))
            days.append(default)
    if days[1] < days[0]:
        errors.append(_("The period ends before it starts: the dates were swapped."))
        days.reverse()
    return days[0], days[1], errors


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def filters_from(args) -> tuple[Filters, list[str]]:
    first, last, errors = _period(args)
    channel = args.get("channel", "")
    return Filters(first, last, procedure_id=_int(args.get("procedure")), field=args.get("field", "").strip(),
                   unit_id=_int(args.get("unit")), handler=args.get("handler", "").strip(),
                   channel=channel if channel in {c.value for c in Channel} else ""), errors


def _refresh() -> None:
    """The rollups up to date enough to read (``followups.rollups_for_reading``)."""
    rollups_for_reading()


def _choices() -> dict:
    procedures = db.session.scalars(select(AdministrativeProcedure).where(
        AdministrativeProcedure.id.in_(select(ProcessVersion.procedure_id))).order_by(AdministrativeProcedure.code))
    units = db.session.scalars(select(Unit).where(Unit.id.in_(select(ProcessStep.unit_id))).order_by(Unit.sort_order,
                                                                                                     Unit.name))
    return {"procedures": list(procedures), "fields": queries.fields(), "units": list(units), "channels": list(Channel)}


@bp.get("/")
@require_permission(Permission.DOSSIERS_VIEW)
def dashboard():
    filters, errors = filters_from(request.args)
    within = min(max(_int(request.args.get("within")) or DEFAULT_WITHIN_HOURS, 1), 2000)
    _refresh()
    board = analysis.read_dashboard(filters)
    chart_steps = board.steps if filters.procedure_id else sorted(
        (s for s in board.steps if s.ratio is not None), key=lambda s: -s.ratio)[:STEPS_IN_CHART]
    risky = dossiers_at_risk(filters, within_hours=within, now=utcnow())
    return render_template("dossier_analysis/dashboard.html", board=board, filters=filters, errors=errors,
                           within=within, risky=risky, risk_rows=AT_RISK_ROWS, choices=_choices(), chart_steps=chart_steps,
                           trend_svg=charts.trend_chart(board.months), steps_svg=charts.steps_chart(chart_steps),
                           bottleneck_svg=charts.bottleneck_chart(board.bottleneck_steps),
                           unit_bottleneck_svg=charts.bottleneck_chart(board.bottleneck_units,
                                                                       name=lambda row: row.info["name"]),
                           step_label=charts.step_label, unit_name=lambda row: row.info["name"],
                           query=request.args.to_dict())


@bp.get("/steps.xlsx")
@require_permission(Permission.DOSSIERS_VIEW)
def steps_xlsx():
    filters, _errors = filters_from(request.args)
    _refresh()
    content = step_stats_xlsx(analysis.step_stats(filters), filters)
    name = f"thoi-gian-cac-buoc-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
    return Response(content, mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/procedures/<int:procedure_id>/map")
@require_permission(Permission.DOSSIERS_VIEW)
def procedure_map(procedure_id: int):
    procedure = db.get_or_404(AdministrativeProcedure, procedure_id)
    args = {**request.args.to_dict(), "procedure": procedure.id}
    filters, errors = filters_from(args)
    versions = [v for v in readable_versions(procedure) if v.steps]
    chosen = _int(request.args.get("version"))
    version = next((v for v in versions if v.id == chosen), None) or queries.current_version(procedure)
    if version not in versions:
        version = versions[-1] if versions else None
    _refresh()
    measured = {s.key: s for s in analysis.step_stats(filters)}
    svg, rows = None, []
    if version is not None:
        colours, notes = {}, {}
        for step in version.steps:
            stats = measured.get(step.id)
            colours[step.id] = charts.RATIO_FILLS[charts.ratio_band(stats.ratio if stats else None)]
            if stats is not None:
                notes[step.id] = _("%(median)s / %(allotted)s d", median=analysis.decimal(stats.median / DAY),
                                   allotted=analysis.decimal(step.allotted_minutes / DAY))
            rows.append((step, stats))
        from processes.drawing import render_svg

        svg = Markup(render_svg(version, step_colours=colours, step_notes=notes))
    return render_template("dossier_analysis/map.html", procedure=procedure, version=version, versions=versions,
                           svg=svg, rows=rows, filters=filters, errors=errors, fills=charts.RATIO_FILLS)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, NavItem(_l("Processes"), _l("Timeliness and bottlenecks"), "dossier_analysis.dashboard",
                         Permission.DOSSIERS_VIEW, 330))
