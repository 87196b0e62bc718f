"""Small text helpers shared by the non-HTML readers (PDF, DOCX, OCR).

Why: PDF and OCR text carries layout artefacts that are not part of what was printed —
justification gaps between CJK characters (``总 计``), a space a word processor puts between
a number and a CJK unit (``2023 年``), line breaks inside a wrapped table cell (``商业\\n企业``)
or one character per line in a vertical label. Removing them in one place keeps every reader's
output comparable with the HTML reader's.
"""
from __future__ import annotations

import re

# CJK ideographs, CJK punctuation, full-width forms
_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])[ \u00a0\u3000]+|[ \u00a0\u3000]+(?=[{_CJK}])")
#: readers mark a gap wide enough to separate columns with a tab; it survives ``squeeze`` as a space
COLUMN_GAP = "\t"
_IS_CJK = re.compile(rf"[{_CJK}]")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－一~～]\s*\d{1,4}\s*[-—–－一~～]"        # - 3 -   — 3 —
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"  # 第 3 页 共 9 页
    r"|\d{1,4}\s*/\s*\d{1,4})\s*$")                       # 3/9
_BARE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$")


def squeeze(text: str) -> str:
    """Drop spaces next to CJK characters, collapse the rest to one space."""
    text = _SPACE_NEXT_TO_CJK.sub("", text)
    text = re.sub(r"[ \u00a0]*\t[ \t\u00a0]*", "\t", text)
    return re.sub(r"[ \u00a0]{2,}", " ", text).replace("\t", " ").strip()


def is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_IS_CJK.match(ch))


def join_wrapped(lines: list[str]) -> str:
    """Join the lines of one wrapped cell: no separator at a CJK boundary, a space otherwise.

    A vertical label (one character per line) becomes one word this way.
    """
    out = ""
    for line in (squeeze(x) for x in lines):
        if not line:
            continue
        if out and not (is_cjk(out[-1]) or is_cjk(line[0])):
            out += " "
        out += line
    return out


def is_page_number(line: str, in_margin: bool = True) -> bool:
    """``- 3 -``, ``第3页``, ``3/9`` anywhere; a bare number only in the header/footer margin."""
    if _PAGE_NUMBER.match(line):
        return True
    return in_margin and bool(_BARE_NUMBER.match(line))


def _plausible(ch: str) -> bool:
    o = ord(ch)
    return (0x20 <= o < 0x7F or 0xA0 <= o <= 0xFF or 0x2000 <= o <= 0x206F or 0x2160 <= o <= 0x24FF
            or 0x3000 <= o <= 0x303F or 0x4E00 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF or 0x2E80 <= o <= 0x2FDF
            or 0x3400 <= o <= 0x4DBF or 0x25A0 <= o <= 0x25FF or ch in "\t\n\r")


def garbled_ratio(text: str) -> float:
    """Share of characters no Chinese report prints (private use, Hangul, control codes ...).

    Why: a PDF with a broken ToUnicode map, or a "document" a converter decoded from garbage,
    yields text that is not empty but meaningless; this tells the two apart from real text.
    """
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if not _plausible(c)) / len(chars)


#: above this share of implausible characters (over at least ``GARBLED_MIN_CHARS``) text is garbage
GARBLED_THRESHOLD = 0.3
GARBLED_MIN_CHARS = 40


def is_garbled(text: str) -> bool:
    return len(text) >= GARBLED_MIN_CHARS and garbled_ratio(text) > GARBLED_THRESHOLD
