"""The layout shared by the one-stop forms (TT 01/2018/TT-VPCP Art. 9: A5 paper, Mẫu 06 on A4; NĐ 30/2020 headers).

The agency on the left and the national motto on the right with their short rules, the place and date
("Gia Lai, ngày 25 tháng 04 năm 2024"), titles, labelled lines, signature blocks, and times written the
way the forms write them ("15 giờ 40 phút, ngày 25/04/2024"). Fixed Vietnamese, not translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt

from qms.docx import (add_text, fill_cell, new_document, new_table, paragraph_border, set_column_widths,
                      set_table_borders, text_width)
from qms.timeutil import to_local

BLANK = "……"
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"
_PROVINCE = re.compile(r"(?:tỉnh|thành phố)\s+([^,]+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """Paper size and type sizes: A5 for the receipts and letters, A4 for the control sheet."""

    width: Length
    height: Length
    margins: tuple[Length, Length, Length, Length]  # top, right, bottom, left
    body: Length
    small: Length
    title: Length
    spacing: Length  # after each paragraph
    split: float  # the left share of the header


A5 = Page(Cm(14.8), Cm(21.0), (Cm(1.0), Cm(1.0), Cm(1.0), Cm(1.5)), Pt(11), Pt(10), Pt(12), Pt(1.5), 0.36)
A4 = Page(Cm(21.0), Cm(29.7), (Cm(1.5), Cm(1.5), Cm(1.5), Cm(2.5)), Pt(13), Pt(12), Pt(14), Pt(3), 0.42)


# Words and times as the forms write them ------------------------------------------------------------------


def clock_text(value: datetime | None) -> str:
    """ "15 giờ 40 phút, ngày 25/04/2024" in the agency's time zone; dotted blanks when unknown."""
    if value is None:
        return f"{BLANK} giờ {BLANK} phút, ngày {BLANK}"
    local = to_local(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def place_of(agency) -> str:
    """The province of the agency ("Gia Lai"), from its parent body or its address."""
    for text in (getattr(agency, "parent_body", ""), getattr(agency, "address", "")):
        match = _PROVINCE.search(text or "")
        if match:
            return match.group(1).strip()
    return BLANK


def place_and_date(agency, value: datetime) -> str:
    local = to_local(value)
    return f"{place_of(agency)}, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def or_blank(text: str | None) -> str:
    return (text or "").strip() or BLANK


# Page, header and blocks -----------------------------------------------------------------------------------


def form_document(page: Page, title: str, agency):
    doc = new_document(title=title, author=getattr(agency, "name", "") or "")
    section = doc.sections[0]
    section.page_width, section.page_height = page.width, page.height
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = page.margins
    normal = doc.styles["Normal"]
    normal.font.size = page.body
    normal.paragraph_format.space_after, normal.paragraph_format.line_spacing = page.spacing, 1.0
    return doc


def rule(paragraph, cell_width: int, length: Length) -> None:
    """A short centred line under a heading: the paragraph's bottom border, indented from both sides."""
    indent = max(0, (cell_width - length) // 2)
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = indent
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(2)
    paragraph_border(paragraph, "bottom", size=6)


def national_header(doc, page: Page, upper: str, lower: str, dated: str) -> None:
    """Agency (upper line plain, lower bold) | motto; then the place and date under the motto."""
    width = text_width(doc)
    widths = [int(width * page.split), width - int(width * page.split)]
    table = new_table(doc, 2, 2)
    set_table_borders(table, outer="nil", inside_h="nil", inside_v="nil")
    set_column_widths(table, widths)
    left, right = table.cell(0, 0), table.cell(0, 1)
    if upper:
        fill_cell(left, upper.upper(), size=page.small, align=WD_ALIGN_PARAGRAPH.CENTER)
        left.add_paragraph()
    paragraph = left.paragraphs[-1]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, lower.upper(), bold=True, size=page.small)
    rule(left.add_paragraph(), widths[0], int(widths[0] * 0.35))
    fill_cell(right, MOTTO, bold=True, size=page.small, align=WD_ALIGN_PARAGRAPH.CENTER)
    line = right.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(line, MOTTO_LINE, bold=True, size=page.body)
    rule(right.add_paragraph(), widths[1], int(widths[1] * 0.62))
    fill_cell(table.cell(1, 1), dated, align=WD_ALIGN_PARAGRAPH.CENTER).runs[0].italic = True


def form_title(doc, page: Page, title: str, *lines: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(6)
    add_text(paragraph, title, bold=True, size=page.title)
    for text in lines:
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(line, text, italic=text.startswith("("), size=page.small if text.startswith("(") else None)


def field_line(doc, label: str, value: str = "", *, bold_value: bool = False, indent: bool = False):
    paragraph = doc.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(0.8)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    add_text(paragraph, label)
    if value:
        add_text(paragraph, value, bold=bold_value)
    return paragraph


def signatures(doc, blocks: list[tuple[str, str, str]], *, gap: int = 4) -> None:
    """Side by side: CAPTION / (Ký …) / space to sign / the printed name."""
    table = new_table(doc, 1, len(blocks))
    set_table_borders(table, outer="nil", inside_h="nil", inside_v="nil")
    width = text_width(doc)
    set_column_widths(table, [width // len(blocks)] * len(blocks))
    for cell, (caption, hint, name) in zip(table.rows[0].cells, blocks):
        if caption.startswith("Nơi nhận"):
            paragraph = fill_cell(cell, "Nơi nhận:", bold=True, size=Pt(10))
            paragraph.runs[0].italic = True
            add_text(cell.add_paragraph(), hint, size=Pt(10))
            continue
        fill_cell(cell, caption, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph = cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(paragraph, hint, italic=True, size=Pt(10))
        for _ in range(gap):
            cell.add_paragraph()
        signed = cell.add_paragraph()
        signed.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(signed, name, bold=True)


def footnote(doc, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(6)
    add_text(paragraph, text, italic=True, size=Pt(10))


def cant_split(row) -> None:
    """Keep a table row on one page."""
    trpr = row._tr.get_or_add_trPr()
    if trpr.find(qn("w:cantSplit")) is None:
        trpr.insert_element_before(OxmlElement("w:cantSplit"), "w:trHeight", "w:tblHeader", "w:tblCellSpacing",
                                   "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange")
