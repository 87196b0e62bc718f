"""Exports of a nianbao archive: CSV (long and wide), JSON lines, Parquet, XLSX, data package.

One module per format, each with ``export(archive, out, progress) -> ExportStats``; ``export()``
here opens the archive read-only with the filters and dispatches. Every format streams.

    >>> from exporting import export, ExportFilter
    >>> export("data/nianbao.db", "parquet", "out/cells.parquet", ExportFilter(years=(2023,)))
"""
from __future__ import annotations

import importlib
from pathlib import Path

from .base import ExportStats
from .progress import Progress
from .query import Archive, ExportError, ExportFilter

#: format name -> module implementing it
FORMATS = {
    "csv": "exporting.csv_long",
    "csv-wide": "exporting.csv_wide",
    "jsonl": "exporting.jsonl",
    "parquet": "exporting.parquet",
    "xlsx": "exporting.xlsx",
    "datapackage": "exporting.datapackage",
}


def export(db_path: str | Path, fmt: str, out: str | Path, filt: ExportFilter | None = None,
           progress: Progress | bool = False) -> ExportStats:
    """Export the archive at ``db_path`` as ``fmt`` to ``out`` (a file, or a directory)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    module = importlib.import_module(FORMATS[fmt])
    with Archive.open(db_path, filt) as archive:
        if not isinstance(progress, Progress):
            progress = Progress(archive.count_reports() if progress else None, enabled=bool(progress),
                                label=f"export {fmt}")
        kwargs = {"db_label": str(db_path)} if fmt == "xlsx" else {}
        stats = module.export(archive, out, progress, **kwargs)
        progress.finish()
        return stats


__all__ = ["FORMATS", "Archive", "ExportError", "ExportFilter", "ExportStats", "Progress", "export"]
