"""The reader-neutral form of a report: a sequence of text lines and tables.

Why: every reader (HTML, text, PDF, DOCX, OCR) ends here, and one interpreter turns a
``Document`` into cells. A reader's job is only to keep reading order and table structure;
it never decides what a number means.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Union

from .findings import Finding


@dataclass
class TableCell:
    """One cell as printed; spans are *not* expanded (a reader keeps what the source says)."""
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Table:
    rows: list[list[TableCell]]
    #: where it came from, for findings: "html table 3", "pdf page 4 table 1", ...
    origin: str = ""

    def grid(self) -> list[list[TableCell | None]]:
        """Rows with spans expanded: a spanned slot holds the *same* TableCell object again.

        Callers can tell an original cell from a span copy by identity with the cell to the left
        or above. Ragged rows are padded with ``None``.
        """
        out: list[list[TableCell | None]] = []
        pending: dict[tuple[int, int], TableCell] = {}
        for r, row in enumerate(self.rows):
            line: list[TableCell | None] = []
            c = 0
            cells = iter(row)
            while True:
                if (r, c) in pending:
                    line.append(pending.pop((r, c)))
                    c += 1
                    continue
                cell = next(cells, None)
                if cell is None:
                    break
                rs, cs = max(1, min(cell.rowspan, 500)), max(1, min(cell.colspan, 100))
                for dc in range(cs):
                    line.append(cell)
                    for dr in range(1, rs):
                        pending[(r + dr, c + dc)] = cell
                c += cs
            # slots still pending on this row beyond the last real cell
            while (r, c) in pending:
                line.append(pending.pop((r, c)))
                c += 1
            out.append(line)
        width = max((len(x) for x in out), default=0)
        for line in out:
            line.extend([None] * (width - len(line)))
        return out


Block = Union[str, Table]


@dataclass
class Document:
    #: "html", "text", "pdf", "docx", "doc", "image" ...
    source_kind: str
    #: text lines and tables in reading order
    blocks: list[Block] = field(default_factory=list)
    #: a title the container states (HTML <title>, PDF/DOCX core properties), if any
    title: str | None = None
    #: metadata a reader found outside the body (e.g. a portal's 索引号 table), label -> text
    meta_hints: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: "text" for a real text layer, "ocr" when the words came from OCR
    provenance: str = "text"

    def lines(self) -> Iterator[str]:
        """All text in reading order, a table row as one line with cells joined by spaces."""
        for b in self.blocks:
            if isinstance(b, Table):
                for row in b.rows:
                    yield " ".join(c.text for c in row)
            else:
                yield b

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
