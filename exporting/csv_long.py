"""CSV, long layout: one row per report and cell, with the official row and column labels.

The tidy form for R/pandas/Excel pivot tables: filter by code or label, group by agency and year.
Columns: the report keys (id, agency, year, format, and region/level when recorded), then
code, table, row_label, col_label, kind, value, raw.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from .base import ExportStats, atomic_file, output_file
from .progress import Progress
from .query import Archive

DEFAULT_NAME = "cells.csv"
CELL_COLUMNS = ("code", "table", "row_label", "col_label", "kind", "value", "raw")


def header(archive: Archive) -> list[str]:
    return [*archive.long_report_columns, *CELL_COLUMNS]


def write_rows(archive: Archive, fh: TextIO, progress: Progress, stats: ExportStats) -> None:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(header(archive))
    keys = ["id" if c == "report_id" else c for c in archive.long_report_columns]
    for report, cells in archive.iter_report_cells():
        head = tuple(report.get(k) for k in keys)
        writer.writerows([head + c[:7] for c in cells])  # CellRow fields are in CELL_COLUMNS order
        stats.reports += 1
        stats.rows += len(cells)
        progress.advance()


def export(archive: Archive, out: str | Path, progress: Progress) -> ExportStats:
    target = output_file(out, DEFAULT_NAME)
    stats = ExportStats("csv", target)
    with atomic_file(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        write_rows(archive, fh, progress, stats)
    stats.files.append(target)
    return stats
