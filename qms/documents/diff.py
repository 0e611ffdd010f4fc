"""Compare two revisions section by section, word by word (clause 4.2.3 c: identify changes)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import Markup, escape

from qms.documents.models import Revision

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass
class SectionChange:
    title: str
    status: str  # added | removed | changed | unchanged
    inline: Markup  # the newer text with <del> and <ins> marks


_BLOCKS = {"p", "li", "tr", "h3", "h4", "div", "blockquote", "br", "table", "ul", "ol"}
_CELLS = {"td", "th"}


class _Lines(HTMLParser):
    """Sanitised section HTML as lines: one per paragraph, list item or table row (cells joined by │)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.current, self.cells = [], [], 0

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self.current)).strip(" │")
        if text:
            self.lines.append(text)
        self.current, self.cells = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self._flush()
            if tag == "li":
                self.current.append("• ")
        elif tag in _CELLS:
            if self.cells:
                self.current.append(" │ ")
            self.cells += 1

    def handle_endtag(self, tag):
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data):
        self.current.append(data.replace("\xa0", " "))


def html_lines(body: str) -> list[str]:
    parser = _Lines()
    parser.feed(body or "")
    parser.close()
    parser._flush()
    return parser.lines


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text)


def _words_diff(old: str, new: str) -> Markup:
    a, b = _tokens(old), _tokens(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
        if op in ("delete", "replace"):
            parts.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            parts.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(parts)


def inline_diff(old: str, new: str) -> Markup:
    """The lines of *new* with removed and added lines marked, and word marks inside changed lines."""
    a, b = html_lines(old), html_lines(new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Markup('<div class="line">%s</div>') % line for line in b[j1:j2]]
        elif op == "replace" and i2 - i1 == j2 - j1:
            out += [Markup('<div class="line changed">%s</div>') % _words_diff(x, y)
                    for x, y in zip(a[i1:i2], b[j1:j2])]
        else:
            out += [Markup('<div class="line"><del>%s</del></div>') % line for line in a[i1:i2]]
            out += [Markup('<div class="line"><ins>%s</ins></div>') % line for line in b[j1:j2]]
    return Markup("").join(out)


def compare_revisions(older: Revision, newer: Revision) -> list[SectionChange]:
    """Sections matched by title (then by position), in the newer revision's order, removed ones last."""
    old_by_title = {s.title.strip().lower(): s for s in older.sections}
    changes, matched = [], set()
    for section in newer.sections:
        key = section.title.strip().lower()
        previous = old_by_title.get(key)
        if previous is None:
            changes.append(SectionChange(section.title, "added", inline_diff("", section.body_html)))
            continue
        matched.add(key)
        same = html_lines(previous.body_html) == html_lines(section.body_html)
        changes.append(SectionChange(section.title, "unchanged" if same else "changed",
                                     inline_diff(previous.body_html, section.body_html)))
    for key, section in old_by_title.items():
        if key not in matched:
            changes.append(SectionChange(section.title, "removed", inline_diff(section.body_html, "")))
    return changes
