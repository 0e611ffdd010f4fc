"""Compare two revisions section by section, word by word (clause 4.2.3 c: identify changes)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from qms.documents.models import Revision
from qms.documents.services import html_text

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass
class SectionChange:
    title: str
    status: str  # added | removed | changed | unchanged
    inline: Markup  # the newer text with <del> and <ins> marks


def _tokens(body: str) -> list[str]:
    text = html_text(body).replace("\xa0", " ")
    return _WORDS.findall(re.sub(r"[ \t]+", " ", text).strip())


def inline_diff(old: str, new: str) -> Markup:
    """The words of *new* with deletions and insertions marked, all text escaped."""
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
        same = _tokens(previous.body_html) == _tokens(section.body_html)
        changes.append(SectionChange(section.title, "unchanged" if same else "changed",
                                     inline_diff(previous.body_html, section.body_html)))
    for key, section in old_by_title.items():
        if key not in matched:
            changes.append(SectionChange(section.title, "removed", inline_diff(section.body_html, "")))
    return changes
