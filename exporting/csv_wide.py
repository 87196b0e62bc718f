"""CSV, wide layout: one row per report, one column per cell code.

The spreadsheet form: every report on one line, ready for a scatter plot or a regression. The cell
columns are the union of all formats' codes in printed order (2021 first), so one file can hold
both layouts; a code a report's format does not have stays empty.
"""
from __future__ import annotations

import csv
from pathlib import Path

from . import labels
from .base import ExportStats, atomic_file, output_file
from .progress import Progress
from .query import Archive

DEFAULT_NAME = "reports_wide.csv"


def export(archive: Archive, out: str | Path, progress: Progress) -> ExportStats:
    target = output_file(out, DEFAULT_NAME)
    stats = ExportStats("csv-wide", target)
    codes = labels.all_codes()
    position = {code: i for i, code in enumerate(codes)}
    head = list(archive.report_columns)
    with atomic_file(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([*head, *codes])
        for report, cells in archive.iter_report_cells():
            values: list = [None] * len(codes)
            for c in cells:
                i = position.get(c.code)
                if i is not None:
                    values[i] = c.value
            writer.writerow([*(report[k] for k in head), *values])
            stats.reports += 1
            stats.rows += 1
            progress.advance()
    stats.files.append(target)
    return stats
