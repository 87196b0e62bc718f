"""A Frictionless data package: CSV resources plus ``datapackage.json`` with table schemas.

Why: a data package is self-describing — types, Chinese/English titles, primary and foreign keys —
so ``frictionless validate`` (or any Table Schema tool) can check a download without our code.
Resources: ``reports.csv``, ``cells.csv`` (long: report_id, format, code, value, raw),
``findings.csv`` and ``cell_labels.csv`` (the spec's cells, the target of cells' foreign key).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from extraction import spec

from . import labels
from .base import ExportStats, atomic_dir
from .progress import Progress
from .query import Archive, table_names
from .text import text

FORMAT_VALUES = [*spec.FORMATS, *spec.CELL_LESS_FORMATS]
#: SQLite declared type (upper-cased prefix) -> Table Schema type
_SQL_TYPES = (("INT", "integer"), ("REAL", "number"), ("FLOA", "number"), ("DOUB", "number"),
              ("NUM", "number"), ("TEXT", "string"), ("CHAR", "string"), ("CLOB", "string"))


def extra_tables(archive: Archive) -> list[str]:
    """Tables other modules ask the exports to ship (agency identity, data quality), if present."""
    try:
        from agencies import quality
    except ImportError:
        return []
    present = table_names(archive.conn)
    return [t for t in getattr(quality, "EXPORT_TABLES", ()) if t in present]


def _table_schema(archive: Archive, table: str) -> list[dict[str, Any]]:
    fields = []
    for _, name, decl, *_ in archive.conn.execute("SELECT * FROM pragma_table_info(?)", (table,)):
        decl = (decl or "").upper()
        ftype = next((t for prefix, t in _SQL_TYPES if prefix in decl), "any")
        fields.append({"name": name, "type": ftype})
    return fields


def _write_extra(archive: Archive, table: str, path: Path) -> int:
    """Stream one extra table to CSV; rows tied to a report follow the export's filter."""
    cols = [f["name"] for f in _table_schema(archive, table)]
    select = ", ".join(f'"{c}"' for c in cols)
    sql, params = f'SELECT {select} FROM "{table}"', []
    if "report_id" in cols and archive.filter.describe():
        where, params = archive.where_sql()
        sql += f" WHERE report_id IN (SELECT r.id FROM reports r{where})"
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for row in archive.conn.execute(sql, params):
            w.writerow(row)
            n += 1
    return n


def _field(table: str, name: str, **extra: Any) -> dict[str, Any]:
    info = labels.column(table, name)
    return {"name": name, "type": info.type, "title": f"{info.label_zh} / {info.label_en}",
            "description": info.description_en, **extra}


def descriptor(archive: Archive) -> dict[str, Any]:
    report_fields = []
    for name in archive.report_columns:
        extra: dict[str, Any] = {}
        if name == "id":
            extra["constraints"] = {"required": True, "unique": True}
        if name == "format":
            extra["constraints"] = {"enum": FORMAT_VALUES}
        report_fields.append(_field("reports", name, **extra))
    cells_fields = [
        _field("cells", "report_id", constraints={"required": True}),
        _field("reports", "format", constraints={"required": True, "enum": list(spec.FORMATS)}),
        _field("cells", "code", constraints={"required": True, "pattern": r"t[0-9]+\.[a-z0-9_.]+"}),
        _field("cells", "value"),
        _field("cells", "raw"),
    ]
    label_fields = [_field("reports", "format"), _field("cells", "code"), _field("cells", "table"),
                    _field("cells", "row_label"), _field("cells", "col_label"), _field("cells", "kind")]
    finding_fields = [_field("findings", "report_id", constraints={"required": True}),
                      _field("findings", "rule", constraints={"required": True}), _field("findings", "detail")]

    def resource(name: str, fields: list[dict], primary: list[str] | None = None,
                 foreign: list[dict] | None = None, title: str = "") -> dict[str, Any]:
        schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
        if primary:
            schema["primaryKey"] = primary
        if foreign:
            schema["foreignKeys"] = foreign
        return {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "title": title,
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema}

    return {
        "profile": "tabular-data-package",
        "name": "nianbao-annual-reports",
        "title": f"{text('readme_title')} / {text('readme_title', 'en')}",
        "description": ("Cells of the statutory tables of 政府信息公开工作年度报告 as decoded by nianbao. "
                        "Cell codes and labels follow cells.csv (the nianbao spec)."),
        "created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nianbao": {"filter": archive.filter.describe()},
        "resources": [
            resource("reports", report_fields, ["id"], title="报告 / Reports"),
            resource("cells", cells_fields, ["report_id", "code"], [
                {"fields": "report_id", "reference": {"resource": "reports", "fields": "id"}},
                {"fields": ["format", "code"], "reference": {"resource": "cell_labels", "fields": ["format", "code"]}},
            ], title="单元格 / Cells"),
            resource("findings", finding_fields, None, [
                {"fields": "report_id", "reference": {"resource": "reports", "fields": "id"}},
            ], title="核查发现 / Findings"),
            resource("cell_labels", label_fields, ["format", "code"], title="单元格说明 / Cell labels"),
            *(resource(t, _table_schema(archive, t), title=f"{t} (agency identity / data quality)")
              for t in extra_tables(archive)),
        ],
    }


def export(archive: Archive, out: str | Path, progress: Progress) -> ExportStats:
    target = Path(out)
    if target.suffix == ".json":  # -o path/datapackage.json names the descriptor
        target = target.parent
    stats = ExportStats("datapackage", target)
    desc = descriptor(archive)
    report_cols = list(archive.report_columns)
    # codes the spec does not know (a newer extractor, a stale cells.csv) are exported all the
    # same, and listed in cell_labels without labels so the foreign key still holds
    unknown: set[tuple[str, str]] = set()
    with atomic_dir(target) as tmp:
        with (tmp / "reports.csv").open("w", encoding="utf-8", newline="") as rf, \
                (tmp / "cells.csv").open("w", encoding="utf-8", newline="") as cf:
            rw = csv.writer(rf, lineterminator="\n")
            cw = csv.writer(cf, lineterminator="\n")
            rw.writerow(report_cols)
            cw.writerow(["report_id", "format", "code", "value", "raw"])
            for report, cells in archive.iter_report_cells():
                rw.writerow([report[c] for c in report_cols])
                fmt = report.get("format")
                cw.writerows([report["id"], fmt, c.code, c.value, c.raw] for c in cells)
                unknown.update((fmt, c.code) for c in cells if c.table is None)
                stats.reports += 1
                stats.rows += len(cells)
                progress.advance()
        with (tmp / "findings.csv").open("w", encoding="utf-8", newline="") as ff:
            fw = csv.writer(ff, lineterminator="\n")
            fw.writerow(["report_id", "rule", "detail"])
            fw.writerows(archive.iter_findings())
        with (tmp / "cell_labels.csv").open("w", encoding="utf-8", newline="") as lf:
            lw = csv.writer(lf, lineterminator="\n")
            lw.writerow(["format", "code", "table", "row_label", "col_label", "kind"])
            lw.writerows((c.format, c.code, c.table, c.row_label, c.col_label, c.kind) for c in spec.all_cells())
            lw.writerows((fmt, code, "", "", "", "") for fmt, code in sorted(unknown))
        for table in extra_tables(archive):
            _write_extra(archive, table, tmp / f"{table}.csv")
        (tmp / "datapackage.json").write_text(json.dumps(desc, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
    stats.files = [target / "datapackage.json"]
    return stats
