"""XLSX (openpyxl write-only): Chinese headers, one sheet per format, for people who live in Excel.

Why one sheet per format: the 2019 and 2021 tables have different rows, and a 政务公开 office
reads a sheet whose headers are the wording of the form it filled in. The write-only workbook
streams rows to temporary files, so memory stays flat; a sheet that would pass Excel's row limit
continues on a numbered sheet.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from extraction import spec

from . import labels
from .base import ExportStats, atomic_file, output_file
from .progress import Progress
from .query import Archive
from .text import text

DEFAULT_NAME = "nianbao.xlsx"
MAX_ROWS = 1_048_576
#: report columns repeated at the left of each format sheet
KEY_COLUMNS = ("id", "agency", "report_year", "region", "level")


class _SplitSheet:
    """A write-only sheet that continues on "name (2)", "name (3)" ... past Excel's row limit."""

    def __init__(self, wb: Workbook, title: str, header: list[list], widths: dict[int, float] | None = None,
                 max_rows: int = MAX_ROWS) -> None:
        self.wb, self.title, self.header, self.widths = wb, title, header, widths or {}
        self.max_rows = max_rows
        self.part = 0
        self.ws = None
        self.rows = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self.part += 1
        name = self.title if self.part == 1 else f"{self.title} ({self.part})"
        self.ws = self.wb.create_sheet(name[:31])
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = width
        self.ws.freeze_panes = f"A{len(self.header) + 1}" if self.header else None
        for row in self.header:
            self.ws.append(row)
        self.rows = len(self.header)

    def append(self, row: list) -> None:
        if self.rows >= self.max_rows:
            self._new_sheet()
        self.ws.append(row)
        self.rows += 1


def export(archive: Archive, out: str | Path, progress: Progress, db_label: str = "",
           max_rows: int = MAX_ROWS) -> ExportStats:
    target = output_file(out, DEFAULT_NAME)
    stats = ExportStats("xlsx", target)
    wb = Workbook(write_only=True)

    readme = wb.create_sheet(text("sheet_readme"))
    readme.column_dimensions["A"].width = 18
    readme.column_dimensions["B"].width = 90

    report_cols = list(archive.report_columns)
    reports = _SplitSheet(wb, text("sheet_reports"),
                          [[labels.column("reports", c).label_zh for c in report_cols], report_cols],
                          max_rows=max_rows)
    keys = [c for c in KEY_COLUMNS if c in report_cols]
    format_sheets: dict[str, tuple[_SplitSheet, dict[str, int]]] = {}

    def sheet_for(fmt: str) -> tuple[_SplitSheet, dict[str, int]]:
        if fmt not in format_sheets:
            specs = spec.cells(fmt, include_optional=True)
            key_labels = [labels.column("reports", k).label_zh for k in keys]
            header = [
                [*key_labels, *(f"{text('table_prefix', table=c.table)} {c.row_label}" for c in specs)],
                [*([""] * len(keys)), *(c.col_label for c in specs)],
                [*keys, *(c.code for c in specs)],
            ]
            sheet = _SplitSheet(wb, text("sheet_format", format=fmt), header, {2: 28}, max_rows=max_rows)
            format_sheets[fmt] = (sheet, {c.code: i for i, c in enumerate(specs)})
        return format_sheets[fmt]

    n_cells = 0
    for report, cells in archive.iter_report_cells():
        reports.append([report[c] for c in report_cols])
        fmt = report.get("format")
        if fmt in spec.FORMATS and cells:
            sheet, position = sheet_for(fmt)
            values: list = [None] * len(position)
            for c in cells:
                i = position.get(c.code)
                if i is not None:
                    values[i] = c.value
            sheet.append([*(report[k] for k in keys), *values])
            n_cells += len(cells)
        stats.reports += 1
        stats.rows += 1
        progress.advance()

    findings = _SplitSheet(wb, text("sheet_findings"),
                           [[labels.column("findings", c).label_zh for c in ("report_id", "rule", "detail")],
                            ["report_id", "rule", "detail"]], {3: 80}, max_rows=max_rows)
    n_findings = 0
    for row in archive.iter_findings():
        findings.append(list(row))
        n_findings += 1

    for key, value in (
        ("readme_title", None),
        ("readme_generated", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("readme_source", db_label),
        ("readme_filter", repr(archive.filter.describe()) if archive.filter.describe() else "—"),
        ("readme_reports", stats.reports),
        ("readme_cells", n_cells),
        ("readme_findings", n_findings),
        ("readme_layout", None),
        ("readme_nulls", None),
    ):
        readme.append([text(key)] if value is None else [text(key), value])

    with atomic_file(target) as tmp:
        wb.save(tmp)
    stats.files.append(target)
    return stats
