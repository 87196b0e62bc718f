"""Document → a stream of rows, each tagged with the statutory table (section) it belongs to.

Why one row model for every source: an HTML grid row, a markdown fragment, a PDF table row, a
line whose cells share spaces and a run of one-cell-per-line text all describe the same thing —
some label cells followed by some value cells. Normalising them here lets the table
interpreters (``tables.py``) work on labels and printed order only, whatever the reader was.

Spans: a row keeps each *distinct* cell once (a colspan copy is dropped), so header and data
rows whose colspans disagree (本年增/减 spanning two columns in the header, the value spanning
two in the data row) still line up by order. Rowspan copies from above are kept as label
context (``三、本年度办理结果`` over 22 rows, ``（三）不予公开`` over 8).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from functools import lru_cache

from . import labels
from .document import Document, Table
from .values import _BLANKS, clean_text
from .values import looks_numeric as _looks_numeric

#: rows one document may yield; a real report has a few thousand lines at most
MAX_ROWS = 20_000

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－一~～]\s*\d{1,4}\s*[-—–－一~～]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4})\s*$")


def looks_numeric(text: str) -> bool:
    # only short strings are cached: unique long lines would fill the 65536-entry cache with
    # megabytes over a long crawl (labels.CACHE_MAX_LEN)
    return _looks_numeric_cached(text) if len(text) <= 200 else _looks_numeric(text)


@lru_cache(maxsize=65536)
def _looks_numeric_cached(text: str) -> bool:
    return _looks_numeric(text)


def is_blank(text: str) -> bool:
    return _is_blank(text) if len(text) <= 200 else clean_text(text).lower() in _BLANKS


@lru_cache(maxsize=65536)
def _is_blank(text: str) -> bool:
    t = clean_text(text).lower()
    return t in _BLANKS


_ANNOTATED = re.compile(r"^\s*([+\-－−]?\d[\d,，.]*\s*(?:万元|元|件|个|项|条)?)\s*[（(][^()（）]{0,40}[)）]\s*$", re.S)


def annotated_number(text: str) -> str | None:
    """``12（含结转3件）`` / ``22\n（其中修订16件）`` → ``12`` / ``22``: a number with a note."""
    m = _ANNOTATED.match(text or "")
    return m.group(1).strip() if m else None


def is_value(text: str) -> bool:
    return is_blank(text) or looks_numeric(text) or annotated_number(text) is not None


@dataclass
class Row:
    labels: list[str]
    values: list[str]
    #: "table" when the row came from a Table block, "line" from a text line
    source: str
    origin: str = ""
    #: label-only text lines right before this row (wrapped labels in flattened text)
    before: list[str] = field(default_factory=list)
    section: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.labels + self.values)

    @property
    def numeric(self) -> bool:
        return any(looks_numeric(v) or annotated_number(v) is not None for v in self.values)


def split_cells(cells: list[str]) -> tuple[list[str], list[str]]:
    """Leading label cells, trailing value cells (numbers or blanks)."""
    i = len(cells)
    while i > 0 and is_value(cells[i - 1]):
        i -= 1
    labels_ = [c for c in cells[:i] if not is_blank(c)]
    return labels_, cells[i:]


def table_rows(table: Table) -> list[Row]:
    out: list[Row] = []
    grid = table.grid()
    for g in grid:
        cells: list[str] = []
        prev = None
        for c in g:
            if c is None:
                continue
            if c is prev:
                continue
            prev = c
            cells.append(c.text.strip())
        if not cells:
            continue
        lab, vals = split_cells(cells)
        out.append(Row(lab, vals, "table", table.origin))
    return out


def line_row(line: str) -> Row | None:
    s = line.strip()
    if not s or _PAGE_NUMBER.match(s):
        return None
    tokens = s.split()
    i = len(tokens)
    # trailing values: numbers, and blank marks (—, /, 无) among them
    while i > 0 and is_value(tokens[i - 1]):
        i -= 1
    while i < len(tokens) and is_blank(tokens[i]) and not any(looks_numeric(t) for t in tokens[i:]):
        i += 1
    if not any(looks_numeric(t) for t in tokens[i:]):
        i = len(tokens)
    lab = " ".join(tokens[:i]).strip()
    vals = tokens[i:]
    return Row([lab] if lab else [], vals, "line")


def rows_of(doc: Document) -> list[Row]:
    """All rows in reading order; consecutive number-only lines join the row before them.

    At most ``MAX_ROWS`` rows are produced (the caller can tell by the length).
    """
    out: list[Row] = []
    pending_labels: list[str] = []
    last_line_row: Row | None = None
    for block in doc.blocks:
        if len(out) >= MAX_ROWS:
            break
        if isinstance(block, Table):
            last_line_row = None
            for r in table_rows(block):
                r.before = pending_labels[-3:]
                pending_labels = [] if r.values else pending_labels + r.labels[-1:]
                out.append(r)
            continue
        for line in str(block).split("\n"):
            r = line_row(line)
            if r is None:
                continue
            if not r.labels and r.values and last_line_row is not None:
                last_line_row.values.extend(r.values)  # one cell per line: numbers after their label
                continue
            r.before = pending_labels[-3:]
            if r.values:
                pending_labels = []
            else:
                pending_labels = (pending_labels + r.labels)[-4:]
            out.append(r)
            last_line_row = r
    return out


_ORDER = {"t2": 2, "t3": 3, "t4": 4}


def assign_sections(rows: list[Row], fmt: str | None = None) -> list[str]:
    """Tag rows with "t2" | "t3" | "t4" | None, from headings and, lacking those, from labels.

    Headings also occur in prose before the tables (an intro listing the six sections, a
    sub-heading （三）收到和处理政府信息公开申请情况 inside section 一, a small statistics table of
    its own). So until table 3 has data rows, a later heading for an earlier table wins and
    untags what was collected under the later one; once table 3 has rows, sections only move
    forward and table 4 ends the reading when full or at the next section's heading.

    Returns notes for findings (statutory tables printed again after table 4 was read)."""
    state: str | None = None
    t4_values = 0
    t3_rows = 0
    done = False
    notes: list[str] = []
    tagged: dict[str, list[Row]] = {"t2": [], "t3": [], "t4": []}

    def move(sec: str) -> None:
        nonlocal state, t4_values, t3_rows
        if state is not None and _ORDER[sec] < _ORDER[state]:
            if t3_rows > 0:
                return  # the tables have begun: a heading for an earlier table is prose
            for name, order in _ORDER.items():
                if order > _ORDER[sec]:
                    for old in tagged[name]:
                        old.section = None
                    tagged[name] = []
            t4_values = 0
        state = sec

    for r in rows:
        if done:
            r.section = None
            if not notes and r.numeric and r.labels and \
                    labels.best(labels.match(r.labels[-1], fmt, "t3.")) & {"t3.new", "t3.carried_over"}:
                notes.append("the statutory tables are printed again after table 4; the first copy was read")
            continue
        text = " ".join(r.labels)
        if not r.values or not r.numeric:
            sec = labels.heading_section(text) if text and len(r.labels) <= 2 else None
            if sec == "end":
                if t3_rows > 0 and state in ("t3", "t4"):
                    done = True
                    r.section = None
                    continue
            elif sec is not None:
                move(sec)
                r.section = state
                continue
            sq = labels.squash(text)
            if state in (None, "t2") and any(p in sq for p in labels.sections().get("t3hdr", ())):
                move("t3")
            elif state == "t3" and len(sq) <= 30 and any(p in sq for p in labels.sections().get("t4hdr", ())) \
                    and (any(p in sq for p in labels.sections().get("t4ctx", ())) or r.source == "table"):
                move("t4")
        elif state is None and r.source == "table":
            if labels.best(labels.match(r.labels[-1] if r.labels else "", fmt, "t2.")):
                move("t2")
            elif labels.best(labels.match(r.labels[-1] if r.labels else "", fmt, "t3.")):
                move("t3")
        elif state == "t2" and r.labels:
            # table 3 without its heading: its first rows name themselves
            m3 = labels.match(r.labels[-1], fmt, "t3.")
            if m3 and max(m3.values()) >= 0.9 and not labels.match(r.labels[-1], fmt, "t2.") and \
                    labels.best(m3) & {"t3.new", "t3.carried_over"}:
                move("t3")
        r.section = state
        if state is not None:
            tagged[state].append(r)
        if state == "t3" and len(r.values) >= 5 and r.numeric:
            t3_rows += 1
        if state == "t4" and r.numeric:
            t4_values += len(r.values)
            if t4_values >= 15 and t3_rows > 0:
                done = True
    return notes
