"""Shared by the export tests: a small real-shaped archive and what the database says it holds."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from exporting import synthetic

#: how the archive keeps a report's region (archive.db has no column: the extraction's meta JSON)
REGION = "json_extract(r.meta, '$.region')"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
N_SYNTHETIC = 60


def build_archive(path: Path) -> Path:
    """Synthetic reports from the gold shapes, plus the awkward cases an export must carry."""
    synthetic.build(path, CORPUS, N_SYNTHETIC)
    conn = sqlite3.connect(path)
    with conn:
        # a pre-2019 report: no cells at all, must still be in the report-level exports
        conn.execute("INSERT INTO reports (id, url, title, agency, report_year, format, meta, status, version) "
                     "VALUES (1000, 'https://example.invalid/old.html', '2017年报', '旧县人民政府', 2017, 'pre2019', "
                     "'{\"region\": \"江苏省旧市旧县\", \"level\": \"county\"}', 'current', 1)")
        # a report whose printed cells are odd: a null with its raw text, a count stored as REAL,
        # a comma and a quote and a newline in raw text, and a code the spec does not know
        conn.execute("INSERT INTO reports (id, url, title, agency, report_year, format, meta, status, version) "
                     "VALUES (1001, 'https://example.invalid/odd.html', '奇怪的报告', '测试局', 2023, '2021', "
                     "'{\"region\": \"上海市\", \"level\": \"department\"}', 'gone', 2)")
        conn.executemany("INSERT INTO cells (report_id, code, value, raw) VALUES (?, ?, ?, ?)", [
            (1001, "t3.new.total", 12.0, "1,2"),
            (1001, "t3.new.natural", None, "—"),
            (1001, "t2.fees.amount", 2596.4955, "2596.4955万元"),
            (1001, "t3.granted.total", 3, 'say "3"\nthree'),
            (1001, "t9.future.cell", 7, "7"),
        ])
        conn.execute("INSERT INTO findings (report_id, rule, detail) VALUES (1001, 't3.row_total', 'detail, with comma')")
    conn.close()
    return path


def db_cells(path: Path, where: str = "", params: tuple = ()) -> dict[tuple[int, str], tuple]:
    conn = sqlite3.connect(path)
    try:
        return {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(
            "SELECT c.report_id, c.code, c.value, c.raw FROM cells c JOIN reports r ON r.id = c.report_id" + where,
            params)}
    finally:
        conn.close()


def db_report_ids(path: Path, where: str = "", params: tuple = ()) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT r.id FROM reports r" + where, params)}
    finally:
        conn.close()


def db_findings(path: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT report_id, rule, detail FROM findings"))
    finally:
        conn.close()


def as_number(text: str) -> float | None:
    return None if text == "" else float(text)


def frictionless_validate(descriptor: Path) -> subprocess.CompletedProcess:
    """The real ``frictionless validate`` CLI on a data package, JSON report on stdout."""
    return subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(descriptor)],
                          capture_output=True, text=True, timeout=300)
