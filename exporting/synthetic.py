"""Synthetic archives built from the real gold shapes, for tests and the export benchmark.

Why from gold: a benchmark or a test on made-up tables would miss what real data looks like
(null cells, hybrid layouts, amounts with decimals, reports that break the arithmetic rules).
Each synthetic report copies one real report's cells scaled by a whole factor (sums stay sums,
so a rule holds or breaks exactly as in the real report) and, now and then, one cell nudged so
that the arithmetic rules fire; findings are what ``extraction.rules`` says about the result.

The schema comes from ``archive.db`` (the project's one owner of it); rows are bulk-inserted with
plain SQL because a benchmark archive of 100,000 reports must be built in seconds.
"""
from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from extraction import rules, spec

#: columns the synthetic archive fills in; added only to a schema that has no ``meta`` JSON to hold them
EXTRA_REPORT_COLUMNS = {"region": "TEXT", "level": "TEXT"}


@dataclass(frozen=True)
class Template:
    name: str
    format: str
    meta: dict[str, Any]
    cells: dict[str, int | float | None]
    findings: tuple[tuple[str, str], ...]


def load_templates(corpus: Path) -> list[Template]:
    """Every ``*/gold.json`` under ``corpus`` with statutory cells."""
    out = []
    for gold_path in sorted(corpus.glob("*/gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        fmt = gold["meta"].get("format")
        if fmt not in spec.FORMATS or not gold.get("cells"):
            continue
        cells = gold["cells"]
        found = tuple((f.rule, f.detail) for f in rules.check(cells))
        out.append(Template(gold_path.parent.name, fmt, gold["meta"], cells, found))
    if not out:
        raise FileNotFoundError(f"no gold.json with cells under {corpus}")
    return out


def _years(fmt: str) -> tuple[int, ...]:
    return (2019, 2020) if fmt == "2019" else (2021, 2022, 2023, 2024, 2025)


def _raw(value: int | float | None) -> str:
    if value is None:
        return "/"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return str(int(value))


def generate(templates: list[Template], n_reports: int, seed: int = 8,
             nudge_share: float = 0.05) -> Iterator[tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]]:
    """Yield (report row, cells, findings) for ``n_reports`` synthetic reports."""
    rng = random.Random(seed)
    for i in range(1, n_reports + 1):
        t = templates[i % len(templates)]
        body = (i // len(templates)) // 3  # a body reports for ~3 years
        years = _years(t.format)
        year = years[(i // len(templates)) % len(years)]
        factor = rng.randint(1, 4)
        cells: dict[str, Any] = {}
        for code, value in t.cells.items():
            if value is None:
                cells[code] = None
            elif spec.cell(t.format, code).kind == "amount_wan_yuan" or isinstance(value, float):
                cells[code] = round(value * factor, 4)
            else:
                cells[code] = int(value) * factor
        findings = list(t.findings)
        if rng.random() < nudge_share:
            code = rng.choice([c for c, v in cells.items() if isinstance(v, int) and c.startswith("t3.")])
            cells[code] += 1
            findings = [(f.rule, f.detail) for f in rules.check(cells)]
        agency = f"{t.meta['agency']}{body:05d}"
        url = f"https://example.invalid/{t.name}/{i}.html"
        report = {
            "id": i, "url": url, "page_url": url, "title": f"{agency}{year}年政府信息公开工作年度报告",
            "agency": agency, "report_year": year, "format": t.format,
            "sha256": hashlib.sha256(url.encode()).hexdigest(),
            "published": f"{year + 1}-01-{rng.randint(10, 31):02d}", "publisher": t.meta.get("publisher"),
            "index_no": t.meta.get("index_no"), "region": t.meta.get("region"), "level": t.meta.get("level"),
            "status": "current", "version": 1,
        }
        report["meta"] = json.dumps({k: report[k] for k in ("agency", "report_year", "title", "region", "level")},
                                    ensure_ascii=False)
        yield report, cells, findings


def create_schema(path: Path) -> sqlite3.Connection:
    """An empty archive at ``path`` with the project's schema (plus region/level if it lacks them)."""
    try:
        from archive.db import open_archive
    except ImportError:  # the archive module is not there: the spec's minimum schema
        conn = sqlite3.connect(path)
        conn.executescript(MINIMUM_SCHEMA)
    else:
        open_archive(path).close()
        conn = sqlite3.connect(path)
    have = {r[1] for r in conn.execute("PRAGMA table_info(reports)")}
    for col, typ in EXTRA_REPORT_COLUMNS.items():
        if col not in have and "meta" not in have:
            conn.execute(f"ALTER TABLE reports ADD COLUMN {col} {typ}")
    conn.commit()
    return conn


MINIMUM_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (sha256 TEXT PRIMARY KEY, content BLOB NOT NULL, content_encoding TEXT,
    content_type TEXT, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS captures (id INTEGER PRIMARY KEY, url TEXT, fetched_at TEXT, status INTEGER,
    sha256 TEXT REFERENCES snapshots(sha256), headers TEXT);
CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, url TEXT, page_url TEXT, title TEXT, agency TEXT,
    report_year INTEGER, format TEXT, sha256 TEXT, index_no TEXT, published TEXT, publisher TEXT,
    attachment_of TEXT, status TEXT, version INTEGER);
CREATE TABLE IF NOT EXISTS cells (report_id INTEGER REFERENCES reports(id), code TEXT, value REAL, raw TEXT,
    PRIMARY KEY (report_id, code));
CREATE TABLE IF NOT EXISTS findings (id INTEGER PRIMARY KEY, report_id INTEGER REFERENCES reports(id),
    rule TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS findings_report ON findings(report_id);
"""


def write_reports(conn: sqlite3.Connection, rows: Iterable[tuple[dict, dict, list]], batch: int = 2000) -> int:
    """Bulk-insert (report, cells, findings) rows; returns the number of reports written."""
    have = [r[1] for r in conn.execute("PRAGMA table_info(reports)")]
    conn.execute("PRAGMA synchronous = OFF")  # a throw-away archive: speed over durability
    n = 0
    pending: list[tuple[dict, dict, list]] = []

    def flush() -> None:
        if not pending:
            return
        cols = [c for c in pending[0][0] if c in have]
        with conn:
            conn.executemany(
                f"INSERT INTO reports ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [[r[c] for c in cols] for r, _, _ in pending])
            conn.executemany("INSERT INTO cells (report_id, code, value, raw) VALUES (?, ?, ?, ?)",
                             [(r["id"], code, v, _raw(v)) for r, cells, _ in pending for code, v in cells.items()])
            conn.executemany("INSERT INTO findings (report_id, rule, detail) VALUES (?, ?, ?)",
                             [(r["id"], rule, detail) for r, _, fs in pending for rule, detail in fs])
        pending.clear()

    for row in rows:
        pending.append(row)
        n += 1
        if len(pending) >= batch:
            flush()
    flush()
    return n


def build(path: Path, corpus: Path, n_reports: int, seed: int = 8) -> Path:
    """Create ``path`` holding ``n_reports`` synthetic reports built from ``corpus``'s gold files."""
    conn = create_schema(path)
    try:
        write_reports(conn, generate(load_templates(corpus), n_reports, seed))
    finally:
        conn.close()
    return path
