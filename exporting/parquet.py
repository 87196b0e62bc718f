"""Parquet (pyarrow), long layout, written in row groups as the archive streams by.

Why long: Parquet's dictionary encoding makes the repeated report keys and labels nearly free, and
the tidy layout is what Arrow/DuckDB/pandas users filter and pivot. Memory stays flat: at most
``BATCH_ROWS`` rows are held before a row group is flushed.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .base import ExportStats, atomic_file, output_file
from .progress import Progress
from .query import Archive

DEFAULT_NAME = "cells.parquet"
BATCH_ROWS = 100_000

_REPORT_TYPES = {
    "report_id": pa.int64(), "agency": pa.string(), "report_year": pa.int32(), "format": pa.string(),
    "region": pa.string(), "level": pa.string(),
}
_CELL_FIELDS = [
    ("code", pa.string()), ("table", pa.int8()), ("row_label", pa.string()), ("col_label", pa.string()),
    ("kind", pa.string()), ("value", pa.float64()), ("raw", pa.string()),
]


def schema(archive: Archive) -> pa.Schema:
    fields = [pa.field(c, _REPORT_TYPES[c]) for c in archive.long_report_columns]
    fields += [pa.field(n, t) for n, t in _CELL_FIELDS]
    return pa.schema(fields, metadata={"nianbao.layout": "long",
                                       "nianbao.filter": repr(archive.filter.describe())})


def export(archive: Archive, out: str | Path, progress: Progress, batch_rows: int = BATCH_ROWS) -> ExportStats:
    target = output_file(out, DEFAULT_NAME)
    stats = ExportStats("parquet", target)
    sch = schema(archive)
    names = sch.names
    keys = ["id" if c == "report_id" else c for c in archive.long_report_columns]
    n_report = len(keys)

    def empty() -> list[list]:
        return [[] for _ in names]

    with atomic_file(target) as tmp:
        with pq.ParquetWriter(tmp, sch, compression="zstd") as writer:
            cols = empty()
            pending = 0
            for report, cells in archive.iter_report_cells():
                if cells:
                    k = len(cells)
                    for i, key in enumerate(keys):
                        cols[i].extend([report.get(key)] * k)
                    j = n_report
                    cols[j].extend(c.code for c in cells)
                    cols[j + 1].extend(c.table for c in cells)
                    cols[j + 2].extend(c.row_label for c in cells)
                    cols[j + 3].extend(c.col_label for c in cells)
                    cols[j + 4].extend(c.kind for c in cells)
                    cols[j + 5].extend(None if c.value is None else float(c.value) for c in cells)
                    cols[j + 6].extend(c.raw for c in cells)
                    pending += k
                    stats.rows += k
                stats.reports += 1
                progress.advance()
                if pending >= batch_rows:
                    writer.write_table(_table(cols, sch))
                    cols, pending = empty(), 0
            if pending:
                writer.write_table(_table(cols, sch))
    stats.files.append(target)
    return stats


def _table(cols: list[list], sch: pa.Schema) -> pa.Table:
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(cols, sch)], schema=sch)
