"""Datasette on the archive: the labels it joins, the views it facets, the metadata it shows.

Why prepare the archive: Datasette serves the file read-only and plugin-free, so whatever a page
or canned query joins must be in the same file. ``prepare()`` writes (idempotently, in one short
transaction) the spec's ``cell_labels`` table and two views — ``cells_labelled`` and
``report_overview`` — then the server opens the file immutable. The metadata (Chinese and English
titles, facets, canned queries) lives in ``data/datasette/metadata.json``; ``metadata()`` fits it
to the schema this archive actually has (facets only on existing columns, a query variant that
works without the crawl-history tables).
"""
from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

from extraction import spec

from . import labels
from .query import ExportError, column_expressions, table_columns, table_names

METADATA_TEMPLATE = spec.DATA_DIR / "datasette" / "metadata.json"
ARCHIVE_KEY = "@archive"


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (its stem)."""
    return Path(db_path).stem


def _views(conn: sqlite3.Connection) -> dict[str, str]:
    expr = column_expressions(conn)
    region = expr.get("region", "NULL")
    level = expr.get("level", "NULL")
    status = expr.get("status", "NULL")
    return {
        "cells_labelled": (
            "SELECT c.report_id, r.agency, r.report_year, r.format, c.code, l.\"table\", l.row_label, "
            "l.col_label, c.value, c.raw FROM cells c JOIN reports r ON r.id = c.report_id "
            "LEFT JOIN cell_labels l ON l.format = r.format AND l.code = c.code"),
        "report_overview": (
            f"SELECT r.id, r.agency, r.report_year, r.format, {region} AS region, {level} AS level, "
            f"{status} AS status, r.title, r.url, "
            "(SELECT count(*) FROM findings f WHERE f.report_id = r.id) AS findings FROM reports r"),
    }


def prepare(db_path: str | Path) -> None:
    """Write ``cell_labels`` and the views into the archive (needs write access once)."""
    path = Path(db_path)
    if not path.is_file():
        raise ExportError(f"no archive at {path} (set --db or NIANBAO_DB)")
    try:
        conn = sqlite3.connect(path, timeout=30)
    except sqlite3.Error as exc:
        raise ExportError(f"cannot open {path}: {exc}") from exc
    try:
        if not {"reports", "cells", "findings"} <= table_names(conn):
            raise ExportError(f"{path} is not a nianbao archive (no reports/cells/findings tables)")
        labels.ensure_cell_labels(conn)
        with conn:
            for name, sql in _views(conn).items():
                conn.execute(f"DROP VIEW IF EXISTS {name}")
                conn.execute(f"CREATE VIEW {name} AS {sql}")
        # immutable mode ignores the -wal file: fold it into the database first
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        raise ExportError(f"cannot add the label table to {path} ({exc}); serve a writable copy") from exc
    finally:
        conn.close()


def metadata(db_path: str | Path) -> dict[str, Any]:
    """The metadata template fitted to this archive's schema and file name."""
    template = json.loads(labels._read_data_file(METADATA_TEMPLATE))
    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = table_names(conn)
        columns = {t: set(table_columns(conn, t)) for t in tables}
    finally:
        conn.close()
    meta = copy.deepcopy(template)
    db_meta = meta["databases"].pop(ARCHIVE_KEY)
    for table in list(db_meta["tables"]):
        if table not in tables:
            del db_meta["tables"][table]
            continue
        t = db_meta["tables"][table]
        t["facets"] = [f for f in t.get("facets", []) if f in columns[table]]
        if t.get("sort_desc") not in columns[table]:
            t.pop("sort_desc", None)
        if t.get("label_column") not in columns[table]:
            t.pop("label_column", None)
        described = {c.name: f"{c.label_zh} · {c.label_en}: {c.description_en}"
                     for group in ("reports", "cells", "findings") if group == table or
                     (table, group) in (("cells_labelled", "cells"), ("report_overview", "reports"))
                     for c in labels.columns(group)}
        cols = {c: d for c, d in described.items() if c in columns[table]}
        if cols:
            t["columns"] = cols
    def has(requires: dict[str, list[str]]) -> bool:
        return all(t in tables and set(cols) <= columns[t] for t, cols in requires.items())

    for name, query in list(db_meta["queries"].items()):
        requires = query.pop("x-requires", {})
        fallback = query.pop("x-fallback-sql", None)
        when = query.pop("x-when", None)
        if not has(requires):
            if fallback is None:
                del db_meta["queries"][name]
                continue
            query["sql"] = fallback
        if when and has(when["requires"]):
            for old, new in when["replace"].items():
                query["sql"] = query["sql"].replace(old, new)
    _add_agency_queries(db_meta, tables)
    meta["databases"][database_name(db_path)] = db_meta
    return meta


def _add_agency_queries(db_meta: dict[str, Any], tables: set[str]) -> None:
    """The agency-identity module's canned queries (data quality per body ...), once it has run."""
    try:
        from agencies import quality
    except ImportError:
        return
    if getattr(quality, "VIEW", None) not in tables:
        return
    for name, query in getattr(quality, "CANNED_QUERIES", {}).items():
        db_meta["queries"].setdefault(name, copy.deepcopy(query))
