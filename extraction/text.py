"""Plain-text reader: text files, markdown produced from PDFs, OCR output → ``Document``.

Why so little: text has no reliable structure, so the reader keeps every line in order and only
turns what *is* explicit structure into tables: markdown pipe rows (``| a | b |``) and
tab-separated rows. Everything else (one cell per line, a row's cells sharing a line with spaces)
is left to the interpreter, which knows what a table row should look like.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .document import Document, Table, TableCell
from .encoding import decode
from .findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

_MARKUP = re.compile(r"(?:<|\\u003c)\s*(?:table|tr|td|p|div|br|span)\b", re.I)
_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def split_pipe_row(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def is_pipe_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 2


def lines_to_blocks(lines: list[str], origin: str = "text") -> list:
    """Group pipe rows and tab rows into ``Table`` blocks; keep other lines as they are."""
    blocks: list = []
    rows: list[list[TableCell]] = []
    n = 0

    def close() -> None:
        nonlocal rows, n
        if rows:
            n += 1
            blocks.append(Table(rows, origin=f"{origin} table {n}"))
            rows = []

    for raw in lines:
        # keep tabs at the ends: a trailing tab is an empty last cell
        line = raw.replace("\xa0", " ").replace("\u3000", " ").strip(" \r\n")
        if not line.strip():
            continue
        if _MD_SEPARATOR.match(line.strip()):
            continue
        if is_pipe_row(line):
            rows.append([TableCell(c) for c in split_pipe_row(line)])
            continue
        if "\t" in line and len([c for c in line.split("\t") if c.strip()]) >= 2:
            rows.append([TableCell(c.strip()) for c in line.split("\t")])
            continue
        close()
        blocks.append(re.sub(r"[ \t]+", " ", line).strip())
    close()
    return blocks


def read_text(data: bytes, opts: "ExtractOptions | None" = None) -> Document:
    declared = getattr(opts, "declared_encoding", None) if opts is not None else None
    dec = decode(data, declared, markup=False)
    doc = Document("text", findings=list(dec.findings))
    text = dec.text.replace("\r\n", "\n").replace("\r", "\n")
    if len(_MARKUP.findall(text[:5_000_000])) >= 8 and re.search(r"(?:<|\\u003c)\s*t[dr]\b", text, re.I):
        # markup saved as .txt, or a script holding the report's HTML in a string
        from .html import read_html
        hdoc = read_html(data, opts)
        hdoc.findings.insert(0, Finding("markup_in_text", "text file holds HTML markup; read as HTML"))
        return hdoc
    if not text.strip():
        doc.findings.append(Finding("empty_document", "no text"))
        return doc
    doc.blocks = lines_to_blocks(text.split("\n"))
    return doc
