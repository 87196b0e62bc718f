"""Reading an archive for export: filters as SQL parameters, rows as streams.

Why streams: an archive of every body in a province for ten years holds millions of cells, and an
export must run in flat memory. Everything here iterates a cursor (SQLite steps through the
B-tree; nothing is fetched whole) and groups cells per report on the fly, relying on the archive
returning rows ordered by report id.

Filters never build SQL from values: the WHERE clause is assembled from fixed fragments and every
user value travels as a ``?`` parameter.
"""
from __future__ import annotations

import operator
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

from . import labels

#: Report columns exported when the archive has them, in this order (see data/export_columns.csv).
REPORT_COLUMNS = tuple(c.name for c in labels.columns("reports"))
#: Report columns repeated on every row of the long (one row per cell) layouts.
LONG_REPORT_COLUMNS = ("report_id", "agency", "report_year", "format", "region", "level")


class ExportError(Exception):
    """A problem the user can fix (missing archive, bad filter); printed without a traceback."""


def parse_years(values: Iterable[str]) -> tuple[int, ...]:
    """``2021``, ``2019-2021`` and comma lists, possibly repeated -> sorted distinct years."""
    years: set[int] = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                if "-" in part:
                    lo, hi = (int(x) for x in part.split("-", 1))
                    if hi < lo or hi - lo > 200:
                        raise ValueError
                    years.update(range(lo, hi + 1))
                else:
                    years.add(int(part))
            except ValueError:
                raise ExportError(f"not a year or year range: {part!r}") from None
    return tuple(sorted(years))


def split_values(values: Iterable[str] | None) -> tuple[str, ...]:
    """Repeated and comma-separated option values -> distinct stripped values, order kept."""
    out: dict[str, None] = {}
    for value in values or ():
        for part in str(value).split(","):
            if part.strip():
                out.setdefault(part.strip(), None)
    return tuple(out)


@dataclass(frozen=True)
class ExportFilter:
    """Which reports to export. Empty tuples mean "no restriction".

    ``agencies`` match as substrings of the agency name (``洪泽区`` finds ``淮安市洪泽区人民政府``);
    ``regions`` match as prefixes of the region (``江苏省`` finds ``江苏省淮安市洪泽区``).
    """
    years: tuple[int, ...] = ()
    formats: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def where(self, expressions: dict[str, str], alias: str = "r") -> tuple[str, list[Any]]:
        """A WHERE clause over the reports table (aliased ``r``) and its parameters.

        ``expressions`` maps a report column to the SQL that reads it (see ``column_expressions``);
        they come from the schema, never from the user.
        """
        clauses: list[str] = []
        params: list[Any] = []

        def any_of(fragment: str, values: Iterable[Any], per_value: int = 1) -> None:
            values = list(values)
            clauses.append("(" + " OR ".join([fragment] * len(values)) + ")")
            for v in values:
                params.extend([v] * per_value)

        if self.years:
            any_of(f"{alias}.report_year = ?", self.years)
        if self.formats:
            any_of(f"{alias}.format = ?", self.formats)
        if self.agencies:
            any_of(f"instr({alias}.agency, ?) > 0", self.agencies)
        if self.regions:
            if "region" not in expressions:
                raise ExportError("this archive records no region for its reports (reports.region); "
                                  "filter by --agency instead")
            region = expressions["region"]
            any_of(f"substr({region}, 1, length(?)) = ?", self.regions, per_value=2)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def describe(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in (("years", self.years), ("formats", self.formats),
                                         ("agencies", self.agencies), ("regions", self.regions)) if v}


def connect_readonly(db_path: str | Path) -> sqlite3.Connection:
    """Open an archive read-only (an export must never change what it reads)."""
    path = Path(db_path)
    if not path.is_file():
        raise ExportError(f"no archive at {path} (set --db or NIANBAO_DB)")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = None
    missing = {"reports", "cells", "findings"} - table_names(conn)
    if missing:
        conn.close()
        raise ExportError(f"{path} is not a nianbao archive: no table(s) {', '.join(sorted(missing))}")
    return conn


def table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (table,))]


#: report facts that older archives keep only inside the extraction's ``reports.meta`` JSON
META_FALLBACK_COLUMNS = ("region", "level", "body_id")


#: the agency-identity view (agencies/quality.py): report_id -> body_id, region, level
IDENTITY_VIEW = "report_identity"


def column_expressions(conn: sqlite3.Connection) -> dict[str, str]:
    """Exported report column -> SQL reading it from ``reports r``, for what this archive has.

    A column of ``reports`` is read as is. Region, level and body id come from the agency-identity
    view when ``scrapy agencies`` has resolved the bodies (the strongest evidence), else from the
    extraction's ``meta`` JSON.
    """
    present = set(table_columns(conn, "reports"))
    identity = set(table_columns(conn, IDENTITY_VIEW)) if IDENTITY_VIEW in table_names(conn) else set()
    out: dict[str, str] = {}
    for name in REPORT_COLUMNS:
        if name in present:
            out[name] = f"r.{name}"
        elif name in META_FALLBACK_COLUMNS and name in identity and "report_id" in identity:
            fallback = f"json_extract(r.meta, '$.{name}')" if "meta" in present else "NULL"
            out[name] = (f"coalesce((SELECT i.{name} FROM {IDENTITY_VIEW} i WHERE i.report_id = r.id "
                         f"LIMIT 1), {fallback})")
        elif name in META_FALLBACK_COLUMNS and "meta" in present:
            out[name] = f"json_extract(r.meta, '$.{name}')"
    return out


@dataclass
class Archive:
    """An open archive plus what its schema offers (columns vary as the project grows)."""
    conn: sqlite3.Connection
    filter: ExportFilter = field(default_factory=ExportFilter)

    def __post_init__(self) -> None:
        self.expressions = column_expressions(self.conn)
        self.report_columns: tuple[str, ...] = tuple(self.expressions)
        self.long_report_columns: tuple[str, ...] = tuple(
            c for c in LONG_REPORT_COLUMNS if c == "report_id" or c in self.expressions)
        self._where, self._params = self.filter.where(self.expressions)

    @classmethod
    def open(cls, db_path: str | Path, filt: ExportFilter | None = None) -> "Archive":
        return cls(connect_readonly(db_path), filt or ExportFilter())

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def where_sql(self, extra: str = "") -> tuple[str, list[Any]]:
        """The filter's WHERE clause over ``reports r`` (plus a fixed ``extra`` condition) and params."""
        where, params = self._where, list(self._params)
        if extra:
            where = (where + " AND " if where else " WHERE ") + extra
        return where, params

    # ------------------------------------------------------------------ counts
    def count_reports(self) -> int:
        return self.conn.execute(f"SELECT count(*) FROM reports r{self._where}", self._params).fetchone()[0]

    def count_cells(self) -> int:
        sql = f"SELECT count(*) FROM reports r JOIN cells c ON c.report_id = r.id{self._where}"
        return self.conn.execute(sql, self._params).fetchone()[0]

    # ------------------------------------------------------------------ streams
    def iter_reports(self) -> Iterator[dict[str, Any]]:
        cols = ", ".join(self.expressions.values())
        cur = self.conn.execute(f"SELECT {cols} FROM reports r{self._where} ORDER BY r.id", self._params)
        names = self.report_columns
        for row in cur:
            yield dict(zip(names, row))

    def iter_report_cells(self) -> Iterator[tuple[dict[str, Any], list["CellRow"]]]:
        """(report, its cells in printed order) for every selected report, reports without cells too.

        The hot loop of every export. Two cursors both ordered by report id are merged: the report
        rows (once per report) and the narrow cell rows (id, code, value, raw) — joining the report
        columns onto every cell row would decode each title and URL two hundred times. Labels come
        from a per-(format, code) cache, so a cell costs a dict lookup and a tuple.
        """
        sql = (f"SELECT r.id, c.code, c.value, c.raw FROM reports r "
               f"JOIN cells c ON c.report_id = r.id{self._where} ORDER BY r.id")
        cell_rows = self.conn.execute(sql, self._params)
        info = _cell_info
        make = tuple.__new__
        pending = next(cell_rows, None)
        for report in self.iter_reports():
            rid = report["id"]
            fmt = report.get("format")
            cells: list[CellRow] = []
            while pending is not None and pending[0] < rid:  # cannot happen with one snapshot; be safe
                pending = next(cell_rows, None)
            while pending is not None and pending[0] == rid:
                _, code, value, raw = pending
                meta = info.get((fmt, code)) or _cell_meta(fmt, code)
                if meta[5] and value.__class__ is float and value.is_integer():
                    value = int(value)  # a count stored as REAL is still a count
                cells.append(make(CellRow, (code, meta[1], meta[2], meta[3], meta[4], value, raw, meta[0])))
                pending = next(cell_rows, None)
            cells.sort(key=_order_key)
            yield report, cells

    def iter_findings(self) -> Iterator[tuple[int, str, str | None]]:
        """(report_id, rule, detail) of the selected reports, ordered by report id."""
        sql = (f"SELECT f.report_id, f.rule, f.detail FROM reports r "
               f"JOIN findings f ON f.report_id = r.id{self._where} ORDER BY r.id, f.rowid")
        yield from self.conn.execute(sql, self._params)

    def iter_reports_with_findings(self) -> Iterator[tuple[dict[str, Any], list["CellRow"], list[dict]]]:
        """Merge-join of the report/cell stream and the findings stream (both ordered by report id)."""
        findings = self.iter_findings()
        pending = next(findings, None)
        for report, cells in self.iter_report_cells():
            rid = report["id"]
            mine: list[dict] = []
            while pending is not None and pending[0] < rid:
                pending = next(findings, None)
            while pending is not None and pending[0] == rid:
                mine.append({"rule": pending[1], "detail": pending[2]})
                pending = next(findings, None)
            yield report, cells, mine


class CellRow(NamedTuple):
    """One cell, its fields in the long layout's column order (``row[:7]`` is the CSV row tail)."""
    code: str
    table: int | None
    row_label: str
    col_label: str
    kind: str
    value: int | float | None
    raw: str | None
    order: int


#: (format, code) -> (order, table, row_label, col_label, kind, integral)
_cell_info: dict[tuple[Any, str], tuple] = {}


def _cell_meta(fmt: str | None, code: str) -> tuple:
    order = labels.code_order()
    spec_cell = labels.cell_label(fmt, code)
    if spec_cell is None:  # a code the spec does not know (a newer extractor): keep it, unlabelled
        meta = (len(order), None, "", "", "", False)
    else:
        meta = (order.get(code, len(order)), spec_cell.table, spec_cell.row_label, spec_cell.col_label,
                spec_cell.kind, spec_cell.kind != "amount_wan_yuan")
    _cell_info[(fmt, code)] = meta
    return meta


_order_key = operator.itemgetter(7)  # CellRow.order
