"""With bodies resolved (``scrapy agencies``), exports and Datasette use the identity: region, level,
body id per report, the identity/quality tables in the data package, body-id lookups in queries."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from exporting import ExportFilter, export
from exporting import datasette as ds
from export_helpers import build_archive, frictionless_validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    db = build_archive(tmp_path_factory.mktemp("agencies") / "archive.db")
    res = subprocess.run([sys.executable, "-m", "scrapy", "agencies", "--db", str(db)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return db


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def test_report_identity_fills_region_level_and_body(archive, tmp_path):
    export(archive, "jsonl", tmp_path / "r.jsonl")
    got = {o["id"]: (o["body_id"], o["region"], o["level"])
           for o in map(json.loads, (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines())}
    expected = {rid: (b, r, lv) for rid, b, r, lv in rows(archive, "SELECT report_id, body_id, region, level "
                                                                   "FROM report_identity")}
    assert expected and {k: got[k] for k in expected} == expected
    # the region filter follows the identity too
    region = next(r for _, r, _ in expected.values() if r and r.startswith("江苏省宿迁市"))
    export(archive, "jsonl", tmp_path / "f.jsonl", ExportFilter(regions=("江苏省宿迁市",)))
    ids = {json.loads(x)["id"] for x in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()}
    assert ids == {k for k, (_, r, _) in expected.items() if r and r.startswith("江苏省宿迁市")} and region


def test_datapackage_ships_identity_and_quality_tables(archive, tmp_path):
    out = tmp_path / "pkg"
    export(archive, "datapackage", out)
    names = [r["name"] for r in json.loads((out / "datapackage.json").read_text(encoding="utf-8"))["resources"]]
    assert {"bodies", "report_identity", "body_quality"} <= set(names)
    res = frictionless_validate(out / "datapackage.json")
    assert res.returncode == 0, res.stdout[-3000:]
    n_quality = rows(archive, "SELECT count(*) FROM body_quality")[0][0]
    assert len((out / "body_quality.csv").read_text(encoding="utf-8").splitlines()) == n_quality + 1


def test_datasette_queries_find_a_body_by_id(archive):
    ds.prepare(archive)
    meta = ds.metadata(archive)["databases"]["archive"]
    assert "body_quality" in meta["queries"]  # the agencies module's canned queries join ours
    assert "level" in meta["tables"]["report_overview"]["facets"]
    ((body_id, n),) = rows(archive, "SELECT body_id, count(*) FROM report_identity GROUP BY body_id "
                                    "ORDER BY count(*) DESC, body_id LIMIT 1")
    got = rows(archive, meta["queries"]["body_years"]["sql"], {"agency": body_id})
    assert len(got) == n
    overview = dict(rows(archive, "SELECT level, count(*) FROM report_overview GROUP BY level"))
    assert overview == dict(rows(archive, "SELECT i.level, count(*) FROM reports r LEFT JOIN report_identity i "
                                          "ON i.report_id = r.id GROUP BY i.level"))
