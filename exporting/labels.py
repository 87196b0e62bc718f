"""Labels for exported columns and cells, read from the data tables (never spelled out in code).

Why a module: every export format (CSV headers, XLSX Chinese headers, the data package's field
descriptions, Datasette's column descriptions) must say the same thing about a column, so they all
read ``data/export_columns.csv`` and the spec's ``data/cells.csv`` through here.
"""
from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

from extraction import spec

EXPORT_COLUMNS_CSV = spec.DATA_DIR / "export_columns.csv"


@dataclass(frozen=True)
class ColumnInfo:
    table: str
    name: str
    type: str  # frictionless type: integer | number | string
    label_zh: str
    label_en: str
    description_en: str


def _read_data_file(path) -> str:
    """Read a file shipped in ``data/``, also when the project runs from a zipped egg (Scrapyd)."""
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        loader = globals().get("__loader__")
        if loader is None or not hasattr(loader, "get_data"):
            raise
        return loader.get_data(str(path)).decode("utf-8")


@lru_cache(maxsize=None)
def columns(table: str) -> tuple[ColumnInfo, ...]:
    """The documented columns of one exported table, in export order."""
    rows = csv.DictReader(io.StringIO(_read_data_file(EXPORT_COLUMNS_CSV)))
    return tuple(ColumnInfo(**r) for r in rows if r["table"] == table)


def column(table: str, name: str) -> ColumnInfo:
    for c in columns(table):
        if c.name == name:
            return c
    raise KeyError(f"{table}.{name} is not described in {EXPORT_COLUMNS_CSV.name}")


@lru_cache(maxsize=None)
def cell_index() -> dict[tuple[str, str], spec.CellSpec]:
    """(format, code) -> the spec's cell (labels differ between formats for some shared codes)."""
    return {(c.format, c.code): c for c in spec.all_cells()}


@lru_cache(maxsize=None)
def code_order() -> dict[str, int]:
    """Every code of every format -> its position, 2021's printed order first then 2019's extras.

    Used to sort cells in printed order and to lay out wide tables with a stable column order.
    """
    order: dict[str, int] = {}
    for fmt in ("2021", "2019"):
        for c in spec.cells(fmt, include_optional=True):
            order.setdefault(c.code, len(order))
    return order


def all_codes() -> tuple[str, ...]:
    """The union of all formats' codes in ``code_order`` (the wide layout's cell columns)."""
    return tuple(code_order())


def cell_label(fmt: str | None, code: str) -> spec.CellSpec | None:
    """The spec cell for a stored cell; falls back to the other format when a code is shared."""
    idx = cell_index()
    found = idx.get((fmt or "", code))
    if found is None:
        for other in spec.FORMATS:
            found = idx.get((other, code))
            if found is not None:
                break
    return found


CELL_LABELS_DDL = """
CREATE TABLE IF NOT EXISTS cell_labels (
    format TEXT NOT NULL,
    code TEXT NOT NULL,
    "table" INTEGER NOT NULL,
    row_label TEXT NOT NULL,
    col_label TEXT NOT NULL,
    kind TEXT NOT NULL,
    optional INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (format, code)
)
"""


def ensure_cell_labels(conn: sqlite3.Connection) -> int:
    """Write the spec's cell labels into ``cell_labels`` of an archive (idempotent).

    Why in the archive: Datasette serves the archive read-only and without plugins, and a join on a
    table in the same file is the only way its pages and canned queries can show the official
    wording next to each number. The rows are replaced so a newer ``cells.csv`` wins.
    Returns the number of label rows.
    """
    rows = [(c.format, c.code, c.table, c.row_label, c.col_label, c.kind, int(c.optional))
            for c in spec.all_cells()]
    with conn:
        conn.execute(CELL_LABELS_DDL)
        conn.execute("DELETE FROM cell_labels")
        conn.executemany("INSERT INTO cell_labels VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
