"""The per-step aggregates as data: JSON records for ``qms step-stats`` and an .xlsx workbook (ISO 9001:2008 8.4).

The same figures as the dashboard's step table: working time in units (480 a working day) and in
working days, shares as fractions of the judged runs.
"""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook

from processes.dossiers.analysis import DAY, EARLY, LATE, ON_TIME, Filters, Stats
from qms.exports import add_table_sheet, workbook_bytes


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def step_record(item: Stats) -> dict:
    """One step's figures as plain data."""
    info = item.info
    return {"procedure": info.get("procedure_code", ""), "procedure_name": info.get("procedure_name", ""),
            "version": info.get("version_no"), "step_id": item.key, "step": info.get("code", ""),
            "step_name": info.get("name", ""), "unit": info.get("unit", ""), "runs": item.count,
            "early": item.early, "on_time": item.on_time, "late": item.late,
            "share_early": _round(item.share(EARLY)), "share_on_time": _round(item.share(ON_TIME)),
            "share_late": _round(item.share(LATE)),
            "allotted_units": item.allotted, "mean_units": _round(item.mean, 3), "median_units": _round(item.median, 3),
            "p90_units": _round(item.p90, 3), "allotted_days": _round((item.allotted or 0) / DAY),
            "mean_days": _round(item.mean / DAY), "median_days": _round(item.median / DAY),
            "p90_days": _round(item.p90 / DAY), "median_to_allotment": _round(item.ratio),
            "excess_late_units": _round(item.excess, 3)}


def step_stats_document(stats: list[Stats], filters: Filters) -> dict:
    return {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat(),
            "units_per_working_day": DAY, "steps": [step_record(item) for item in stats]}


def step_stats_xlsx(stats: list[Stats], filters: Filters, *, heading: str = "") -> bytes:
    """A workbook of one sheet: a row per step, working times in working days."""
    headers = [_("Procedure"), _("Version"), _("Step"), _("Step name"), _("Unit"), _("Runs"), _("Early"), _("On time"),
               _("Late"), _("Share late"), _("Mean (working days)"), _("Median (working days)"),
               _("90th percentile (working days)"), _("Allotment (working days)"), _("Median / allotment"),
               _("Over the allotment in late runs (working days)")]
    rows = []
    for item in stats:
        record = step_record(item)
        rows.append([record["procedure"], record["version"], record["step"], record["step_name"], record["unit"],
                     item.count, item.early, item.on_time, item.late, record["share_late"], record["mean_days"],
                     record["median_days"], record["p90_days"], record["allotted_days"], record["median_to_allotment"],
                     _round(item.excess / DAY)])
    workbook = Workbook()
    title = heading or _("Step times from %(start)s to %(end)s", start=filters.date_from.strftime("%d/%m/%Y"),
                         end=filters.date_to.strftime("%d/%m/%Y"))
    sheet = add_table_sheet(workbook, _("Steps"), headers, rows, heading=title,
                            widths=[12, 8, 7, 40, 18, 8, 8, 8, 8, 10, 12, 12, 12, 12, 12, 14])
    for row in sheet.iter_rows(min_row=4, min_col=10, max_col=16):
        for cell in row:
            cell.number_format = "0.0%" if cell.column in (10, 15) else "0.00"
    return workbook_bytes(workbook)
