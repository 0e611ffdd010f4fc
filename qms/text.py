"""Text helpers for Vietnamese: search that ignores diacritics and case."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: "Quy trình Kiểm soát" → "quy trinh kiem soat"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def like_pattern(query: str) -> str:
    """A LIKE pattern for a folded query, with LIKE's wildcards escaped (escape character: backslash)."""
    folded = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"


_WORD = re.compile(r"[^\W_]+(?:[./-][^\W_]+)*", re.UNICODE)


def word_patterns(query: str, limit: int = 8) -> list[str]:
    """One LIKE pattern per word of the folded query: every word must appear, in any order, whatever
    punctuation stands between them ("phan anh kien nghi" finds "phản ánh, kiến nghị"). Codes such as
    61/2018/NĐ-CP or QT-01 stay one word."""
    return [like_pattern(word) for word in _WORD.findall(fold(query))][:limit]
