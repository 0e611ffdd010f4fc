"""The list of quality record categories (Danh mục hồ sơ) and the records themselves as .xlsx workbooks."""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook

from qms.exports import add_table_sheet, workbook_bytes
from qms.records.services import retention_text


def categories_xlsx(categories, agency_name: str = "") -> bytes:
    """One row per category, in the columns of the Danh mục hồ sơ an ISO procedure ends with."""
    wb = Workbook()
    headers = [_("No."), _("Code"), _("Name of the quality record"), _("Procedure that produces it"),
               _("Keeping unit"), _("Where it is kept"), _("Retention"), _("Disposal method"), _("In use")]
    rows = [[n, c.code, c.name, str(c.procedure) if c.procedure else "",
             c.keeping_unit.name if c.keeping_unit else "", c.location, retention_text(c.retention_months),
             c.disposal_method, _("Yes") if c.is_active else _("No")]
            for n, c in enumerate(categories, start=1)]
    heading = _("LIST OF QUALITY RECORD CATEGORIES")
    add_table_sheet(wb, _("Record categories"), headers, rows,
                    heading=f"{heading} — {agency_name}" if agency_name else heading,
                    widths=[6, 16, 40, 34, 28, 28, 14, 30, 10])
    return workbook_bytes(wb)


def records_xlsx(records, users_by_id: dict, units_by_id: dict, heading_note: str = "") -> bytes:
    """One row per quality record, with its retention and disposal (people and units looked up by id)."""
    wb = Workbook()
    headers = [_("No."), _("Category code"), _("Category"), _("Title"), _("Number and symbol"),
               _("Date of the quality record"), _("Unit"), _("File"), _("Kept until"), _("Status"),
               _("Filed by"), _("Filed at"), _("Disposed at"), _("Disposed by"), _("Disposal minutes")]

    def name_of(user_id):
        user = users_by_id.get(user_id)
        return user.full_name if user else ""

    rows = []
    for n, r in enumerate(records, start=1):
        rows.append([n, r.category.code, r.category.name, r.title, r.reference, r.record_date,
                     units_by_id[r.unit_id].name if r.unit_id in units_by_id else "", r.filename,
                     r.retain_until if r.retain_until else _("Permanent"),
                     _("Disposed of") if r.disposed_at else _("Kept"), name_of(r.created_by_id), r.created_at,
                     r.disposed_at, name_of(r.disposed_by_id), r.disposal_note])
    heading = _("QUALITY RECORDS")
    add_table_sheet(wb, _("Quality records"), headers, rows,
                    heading=f"{heading} — {heading_note}" if heading_note else heading,
                    widths=[6, 16, 30, 40, 18, 14, 26, 30, 14, 12, 24, 18, 18, 24, 40])
    return workbook_bytes(wb)
