"""The data-quality view: per body and year, which reports exist, their findings, a score.

Why a SQL view: the same numbers must appear in Datasette (a canned query), in the exports and
on the command line; a view computes them in one place from the stored tables, so a re-extracted
report's findings show up without recomputing anything but ``scrapy agencies``.

Score (0–100) of a body-year, deliberately simple so a reader can redo it by hand:
``100 × completeness − 10 × arithmetic findings − 10 × cross findings − 2 × other findings``,
clamped to [0, 100]; completeness = non-null cells / the format's statutory cells (1 for
``pre2019`` reports, which have no tables); a missing year scores 0. Arithmetic findings are
those of the spec's rules (``t3.*``, ``t4.*``); other findings (``layout_hybrid``,
``unit_assumed`` …) are notes about the document, weighed lightly. Reports whose year could not
be read appear once per body with status ``year_unknown`` and a NULL year.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils

VIEW = "body_quality"
WEIGHTS = {"arith": 10, "cross": 10, "note": 2}

_QUALITY_SQL = """
WITH cell_counts AS (
    SELECT report_id, COUNT(value) AS n_cells FROM cells GROUP BY report_id
), report_findings AS (
    SELECT report_id,
           SUM(CASE WHEN rule LIKE 't3.%' OR rule LIKE 't4.%' THEN 1 ELSE 0 END) AS n_arith,
           SUM(CASE WHEN rule LIKE 't3.%' OR rule LIKE 't4.%' THEN 0 ELSE 1 END) AS n_notes,
           group_concat(rule, ' ') AS rules
    FROM findings GROUP BY report_id
), year_cross AS (
    SELECT body_id, year, COUNT(*) AS n_cross, group_concat(rule, ' ') AS cross_rules
    FROM cross_findings GROUP BY body_id, year
), scored AS (
    SELECT y.body_id, b.name AS body, b.region, b.level, y.year, y.status, y.n_reports,
           y.current_report_id AS report_id, r.format, r.title, {url} AS url,
           COALESCE(cc.n_cells, 0) AS n_cells, fc.expected AS expected_cells,
           COALESCE(rf.n_arith, 0) AS n_arith_findings, COALESCE(rf.n_notes, 0) AS n_other_findings,
           COALESCE(xc.n_cross, 0) AS n_cross_findings,
           TRIM(COALESCE(rf.rules, '') || ' ' || COALESCE(xc.cross_rules, '')) AS findings,
           CASE
             WHEN y.status = 'missing' THEN 0.0
             WHEN fc.expected IS NULL THEN 1.0
             ELSE MIN(1.0, COALESCE(cc.n_cells, 0) * 1.0 / fc.expected)
           END AS completeness
    FROM body_years y
    JOIN bodies b ON b.id = y.body_id
    LEFT JOIN reports r ON r.id = y.current_report_id
    LEFT JOIN format_cells fc ON fc.format = r.format
    LEFT JOIN cell_counts cc ON cc.report_id = y.current_report_id
    LEFT JOIN report_findings rf ON rf.report_id = y.current_report_id
    LEFT JOIN year_cross xc ON xc.body_id = y.body_id AND xc.year = y.year
)
SELECT *, CASE WHEN status = 'missing' THEN 0 ELSE
       MAX(0, MIN(100, CAST(ROUND(100 * completeness - {arith} * n_arith_findings
                                  - {cross} * n_cross_findings - {note} * n_other_findings) AS INTEGER)))
       END AS score
FROM scored
ORDER BY body_id, year
"""

_FINDINGS_ALL_SQL = """
SELECT report_id, rule, detail, 'report' AS scope FROM findings
UNION ALL
SELECT report_id, rule, detail, 'cross' AS scope FROM cross_findings
"""

_REPORT_IDENTITY_SQL = """
SELECT rb.report_id, rb.body_id, b.name AS body, b.region, b.level, b.region_level,
       rb.org_code, rb.is_current
FROM report_body rb JOIN bodies b ON b.id = rb.body_id
"""

#: For Datasette's metadata (``databases.<db>.queries``): the view, filterable by body and score.
CANNED_QUERIES = {
    "body_quality": {
        "title": "Data quality per body and year",
        "sql": "SELECT * FROM body_quality WHERE (:body = '' OR body LIKE '%' || :body || '%') "
               "AND score <= CAST(COALESCE(NULLIF(:max_score, ''), '100') AS INTEGER) "
               "ORDER BY score, body_id, year",
        "params": ["body", "max_score"],
        "description": "Which reports exist per body and year, their findings and a 0-100 score "
                       "(100 x completeness - 10 per arithmetic or cross finding - 2 per other finding).",
    },
    "cross_findings": {
        "title": "Findings across years (x.*)",
        "sql": "SELECT f.rule, b.name AS body, f.year, f.report_id, f.detail FROM cross_findings f "
               "JOIN bodies b ON b.id = f.body_id WHERE (:rule = '' OR f.rule = :rule) ORDER BY b.name, f.year",
        "params": ["rule"],
    },
    "body_names": {
        "title": "Every name a body was seen under",
        "sql": "SELECT b.id, b.name AS body, n.name, n.source, n.years FROM body_names n "
               "JOIN bodies b ON b.id = n.body_id ORDER BY b.id, n.first_year",
    },
}

#: Tables and views the exports should ship (in this order). ``report_identity`` gives every
#: report its body id, region and level (LEFT JOIN it on ``report_id``).
EXPORT_TABLES = ("bodies", "body_names", "report_identity", "body_years", "cross_findings", VIEW)


def datasette_metadata(database: str = "nianbao") -> dict[str, Any]:
    """The ``databases`` part of a Datasette metadata file with this module's canned queries."""
    return {"databases": {database: {"queries": CANNED_QUERIES}}}


def views(db: sqlite_utils.Database) -> dict[str, str]:
    """The view definitions, adapted to the archive's columns (``page_url`` if it has one)."""
    cols = set(db["reports"].columns_dict) if db["reports"].exists() else set()
    url = "COALESCE(r.page_url, r.url)" if "page_url" in cols else "r.url"
    if not db["findings"].exists():
        db["findings"].create({"report_id": int, "rule": str, "detail": str})
    if not db["cells"].exists():
        db["cells"].create({"report_id": int, "code": str, "value": float, "raw": str}, pk=("report_id", "code"))
    return {
        VIEW: _QUALITY_SQL.format(url=url, **WEIGHTS),
        "findings_all": _FINDINGS_ALL_SQL,
        "report_identity": _REPORT_IDENTITY_SQL,
    }


def rows(db: sqlite_utils.Database | str | Path, body: str | None = None) -> list[dict[str, Any]]:
    """The quality view as dicts (for exports and the command line); empty before a run."""
    d = db if isinstance(db, sqlite_utils.Database) else sqlite_utils.Database(db)
    if VIEW not in d.view_names():
        return []
    if body:
        return list(d.query(f"SELECT * FROM {VIEW} WHERE body_id = ? OR body LIKE ?", [body, f"%{body}%"]))
    return list(d.query(f"SELECT * FROM {VIEW}"))


def summary(db: sqlite_utils.Database | str | Path) -> dict[str, Any]:
    """Counts for a one-screen overview: bodies, body-years present/missing, mean score."""
    d = db if isinstance(db, sqlite_utils.Database) else sqlite_utils.Database(db)
    if VIEW not in d.view_names():
        return {}
    row = next(d.query(
        f"SELECT COUNT(DISTINCT body_id) AS bodies, SUM(status = 'present') AS present, "
        f"SUM(status = 'missing') AS missing, ROUND(AVG(score), 1) AS mean_score FROM {VIEW}"))
    return dict(row)


def export_csv(db: sqlite_utils.Database | str | Path, out_dir: str | Path) -> list[Path]:
    """Write every table/view of :data:`EXPORT_TABLES` as ``<name>.csv`` (UTF-8, header row);
    the function the exports can call to ship the body tables beside the cells."""
    import csv

    d = db if isinstance(db, sqlite_utils.Database) else sqlite_utils.Database(db)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in EXPORT_TABLES:
        if not (d[name].exists() or name in d.view_names()):
            continue
        cur = d.execute(f"SELECT * FROM [{name}]")
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c[0] for c in cur.description])
            w.writerows(cur)
        written.append(path)
    return written
