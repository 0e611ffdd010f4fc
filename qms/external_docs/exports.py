"""The register of external documents as an .xlsx workbook (danh mục tài liệu có nguồn gốc bên ngoài)."""

from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook

from qms.exports import add_table_sheet, workbook_bytes
from qms.external_docs.models import ExternalDocument, ExternalRelation, RelationKind
from qms.timeutil import format_date


def superseded_by_text(relation: ExternalRelation) -> str:
    """"amended by 107/2021/NĐ-CP from 06/12/2021", seen from the older text."""
    if relation.kind == RelationKind.REPLACES:
        return _("replaced by %(number)s from %(date)s", number=relation.source.number,
                 date=format_date(relation.effective_on))
    return _("amended by %(number)s from %(date)s", number=relation.source.number,
             date=format_date(relation.effective_on))


def register_xlsx(documents: list[ExternalDocument], superseded_by: dict[int, list[ExternalRelation]]) -> bytes:
    """One row per entry of the register; user text goes in as text, never as a formula."""
    wb = Workbook()
    headers = [_("No."), _("Number and symbol"), _("Kind of text"), _("Issued by"), _("Summary of content (trích yếu)"),
               _("Issued on"), _("In force from"), _("Status"), _("Amended or replaced by")]
    rows = []
    for index, doc in enumerate(documents, start=1):
        changes = "; ".join(superseded_by_text(r) for r in superseded_by.get(doc.id, []))
        rows.append([index, doc.number, doc.kind.label, doc.issuer, doc.title, doc.issued_on, doc.effective_on,
                     doc.status.label, changes])
    add_table_sheet(wb, _("External documents"), headers, rows, heading=_("REGISTER OF EXTERNAL DOCUMENTS"),
                    widths=[6, 22, 14, 28, 60, 12, 12, 20, 40])
    return workbook_bytes(wb)
