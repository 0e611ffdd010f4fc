"""The errors of a refused dossier import as an .xlsx workbook (Vị trí | Cột | Giá trị | Quy tắc).

The headers are the agency's words, fixed; the rules were written in the language of the import
(Vietnamese for the background runs and the CLI). Values are written as text, never as formulas.
"""

from __future__ import annotations

from openpyxl import Workbook

from processes.dossiers.import_models import DossierImport
from qms.exports import add_table_sheet, workbook_bytes

HEADERS = ("Vị trí (sheet!dòng)", "Cột", "Giá trị", "Quy tắc")


def errors_filename(batch: DossierImport) -> str:
    stem = batch.filename.rsplit(".", 1)[0] or "import"
    return f"loi-nhap-ho-so-{batch.id}-{stem}.xlsx"


def errors_workbook(batch: DossierImport) -> bytes:
    workbook = Workbook()
    heading = [f"Lỗi khi nhập tệp {batch.filename}", f"{batch.error_count} lỗi; không dữ liệu nào được ghi."]
    add_table_sheet(workbook, "Lỗi", HEADERS, [[str(v) for v in row] for row in batch.errors], heading=heading,
                    widths=[22, 24, 28, 80])
    return workbook_bytes(workbook)
