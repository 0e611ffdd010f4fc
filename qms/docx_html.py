"""Sanitised section HTML to Word paragraphs and tables (the content of controlled documents, 4.2.3).

The editor stores p, br, strong/b, em/i, u, ul/ol/li, h3/h4 and tables with colspan/rowspan. This
module reads that with the standard library's html.parser into a small tree and writes it with
python-docx. It never fails on what it does not know: an unknown tag keeps its text, unclosed tags
are closed where HTML would close them, and script/style content is dropped. List markers are
written as text (•, –, 1., a)) so that each list restarts its own numbering in every word processor.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Emu, Length, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from qms.docx import add_text, new_table, repeat_as_header, set_column_widths, text_width

_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "wbr", "area", "base", "source"})
_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCKS = frozenset({"p", "div", "blockquote", "section", "article", "header", "footer", "pre", "address",
                     "figure", "figcaption", "main", "nav", "aside", "dl", "dt", "dd", "center"})
_HEADINGS = {"h1": 2, "h2": 2, "h3": 2, "h4": 3, "h5": 3, "h6": 3}
_FORMATS = {"strong": "bold", "b": "bold", "em": "italic", "i": "italic", "u": "underline", "ins": "underline",
            "s": "strike", "strike": "strike", "del": "strike", "sup": "sup", "sub": "sub"}
_BULLETS = ("•", "–", "+")
_SPACES = re.compile(r"\s+")
_INDENT = Cm(0.75)
_CHAR_WIDTH = Cm(0.23)  # an average Times New Roman 13 pt character, to keep words from breaking


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list = field(default_factory=list)  # _Node or str


class _TreeBuilder(HTMLParser):
    """A forgiving parser: closes what HTML implies (p, li, tr, td) and ignores stray end tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack = [self.root]

    def _close_to(self, tag: str, *, stop_at: tuple[str, ...]) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            current = self.stack[depth].tag
            if current == tag:
                del self.stack[depth:]
                return
            if current in stop_at:
                return

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag == "li":
            self._close_to("li", stop_at=("ul", "ol"))
        elif tag == "tr":
            self._close_to("tr", stop_at=("table", "thead", "tbody", "tfoot"))
        elif tag in ("td", "th"):
            self._close_to("td", stop_at=("tr", "table"))
            self._close_to("th", stop_at=("tr", "table"))
        elif tag in ("thead", "tbody", "tfoot"):
            for inner in ("td", "th", "tr", "thead", "tbody", "tfoot"):
                self._close_to(inner, stop_at=("table",))
        if (tag in _BLOCKS or tag in _HEADINGS or tag in ("ul", "ol", "table")) and self.stack[-1].tag == "p":
            self.stack.pop()
        node = _Node(tag, {key.lower(): (value or "") for key, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag.lower() not in _VOID and self.stack[-1].tag == tag.lower():
            self.stack.pop()

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag in _VOID:
            return
        if any(node.tag == tag for node in self.stack[1:]):
            self._close_to(tag, stop_at=())

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html or "")
    builder.close()
    return builder.root


@dataclass
class _Flow:
    """Where the next text goes: a container, its open paragraph, and the list item being written."""

    container: object
    fresh: Paragraph | None = None  # the empty paragraph a new table cell already has
    paragraph: Paragraph | None = None
    list_level: int = 0
    marker: str | None = None  # the list marker waiting for the item's first paragraph
    after_table: bool = False  # Word puts no space after a table: the next paragraph adds it


def render_html(container, html: str) -> None:
    """Append the HTML's content to *container* (a Document or a table cell)."""
    fresh = container.paragraphs[0] if isinstance(container, _Cell) and not container.text else None
    flow = _Flow(container=container, fresh=fresh)
    _children(flow, parse_html(html).children, frozenset())


def _new_paragraph(flow: _Flow, style: str | None = None) -> Paragraph:
    if flow.fresh is not None:
        paragraph, flow.fresh = flow.fresh, None
        if style:
            paragraph.style = style
    else:
        paragraph = flow.container.add_paragraph(style=style)
    if isinstance(flow.container, _Cell):
        paragraph.paragraph_format.space_after = Pt(2)
    elif style is None:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # căn đều hai lề, as in official documents
    if flow.after_table:
        paragraph.paragraph_format.space_before = Pt(6)
        flow.after_table = False
    if flow.list_level:
        fmt = paragraph.paragraph_format
        fmt.left_indent = Emu(_INDENT * flow.list_level)
        if flow.marker is not None:
            fmt.first_line_indent = Emu(-_INDENT)
            fmt.tab_stops.add_tab_stop(fmt.left_indent)
            paragraph.add_run(f"{flow.marker}\t")
            flow.marker = None
    flow.paragraph = paragraph
    return paragraph


def _end_paragraph(flow: _Flow) -> None:
    paragraph, flow.paragraph = flow.paragraph, None
    if paragraph is not None and paragraph.runs and paragraph.runs[-1].text.endswith(" "):
        last = paragraph.runs[-1]  # HTML drops the space before a closing tag; so does Word's line
        last.text = last.text.rstrip(" ")


def _text(flow: _Flow, text: str, formats: frozenset) -> None:
    text = _SPACES.sub(" ", text)
    if flow.paragraph is None:
        text = text.lstrip()
        if not text:
            return
        _new_paragraph(flow)
    elif not flow.paragraph.text.strip(" \t") or flow.paragraph.text.endswith((" ", "\n", "\t")):
        text = text.lstrip()
    if not text:
        return
    run = add_text(flow.paragraph, text, bold="bold" in formats, italic="italic" in formats,
                   underline="underline" in formats)
    if "strike" in formats:
        run.font.strike = True
    if "sup" in formats:
        run.font.superscript = True
    elif "sub" in formats:
        run.font.subscript = True


def _children(flow: _Flow, nodes: list, formats: frozenset) -> None:
    for node in nodes:
        if isinstance(node, str):
            _text(flow, node, formats)
        else:
            _element(flow, node, formats)


def _element(flow: _Flow, node: _Node, formats: frozenset) -> None:
    tag = node.tag
    if tag in _DROPPED:
        return
    if tag == "br":
        paragraph = flow.paragraph or _new_paragraph(flow)
        paragraph.add_run().add_break()
    elif tag in _FORMATS:
        _children(flow, node.children, formats | {_FORMATS[tag]})
    elif tag in _HEADINGS:
        _end_paragraph(flow)
        _new_paragraph(flow, style=None if isinstance(flow.container, _Cell) else f"Heading {_HEADINGS[tag]}")
        _children(flow, node.children, formats | {"bold"})
        _end_paragraph(flow)
    elif tag in ("ul", "ol"):
        _end_paragraph(flow)
        _list(flow, node, formats)
        _end_paragraph(flow)
    elif tag == "table":
        _end_paragraph(flow)
        _table(flow, node, formats)
        _end_paragraph(flow)
        flow.after_table = True
    elif tag in _BLOCKS or tag in ("li", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "hr"):
        _end_paragraph(flow)  # misplaced structure is written as plain blocks: the text is what matters
        _children(flow, node.children, formats)
        _end_paragraph(flow)
    else:
        _children(flow, node.children, formats)  # span, a, font, anything unknown: keep the text


def _marker(ordered: bool, level: int, number: int) -> str:
    if not ordered:
        return _BULLETS[min(level, len(_BULLETS)) - 1]
    if level == 2 and 1 <= number <= 26:
        return f"{chr(ord('a') + number - 1)})"
    return f"{number}."


def _list(flow: _Flow, node: _Node, formats: frozenset) -> None:
    ordered = node.tag == "ol"
    try:
        number = int(node.attrs.get("start", "1"))
    except ValueError:
        number = 1
    outer_level = flow.list_level
    flow.list_level = outer_level + 1
    for child in node.children:
        if isinstance(child, str):
            if child.strip():
                flow.marker = _marker(ordered, flow.list_level, number)
                number += 1
                _text(flow, child, formats)
                _end_paragraph(flow)
            continue
        if child.tag == "li":
            flow.marker = _marker(ordered, flow.list_level, number)
            number += 1
            _end_paragraph(flow)
            _children(flow, child.children, formats)
            if flow.marker is not None:  # an empty item still shows its marker
                _new_paragraph(flow)
            _end_paragraph(flow)
        else:
            _element(flow, child, formats)
    flow.marker = None
    flow.list_level = outer_level


def _span(value: str | None, limit: int) -> int:
    try:
        return max(1, min(int(value or 1), limit))
    except ValueError:
        return 1


def _table_rows(node: _Node) -> list[tuple[_Node, bool]]:
    rows = []
    for child in node.children:
        if isinstance(child, str):
            continue
        if child.tag == "tr":
            rows.append((child, False))
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend((row, child.tag == "thead") for row in child.children
                        if isinstance(row, _Node) and row.tag == "tr")
    return rows


def _table(flow: _Flow, node: _Node, formats: frozenset) -> None:
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "caption":
            caption = _new_paragraph(flow)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _children(flow, child.children, formats | {"bold"})
            _end_paragraph(flow)
    rows = _table_rows(node)
    taken: set[tuple[int, int]] = set()
    placed = []  # (row, column, rowspan, colspan, cell node, is a heading cell)
    for r, (row, in_head) in enumerate(rows):
        c = 0
        for cell in row.children:
            if not isinstance(cell, _Node) or cell.tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            colspan = _span(cell.attrs.get("colspan"), 50)
            rowspan = _span(cell.attrs.get("rowspan"), len(rows) - r)
            taken.update((r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan))
            placed.append((r, c, rowspan, colspan, cell, in_head or cell.tag == "th"))
            c += colspan
    if not placed:
        return
    columns = max(c for _r, c in taken) + 1
    table = new_table(flow.container, len(rows), columns)
    set_column_widths(table, _column_widths(placed, columns, _available_width(flow.container)))
    for r, (_row, in_head) in enumerate(rows):
        if in_head:
            repeat_as_header(table.rows[r])
    for r, c, rowspan, colspan, cell, heading in placed:
        target = table.cell(r, c)
        if rowspan > 1 or colspan > 1:
            target = target.merge(table.cell(r + rowspan - 1, c + colspan - 1))
        cell_flow = _Flow(container=target, fresh=target.paragraphs[0])
        _children(cell_flow, cell.children, formats | {"bold"} if heading else formats)
        if heading:
            for paragraph in target.paragraphs:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _available_width(container) -> Length:
    if isinstance(container, WordDocument):
        return text_width(container)
    if isinstance(container, _Cell) and container.width:
        return Emu(container.width - Cm(0.2))
    return Cm(16)


def _plain(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(_plain(child) for child in node.children)


def _column_widths(placed, columns: int, total: Length) -> list[Length]:
    """Share the width by how much text each column holds, never narrower than its longest word."""
    weights, floors = [2.0] * columns, [Cm(1.0)] * columns
    for _r, c, _rs, colspan, cell, _h in placed:
        if colspan != 1:
            continue
        text = _SPACES.sub(" ", _plain(cell)).strip()
        weights[c] = max(weights[c], math.sqrt(min(len(text), 80)))
        longest = max((len(word) for word in text.split(" ")), default=0)
        floors[c] = max(floors[c], min(Cm(4), Emu(_CHAR_WIDTH * longest + Cm(0.45))))
    widths = [max(floor, Emu(int(total * weight / sum(weights)))) for weight, floor in zip(weights, floors)]
    excess = sum(widths) - total
    if excess > 0:  # take it back from the columns that are wider than their floor
        slack = [width - floor for width, floor in zip(widths, floors)]
        room = sum(slack) or 1
        widths = [Emu(int(width - excess * s / room)) for width, s in zip(widths, slack)]
    return widths
