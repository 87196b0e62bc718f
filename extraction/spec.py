"""The statutory cell table (``data/cells.csv``) as Python objects.

Why a module of its own: the cell codes are the project's contract with the outside world
(see ``data/cells.csv``, copied from the spec). Extraction, rules, storage and exports all read
the codes from here, so there is exactly one place that knows which cells a format has.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CELLS_CSV = DATA_DIR / "cells.csv"
LABEL_VARIANTS_CSV = DATA_DIR / "label_variants.csv"

FORMATS = ("2019", "2021")
#: Formats that carry no statutory cells.
CELL_LESS_FORMATS = ("pre2019", "not_a_report", "unknown")
#: Table-3 applicant columns, in the order the official templates print them.
APPLICANT_COLUMNS = ("natural", "commercial", "research", "social", "legal", "other_org", "total")
#: Table-4 outcome columns, in printed order, per group.
REVIEW_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
REVIEW_GROUPS = ("review", "litigation_direct", "litigation_after_review")


@dataclass(frozen=True)
class CellSpec:
    format: str
    table: int
    code: str
    row_label: str
    col_label: str
    kind: str  # count | signed | amount_wan_yuan

    @property
    def row(self) -> str:
        """The code without its column part: ``t3.denied.state_secret``."""
        return self.code.rsplit(".", 1)[0]

    @property
    def column(self) -> str:
        return self.code.rsplit(".", 1)[1]

    @property
    def optional(self) -> bool:
        """2021's single-row ``t3.other.*`` cells exist only in hybrid layouts."""
        return self.format == "2021" and self.code.startswith("t3.other.") and self.code.count(".") == 2


@lru_cache(maxsize=None)
def all_cells() -> tuple[CellSpec, ...]:
    with CELLS_CSV.open(encoding="utf-8", newline="") as fh:
        return tuple(
            CellSpec(r["format"], int(r["table"]), r["code"], r["row_label"], r["col_label"], r["kind"])
            for r in csv.DictReader(fh)
        )


@lru_cache(maxsize=None)
def cells(fmt: str, include_optional: bool = False) -> tuple[CellSpec, ...]:
    """The cells of one format, in file order (which is printed order)."""
    return tuple(c for c in all_cells() if c.format == fmt and (include_optional or not c.optional))


@lru_cache(maxsize=None)
def codes(fmt: str, include_optional: bool = False) -> tuple[str, ...]:
    return tuple(c.code for c in cells(fmt, include_optional))


@lru_cache(maxsize=None)
def cell(fmt: str, code: str) -> CellSpec:
    for c in cells(fmt, include_optional=True):
        if c.code == code:
            return c
    raise KeyError(f"format {fmt} has no cell {code!r}")


@lru_cache(maxsize=None)
def rows(fmt: str, table: int, include_optional: bool = False) -> tuple[str, ...]:
    """Row codes of a table in printed order, e.g. ``('t3.new', 't3.carried_over', ...)``."""
    seen: dict[str, None] = {}
    for c in cells(fmt, include_optional):
        if c.table == table:
            seen.setdefault(c.row, None)
    return tuple(seen)


@lru_cache(maxsize=None)
def label_variants() -> tuple[dict[str, str], ...]:
    """Rows of ``data/label_variants.csv``: format, code pattern, variant spelling, source."""
    with LABEL_VARIANTS_CSV.open(encoding="utf-8", newline="") as fh:
        return tuple(dict(r) for r in csv.DictReader(fh))
