"""A real Datasette process (started by ``scrapy serve``) answers the canned queries correctly."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from extraction import spec
from export_helpers import build_archive
from processes import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent


def get_json(base: str, path: str, **params: str):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    db = build_archive(tmp_path_factory.mktemp("serve") / "archive.db")
    conn = sqlite3.connect(db)
    with conn:  # report 5 was corrected by its portal: version 2 and one changed cell
        conn.execute("UPDATE reports SET version = 2 WHERE id = 5")
        conn.execute("INSERT INTO cell_changes (report_id, from_version, to_version, code, old_value, new_value) "
                     "VALUES (5, 1, 2, 't3.new.total', 3, 4)")
    conn.close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "serve", "--db", str(db), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(base, "/-/versions.json")
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("datasette did not start: " + proc.stdout.read().decode(errors="replace"))
            time.sleep(0.3)
    yield base, db
    stop_process(proc)
    # the port is free again: the datasette child went with its parent
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


def query(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def canned(base: str, name: str, **params: str) -> list[dict]:
    return get_json(base, f"/archive/{name}.json", _shape="array", **params)


def test_served_immutable_with_titles(served):
    base, _ = served
    (db,) = [d for d in get_json(base, "/-/databases.json") if d["name"] == "archive"]
    assert db["is_mutable"] is False
    meta = get_json(base, "/-/metadata.json")
    assert "年度报告" in meta["title"] and "Annual reports" in meta["title"]
    with pytest.raises(urllib.error.HTTPError):
        get_json(base, "/archive.json", sql="DELETE FROM reports")


def test_body_years(served):
    base, db = served
    ((agency,),) = query(db, "SELECT agency FROM reports GROUP BY agency HAVING count(*) >= 2 ORDER BY agency LIMIT 1")
    rows = canned(base, "body_years", agency=agency)
    expected = query(db, "SELECT r.report_year, r.id, c.value FROM reports r LEFT JOIN cells c "
                         "ON c.report_id = r.id AND c.code = 't3.new.total' WHERE r.agency = ? "
                         "ORDER BY r.report_year, r.id", (agency,))
    assert [(r["report_year"], r["report_id"], r["new_applications"]) for r in rows] == expected
    denied = query(db, "SELECT sum(value) FROM cells WHERE report_id = ? AND code GLOB 't3.denied.*.total'",
                   (rows[0]["report_id"],))[0][0]
    assert rows[0]["denied"] == denied


def test_body_cells_carry_official_labels(served):
    base, db = served
    ((agency,),) = query(db, "SELECT agency FROM reports WHERE format = '2021' ORDER BY id LIMIT 1")
    rows = canned(base, "body_cells", agency=agency, code_prefix="t3.granted.")
    assert rows and all(r["code"].startswith("t3.granted.") for r in rows)
    natural = [r for r in rows if r["code"] == "t3.granted.natural"][0]
    label = spec.cell("2021", "t3.granted.natural")
    assert (natural["row_label"], natural["col_label"]) == (label.row_label, label.col_label)


def test_rule_breaks(served):
    base, db = served
    rows = canned(base, "rule_breaks")
    expected = query(db, "SELECT report_id, rule FROM findings WHERE rule IN "
                         "('t3.row_total', 't3.balance', 't3.outcome_sum', 't4.total')")
    assert sorted((r["report_id"], r["rule"]) for r in rows) == sorted(expected) and expected


def test_denial_reasons_across_bodies(served):
    base, db = served
    rows = canned(base, "denial_reasons", year="2023")
    expected = dict(query(db, "SELECT c.code, sum(c.value) FROM cells c JOIN reports r ON r.id = c.report_id "
                              "WHERE r.report_year = 2023 AND c.code GLOB 't3.denied.*.total' GROUP BY c.code"))
    assert {r["code"]: r["applications"] for r in rows} == expected
    assert all(r["report_year"] == 2023 for r in rows)
    one = next(r for r in rows if r["code"] == "t3.denied.third_party.total")
    assert one["reason"] == spec.cell("2021", "t3.denied.third_party.total").row_label
    all_years = canned(base, "denial_reasons", year="")
    assert {r["report_year"] for r in all_years} > {2023}


def test_changed_or_vanished(served):
    base, _ = served
    rows = canned(base, "changed_or_vanished")
    assert {(r["report_id"], r["status"]) for r in rows} == {(5, "current"), (1001, "gone")}
    assert next(r for r in rows if r["report_id"] == 5)["cells_changed"] == 1


def test_facets_on_year_format_level(served):
    base, db = served
    data = get_json(base, "/archive/report_overview.json")
    facets = data["facet_results"]
    facets = facets.get("results", facets)  # datasette 0.65 vs 1.0 shapes
    assert {"report_year", "format", "level"} <= set(facets)
    levels = {f["value"]: f["count"] for f in facets["level"]["results"]}
    expected = dict(query(db, "SELECT json_extract(meta, '$.level'), count(*) FROM reports GROUP BY 1"))
    assert levels == {k: v for k, v in expected.items() if k is not None}


def test_metadata_fits_a_minimum_archive(tmp_path):
    """Without the crawl-history columns, "changed or vanished" falls back to the captures."""
    from exporting import datasette as ds
    from exporting.synthetic import MINIMUM_SCHEMA
    db = tmp_path / "minimum.db"
    conn = sqlite3.connect(db)
    conn.executescript(MINIMUM_SCHEMA)
    conn.execute("ALTER TABLE reports DROP COLUMN status")
    conn.executemany("INSERT INTO reports (id, url, agency, report_year, format) VALUES (?, ?, '甲', 2023, '2021')",
                     [(1, "u1"), (2, "u2"), (3, "u3")])
    conn.executemany("INSERT INTO snapshots (sha256, content, size) VALUES (?, x'00', 1)", [("a",), ("b",)])
    conn.executemany("INSERT INTO captures (url, fetched_at, status, sha256) VALUES (?, ?, ?, ?)", [
        ("u1", "2024-01-01", 200, "a"), ("u1", "2025-01-01", 200, "b"),   # changed
        ("u2", "2024-01-01", 200, "a"), ("u2", "2025-01-01", 404, None),  # vanished
        ("u3", "2024-01-01", 200, "a"), ("u3", "2025-01-01", 200, "a"),   # unchanged
    ])
    conn.commit()
    conn.close()
    ds.prepare(db)
    meta = ds.metadata(db)["databases"]["minimum"]
    assert "status" not in meta["tables"]["reports"]["facets"]
    assert "x-requires" not in json.dumps(meta)
    sql = meta["queries"]["changed_or_vanished"]["sql"]
    assert [r[0] for r in query(db, sql)] == [1, 2]
    for name, q in meta["queries"].items():  # every canned query runs on this schema
        params = {p: "" for p in ("agency", "code_prefix", "year") if f":{p}" in q["sql"]}
        query(db, q["sql"], params)
