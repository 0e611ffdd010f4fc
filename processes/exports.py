"""The process map in the Word procedure (section "5. Nội dung quy trình", DOMAIN.md 2.4).

Document control writes the procedure (header block, signatures, revision table, sections) and
calls ``write_process_section`` after the text of section 5: the swimlane map as an image, then
the step table Bước | Nội dung công việc | Trách nhiệm | Thời gian | Biểu mẫu / Kết quả, the
branches and the total. Captions are the agency's fixed Vietnamese, not translated.
"""

from __future__ import annotations

from io import BytesIO

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Emu, Pt

from processes.durations import format_duration
from processes.models import BranchKind, ProcessVersion
from qms.docx import add_table, add_text, text_width

STEP_HEADERS = ("Bước", "Nội dung công việc", "Trách nhiệm", "Thời gian", "Biểu mẫu / Kết quả")
BRANCH_HEADERS = ("Trường hợp", "Từ bước", "Đến", "Bên liên quan", "Điều kiện", "Biểu mẫu / Kết quả")
BRANCH_CAPTIONS = {BranchKind.SUPPLEMENT: "Yêu cầu bổ sung hồ sơ", BranchKind.REFUSAL: "Từ chối giải quyết",
                   BranchKind.CONSULTATION: "Lấy ý kiến cơ quan khác"}
_STEP_SHARES = (0.08, 0.40, 0.22, 0.12, 0.18)


def responsibility(step) -> str:
    """ "Phòng BC-VT – Chuyên viên thụ lý": the unit and, when given, who in it."""
    unit = step.unit.name if step.unit is not None else ""
    return " – ".join(part for part in (unit, step.performer) if part)


def step_rows(version: ProcessVersion) -> list[tuple[str, ...]]:
    rows = [STEP_HEADERS]
    for step in version.steps:
        work = step.name if not step.description else f"{step.name}\n{step.description}"
        rows.append((step.code, work, responsibility(step),
                     format_duration(step.allotted_minutes, step.allotted_unit), step.output))
    rows.append(("", "Tổng thời gian giải quyết", "", format_duration(version.total_minutes, version.limit_unit,
                                                                     long=True), ""))
    return rows


def _turn_page(doc, orientation: WD_ORIENT) -> None:
    """Start a new page in *orientation*; the header block of the first section carries on."""
    previous = doc.sections[-1]
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    if section.orientation != orientation:
        section.orientation = orientation
        section.page_width, section.page_height = previous.page_height, previous.page_width


def write_process_section(doc, version: ProcessVersion) -> None:
    """The map on a landscape page (a PNG of the same SVG as the browser's), then the step and branch tables."""
    from processes.drawing import render_png

    _turn_page(doc, WD_ORIENT.LANDSCAPE)
    caption = doc.add_paragraph()
    add_text(caption, "Sơ đồ quy trình", bold=True)
    picture = doc.add_paragraph()
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(BytesIO(render_png(version)), width=text_width(doc))
    _turn_page(doc, WD_ORIENT.PORTRAIT)
    width = text_width(doc)
    heading = doc.add_paragraph()
    add_text(heading, "Các bước thực hiện", bold=True)
    add_table(doc, step_rows(version), widths=[Emu(int(width * share)) for share in _STEP_SHARES], size=Pt(11),
              centre_columns=(0, 3))
    if version.branches:
        heading = doc.add_paragraph()
        add_text(heading, "Các trường hợp khác", bold=True)
        rows = [BRANCH_HEADERS]
        for branch in version.branches:
            target = branch.to_step.code if branch.to_step is not None else "Kết thúc"
            rows.append((BRANCH_CAPTIONS[branch.kind], branch.from_step.code, target, branch.party,
                         branch.condition, branch.output))
        add_table(doc, rows, size=Pt(10), centre_columns=(1, 2))
