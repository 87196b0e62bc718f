"""Bodies and cross-report findings in the archive database (sqlite-utils).

Why separate tables rather than columns on ``reports``: the archive module owns ``reports`` and
rewrites rows on re-extraction; identities and cross-findings are recomputed over the whole
archive at once (``scrapy agencies``), so they live in tables this module replaces as a unit,
inside one transaction — a failed run leaves the previous results in place.

Tables: ``bodies``, ``body_names``, ``report_body``, ``body_years``, ``cross_findings``,
``format_cells``, ``agencies_meta``; views ``findings_all`` (arithmetic + cross findings, same
columns) and ``body_quality`` (see :mod:`agencies.quality`).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from extraction import spec

from . import crosscheck, identity, overrides
from .crosscheck import FamilyFactor, ReportData
from .identity import ReportRef, Resolution

TABLES: dict[str, tuple[dict[str, type], dict[str, Any]]] = {
    "bodies": ({"id": str, "name": str, "region": str, "region_code": str, "level": str,
                "region_level": str, "org_codes": str, "first_year": int, "last_year": int,
                "n_reports": int, "n_years": int, "evidence": str}, {"pk": "id"}),
    "body_names": ({"body_id": str, "name": str, "source": str, "years": str, "first_year": int,
                    "last_year": int}, {"pk": ("body_id", "name", "source")}),
    "report_body": ({"report_id": int, "body_id": str, "stable_key": str, "name_key": str,
                     "org_code": str, "is_current": int}, {"pk": "report_id"}),
    "body_years": ({"body_id": str, "year": int, "status": str, "n_reports": int,
                    "current_report_id": int}, {"pk": ("body_id", "year")}),
    "cross_findings": ({"id": int, "report_id": int, "body_id": str, "year": int, "rule": str,
                        "detail": str, "data": str}, {"pk": "id"}),
    "format_cells": ({"format": str, "expected": int}, {"pk": "format"}),
    "agencies_meta": ({"key": str, "value": str}, {"pk": "key"}),
}
INDEXES = [("report_body", ["body_id"]), ("cross_findings", ["report_id"]),
           ("cross_findings", ["body_id", "year"]), ("body_names", ["name"])]


def _db(db: sqlite_utils.Database | str | Path) -> sqlite_utils.Database:
    if isinstance(db, sqlite_utils.Database):
        return db
    d = sqlite_utils.Database(db)
    # a crawl may be writing the archive: wait for its transaction instead of failing
    d.execute("PRAGMA busy_timeout = 60000")
    return d


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create this module's tables and views if missing; never touches the archive's tables."""
    from . import quality

    for name, (cols, opts) in TABLES.items():
        if not db[name].exists():
            db[name].create(cols, **opts)
    for table, cols in INDEXES:
        db[table].create_index(cols, if_not_exists=True)
    for name, sql in quality.views(db).items():
        db.create_view(name, sql, replace=True)


# ---------------------------------------------------------------- reading the archive
@dataclass
class ArchiveReport:
    ref: ReportRef
    data: ReportData


def _col(row: dict[str, Any], *names: str) -> Any:
    for n in names:
        if row.get(n) not in (None, ""):
            return row[n]
    return None


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    try:
        m = json.loads(row.get("meta") or "{}")
    except (TypeError, ValueError):
        return {}
    return m if isinstance(m, dict) else {}


def read_reports(db: sqlite_utils.Database) -> list[ArchiveReport]:
    """Every report with its cells and number of findings; columns the archive lacks are None."""
    if not db["reports"].exists():
        return []
    cells: dict[Any, dict[str, Any]] = defaultdict(dict)
    if db["cells"].exists():
        for rid, code, value in db.execute("SELECT report_id, code, value FROM cells"):
            cells[rid][code] = value
    nfind: dict[Any, int] = {}
    if db["findings"].exists():
        nfind = dict(db.execute("SELECT report_id, COUNT(*) FROM findings GROUP BY report_id").fetchall())
    out = []
    for row in db.query("SELECT * FROM reports ORDER BY id"):
        if row.get("format") in ("not_a_report",):
            continue
        meta = _meta(row)
        year = _col(row, "report_year")
        ref = ReportRef(
            id=row["id"], year=int(year) if year is not None else None,
            agency=_col(row, "agency") or meta.get("agency"), title=_col(row, "title") or meta.get("title"),
            publisher=_col(row, "publisher") or meta.get("publisher"),
            index_no=_col(row, "index_no") or meta.get("index_no"),
            url=_col(row, "page_url", "url"), column=_col(row, "listed_on", "column"),
            portal=_col(row, "portal"), sha256=_col(row, "sha256"), format=_col(row, "format"),
            published=_col(row, "published") or meta.get("published"),
            attachment_of=_col(row, "attachment_of"),
        )
        data = ReportData(
            id=row["id"], year=ref.year, format=ref.format, cells=cells.get(row["id"], {}),
            published=ref.published, sha256=ref.sha256, url=_col(row, "url"),
            attachment_of=ref.attachment_of, n_findings=nfind.get(row["id"], 0), status=_col(row, "status"),
        )
        out.append(ArchiveReport(ref, data))
    return out


def previous_ids(db: sqlite_utils.Database) -> dict[str, str]:
    if not db["report_body"].exists():
        return {}
    return {k: b for k, b in db.execute("SELECT stable_key, body_id FROM report_body") if k}


# ---------------------------------------------------------------- one full run
@dataclass
class RunResult:
    resolution: Resolution
    checks: list[crosscheck.BodyCheck]
    factors: dict[str, FamilyFactor]
    n_reports: int

    @property
    def findings(self) -> list[crosscheck.CrossFinding]:
        return [f for c in self.checks for f in c.findings]


def compute(db: sqlite_utils.Database | str | Path, overrides_path: str | Path | None = None,
            keep_ids: bool = True) -> RunResult:
    """(Re)compute identities and cross-checks for the whole archive and store them."""
    db = _db(db)
    reports = read_reports(db)
    ovr = overrides.load(overrides_path)
    res = identity.resolve([r.ref for r in reports], ovr, previous_ids(db) if keep_ids else None)
    by_body: dict[str, list[ReportData]] = defaultdict(list)
    for r in reports:
        by_body[res.report_body[r.ref.id]].append(r.data)
    checks, factors = crosscheck.check_all(by_body)
    result = RunResult(res, checks, factors, len(reports))
    write(db, result)
    return result


def _insert(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain executemany, so that every write of a run shares one transaction (sqlite-utils'
    insert_all commits on its own)."""
    cols = list(TABLES[table][0])
    sql = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
    db.conn.executemany(sql, [[r.get(c) for c in cols] for r in rows])


def write(db: sqlite_utils.Database, result: RunResult) -> None:
    res = result.resolution
    ensure_schema(db)
    current = {rid for c in result.checks for rid in c.current.values()}
    with db.conn:
        for name in ("bodies", "body_names", "report_body", "body_years", "cross_findings", "format_cells"):
            db.execute(f"DELETE FROM [{name}]")
        _insert(db, "format_cells", [{"format": f, "expected": len(spec.codes(f))} for f in spec.FORMATS])
        rows, names, links = [], [], []
        for b in res.bodies.values():
            years = b.years
            rows.append({"id": b.id, "name": b.name, "region": b.region, "region_code": b.region_code,
                         "level": b.level, "region_level": b.region_level,
                         "org_codes": json.dumps(b.org_codes), "first_year": years[0] if years else None,
                         "last_year": years[-1] if years else None, "n_reports": len(b.report_ids),
                         "n_years": len(years), "evidence": json.dumps(b.evidence, ensure_ascii=False)})
            for (name, source), ys in sorted(b.names.items()):
                ys = sorted(ys)
                names.append({"body_id": b.id, "name": name, "source": source,
                              "years": ",".join(map(str, ys)), "first_year": ys[0] if ys else None,
                              "last_year": ys[-1] if ys else None})
        for rid, bid in res.report_body.items():
            r = res.resolved[rid]
            links.append({"report_id": rid, "body_id": bid, "stable_key": r.ref.stable_key,
                          "name_key": r.name_key, "org_code": r.org_code, "is_current": int(rid in current)})
        _insert(db, "bodies", rows)
        _insert(db, "body_names", names)
        _insert(db, "report_body", links)
        years_rows = []
        for c in result.checks:
            n_by_year: dict[int, int] = defaultdict(int)
            for rid in res.bodies[c.body_id].report_ids:
                y = res.resolved[rid].ref.year
                if y is not None:
                    n_by_year[y] += 1
            for y, rid in c.current.items():
                years_rows.append({"body_id": c.body_id, "year": y, "status": "present",
                                   "n_reports": n_by_year[y], "current_report_id": rid})
            for y in c.missing:
                years_rows.append({"body_id": c.body_id, "year": y, "status": "missing",
                                   "n_reports": 0, "current_report_id": None})
            # reports whose year nobody could read still belong in the quality view
            undated = [rid for rid in res.bodies[c.body_id].report_ids if res.resolved[rid].ref.year is None]
            if undated:
                years_rows.append({"body_id": c.body_id, "year": None, "status": "year_unknown",
                                   "n_reports": len(undated), "current_report_id": undated[0]})
        _insert(db, "body_years", years_rows)
        _insert(db, "cross_findings", [{"report_id": f.report_id, "body_id": f.body_id, "year": f.year, "rule": f.rule,
              "detail": f.detail, "data": json.dumps(f.data, ensure_ascii=False, default=str)}
             for f in result.findings])
        db.execute("DELETE FROM agencies_meta WHERE key IN ('computed_at', 'jump_factors')")
        _insert(db, "agencies_meta", [
            {"key": "computed_at", "value": datetime.now(timezone.utc).isoformat(timespec="seconds")},
            {"key": "jump_factors", "value": json.dumps(
                {k: vars(v) for k, v in result.factors.items()}, ensure_ascii=False)},
        ])
