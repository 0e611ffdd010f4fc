"""The audit log as an .xlsx workbook (evidence for the inspection team)."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from openpyxl import Workbook

from qms.exports import add_table_sheet, workbook_bytes


def audit_log_xlsx(entries) -> bytes:
    """One row per entry with its hash, so that the export can be checked against the chain."""
    wb = Workbook()
    headers = [_("Seq."), _("Time"), _("User"), _("IP address"), _("Action"), _("Object"), _("Object id"),
               _("Summary"), _("Before"), _("After"), _("Hash")]
    rows = []
    for e in entries:
        changes = json.loads(e.changes or "{}")
        rows.append([e.seq, e.occurred_at, e.actor_name, e.ip, e.action, e.object_type, e.object_id, e.summary,
                     json.dumps(changes.get("before", {}), ensure_ascii=False),
                     json.dumps(changes.get("after", {}), ensure_ascii=False), e.hash])
    add_table_sheet(wb, _("Audit log"), headers, rows, heading=_("AUDIT LOG"),
                    widths=[8, 20, 28, 15, 24, 16, 10, 30, 40, 40, 66])
    return workbook_bytes(wb)
