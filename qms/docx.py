"""Shared .docx building blocks for the agency's official papers (ISO 9001:2008 clause 4.2.3 c, e, g).

Every domain export (controlled documents, audits, one-stop forms) builds its Word files with these:
an A4 page with the Vietnamese administrative margins and Times New Roman 13 pt, the header block that
identifies the document on every page (agency | kind and title | code, issue, date, "Trang: x/y" as real
PAGE/NUMPAGES fields), bordered tables, the sanitised section HTML turned into Word paragraphs and
tables (qms.docx_html), and the copy marks that keep an obsolete print from being used by mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO

from docx import Document as _blank_document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Length, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from qms.timeutil import utcnow

FONT_NAME = "Times New Roman"
FONT_SIZE = Pt(13)
HEADER_FONT_SIZE = Pt(11)
MARK_COLOUR = RGBColor(0xC0, 0x00, 0x00)
LANGUAGE = "vi-VN"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class CopyMark(StrEnum):
    """What a printed copy says it is (4.2.3 g: obsolete documents are marked wherever they are kept)."""

    NONE = "none"  # an uncontrolled copy: no mark
    CONTROLLED = "controlled"  # bản kiểm soát: distributed and kept up to date
    DRAFT = "draft"  # not yet approved: never to be used as a working copy
    OBSOLETE = "obsolete"  # lỗi thời / hết hiệu lực

    @property
    def text(self) -> str:
        return COPY_MARK_TEXT[self]

    @property
    def on_every_page(self) -> bool:
        """Marks that warn against use are repeated in the header, so no single page escapes them."""
        return self in (CopyMark.DRAFT, CopyMark.OBSOLETE)


COPY_MARK_TEXT = {
    CopyMark.NONE: "",
    CopyMark.CONTROLLED: "BẢN KIỂM SOÁT",
    CopyMark.DRAFT: "DỰ THẢO – CHƯA CÓ HIỆU LỰC",
    CopyMark.OBSOLETE: "TÀI LIỆU LỖI THỜI – HẾT HIỆU LỰC",
}


# Page and fonts -------------------------------------------------------------------------------------


def _set_rfonts(rpr, name: str = FONT_NAME) -> None:
    """Name the font for every script (East Asian and complex too) and drop theme fonts that would win."""
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)


def _set_language(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    for attribute in ("w:val", "w:eastAsia"):
        lang.set(qn(attribute), LANGUAGE)


def _style_fonts(doc: WordDocument) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _set_rfonts(rpr)
    normal = doc.styles["Normal"]
    normal.font.size = FONT_SIZE
    rpr = normal.element.get_or_add_rPr()
    _set_rfonts(rpr)
    _set_language(rpr)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(4), 1.1
    for level, name in enumerate(("Heading 1", "Heading 2", "Heading 3", "Heading 4"), start=1):
        style = doc.styles[name]
        _set_rfonts(style.element.get_or_add_rPr())
        style.font.size = FONT_SIZE if level < 4 else Pt(12)
        style.font.bold, style.font.italic = True, level == 4
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(10 if level == 1 else 6)
        style.paragraph_format.space_after = Pt(4)
        style.paragraph_format.keep_with_next = True


def new_document(*, landscape: bool = False, title: str = "", author: str = "") -> WordDocument:
    """A blank A4 document: margins top/bottom 2 cm, left 3 cm, right 2 cm; Times New Roman 13 pt."""
    doc = _blank_document()
    section = doc.sections[0]
    short, long = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)
    _style_fonts(doc)
    core = doc.core_properties
    core.title, core.author, core.last_modified_by = title, author, author
    core.language, core.comments, core.keywords = LANGUAGE, "", ""
    core.created = core.modified = utcnow()  # not the blank template's own dates
    core.revision = 1
    return doc


def text_width(doc: WordDocument) -> Length:
    section = doc.sections[-1]
    return Emu(section.page_width - section.left_margin - section.right_margin)


def document_bytes(doc: WordDocument) -> bytes:
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# Runs, fields and paragraph borders -------------------------------------------------------------------


def add_text(paragraph: Paragraph, text: str, *, bold: bool = False, italic: bool = False,
             underline: bool = False, size: Length | None = None, colour: RGBColor | None = None):
    """Add *text* as one run; a newline becomes a line break inside the same paragraph."""
    run = paragraph.add_run()
    for number, line in enumerate(str(text).split("\n")):
        if number:
            run.add_break()
        if line:
            run.add_text(line)
    run.bold = bold or None
    run.italic = italic or None
    run.underline = underline or None
    if size is not None:
        run.font.size = size
    if colour is not None:
        run.font.color.rgb = colour
    return run


def add_field(paragraph: Paragraph, instruction: str, *, placeholder: str = "1", size: Length | None = None,
              bold: bool = False) -> None:
    """A real Word field (PAGE, NUMPAGES, ...) as begin/instruction/separate/result/end runs."""
    def run_with(element_name: str, **attributes):
        run = paragraph.add_run()
        run.bold = bold or None
        if size is not None:
            run.font.size = size
        element = OxmlElement(element_name)
        for key, value in attributes.items():
            element.set(qn(key), value)
        run._r.append(element)
        return element

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    instr = run_with("w:instrText", **{"xml:space": "preserve"})
    instr.text = f" {instruction} \\* MERGEFORMAT "
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    add_text(paragraph, placeholder, bold=bold, size=size)
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def paragraph_border(paragraph: Paragraph, side: str = "bottom", size: int = 6) -> None:
    """A single line on one side of a paragraph (size in eighths of a point)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.insert_element_before(borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
                                  "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
                                  "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                                  "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
                                  "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                                  "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                                  "w:rPr", "w:sectPr", "w:pPrChange")
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", "auto")):
        line.set(qn(key), value)
    borders.append(line)


# Tables -------------------------------------------------------------------------------------------------


def set_table_borders(table: Table, *, outer: str = "single", inside_h: str = "single",
                      inside_v: str = "single", size: int = 4) -> None:
    """Explicit borders ("single" or "nil"), independent of any table style the template may lack."""
    tblpr = table._tbl.tblPr
    old = tblpr.find(qn("w:tblBorders"))
    if old is not None:
        tblpr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for side, kind in (("top", outer), ("left", outer), ("bottom", outer), ("right", outer),
                       ("insideH", inside_h), ("insideV", inside_v)):
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), kind)
        if kind != "nil":
            line.set(qn("w:sz"), str(size))
            line.set(qn("w:space"), "0")
            line.set(qn("w:color"), "000000")
        borders.append(line)
    tblpr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def set_column_widths(table: Table, widths: Sequence[Length]) -> None:
    """Fixed column widths that Word and LibreOffice both honour (grid, every cell, fixed layout)."""
    table.autofit = False
    for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths):
        grid_col.w = width
    for tr in table._tbl.tr_lst:
        column = tr.grid_before
        for tc in tr.tc_lst:  # real cells: a merged cell is one tc spanning several grid columns
            span = tc.grid_span
            if column < len(widths):
                tc.width = Emu(sum(widths[column:column + span]))
            column += span


def repeat_as_header(row) -> None:
    """Repeat this row at the top of every page the table runs over."""
    trpr = row._tr.get_or_add_trPr()
    if trpr.find(qn("w:tblHeader")) is None:
        trpr.insert_element_before(OxmlElement("w:tblHeader"), "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins",
                                   "w:del", "w:trPrChange")


def new_table(container, rows: int, cols: int, *, width: Length | None = None) -> Table:
    """Append an empty bordered table to a document, a table cell, a header or a footer."""
    if isinstance(container, WordDocument):
        table = container.add_table(rows, cols)
    elif isinstance(container, _Cell):
        table = container.add_table(rows, cols)
    else:
        table = container.add_table(rows, cols, width or Cm(16))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_table_borders(table)
    return table


def fill_cell(cell: _Cell, text: str, *, bold: bool = False, size: Length | None = None,
              align: WD_ALIGN_PARAGRAPH | None = None, colour: RGBColor | None = None) -> Paragraph:
    """Put *text* (newlines kept as line breaks) into the cell's first paragraph."""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(2)
    if align is not None:
        paragraph.alignment = align
    add_text(paragraph, text, bold=bold, size=size, colour=colour)
    return paragraph


def add_table(container, rows: Sequence[Sequence], *, header_rows: int = 1, widths: Sequence[Length] | None = None,
              size: Length | None = None, centre_columns: Sequence[int] = (), bold_first_column: bool = False) -> Table:
    """A bordered table from rows of text; the first *header_rows* are bold, centred and repeated per page."""
    cols = max((len(row) for row in rows), default=1)
    table = new_table(container, len(rows), cols)
    for r, row in enumerate(rows):
        heading = r < header_rows
        for c, value in enumerate(row):
            align = WD_ALIGN_PARAGRAPH.CENTER if heading or c in centre_columns else None
            fill_cell(table.cell(r, c), "" if value is None else str(value),
                      bold=heading or (bold_first_column and c == 0), size=size, align=align)
            table.cell(r, c).vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        if heading:
            repeat_as_header(table.rows[r])
    if widths:
        set_column_widths(table, widths)
    return table


# The header block on every page ----------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderBlock:
    """What identifies a controlled paper on each of its pages (TCVN ISO 9001 practice, DOMAIN 2.1)."""

    parent_body: str  # UBND TỈNH GIA LAI
    agency_name: str  # SỞ THÔNG TIN VÀ TRUYỀN THÔNG
    kind: str  # QUY TRÌNH, BIỂU MẪU, ...
    title: str
    fields: Sequence[tuple[str, str]] = field(default_factory=tuple)  # ("Mã hiệu", "QT-01"), ...
    mark: str = ""  # a warning repeated on every page (obsolete, draft)


def add_header_block(doc: WordDocument, block: HeaderBlock) -> Table:
    """Write the three-column block into the section header, so Word repeats it on every page."""
    section = doc.sections[-1]
    header = section.header
    header.is_linked_to_previous = False
    width = text_width(doc)
    widths = [Emu(int(width * share)) for share in (0.30, 0.38, 0.32)]
    table = new_table(header, 1, 3, width=width)
    set_table_borders(table, outer="nil", inside_h="nil", inside_v="single")
    set_column_widths(table, widths)
    left, centre, right = table.rows[0].cells
    for cell in (left, centre, right):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    small = HEADER_FONT_SIZE
    if block.parent_body:
        fill_cell(left, block.parent_body.upper(), size=small, align=WD_ALIGN_PARAGRAPH.CENTER)
        left.add_paragraph()
    _header_line(left.paragraphs[-1], block.agency_name.upper(), bold=True, centre=True)
    _header_line(centre.paragraphs[0], block.kind.upper(), bold=True, centre=True)
    _header_line(centre.add_paragraph(), block.title.upper(), bold=True, centre=True)
    first = True
    for label, value in block.fields:
        paragraph = right.paragraphs[0] if first else right.add_paragraph()
        _header_line(paragraph, f"{label}: {value}")
        first = False
    page = right.paragraphs[0] if first else right.add_paragraph()
    _header_line(page, "Trang: ")
    add_field(page, "PAGE", size=small)
    add_text(page, "/", size=small)
    add_field(page, "NUMPAGES", size=small)
    # The table goes before the header's own paragraph, which must stay last: it carries the rule under
    # the block, or the warning mark in red on every page.
    closing = header.paragraphs[0]
    closing._p.addprevious(table._tbl)
    closing.paragraph_format.space_after = Pt(0)
    if block.mark:
        closing.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph_border(closing, "top")
        add_text(closing, block.mark, bold=True, size=Pt(12), colour=MARK_COLOUR)
    else:
        paragraph_border(closing, "top")
        closing.paragraph_format.line_spacing = Pt(4)
    return table


def _header_line(paragraph: Paragraph, text: str, *, bold: bool = False, centre: bool = False) -> None:
    paragraph.paragraph_format.space_after = Pt(1)
    paragraph.paragraph_format.line_spacing = 1.0
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, text, bold=bold, size=HEADER_FONT_SIZE)


def add_copy_mark(doc: WordDocument, mark: CopyMark) -> Paragraph | None:
    """The bold red line at the top of the body: "BẢN KIỂM SOÁT" or the obsolete/draft warning."""
    if not mark.text:
        return None
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(8)
    add_text(paragraph, mark.text, bold=True, size=Pt(14), colour=MARK_COLOUR)
    return paragraph


def add_heading(doc: WordDocument, text: str, *, level: int = 1, centre: bool = False) -> Paragraph:
    paragraph = doc.add_paragraph(style=f"Heading {level}")
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, text)
    return paragraph


def html_to_docx(container, html: str) -> None:
    """Append sanitised section HTML to a document or cell (see qms.docx_html)."""
    from qms.docx_html import render_html  # the converter lives beside this module to keep both short

    render_html(container, html)
