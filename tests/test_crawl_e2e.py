"""End to end: `scrapy demo` twice into one real SQLite file, checked against the portal's manifest.

The whole path runs in real processes: the bundled portal on 127.0.0.1, the spider, the
archive → extract → store pipelines. Asserted: the exact set of reports (none missed, no decoy
taken), each report's year and every cell equal to the gold values of its sample, every snapshot's
bytes hashing to its sha256 (attachments: to the bytes the server sent), and that a second run adds
captures but no duplicate reports or cells.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from processes import free_port

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
SITES = ("www.trs.demo.test", "www.hanweb.demo.test")
pytestmark = pytest.mark.slow


def demo(db: Path, port: int) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "demo", "-o", str(db), "--port", str(port)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def raw_bytes(content: bytes, encoding: str | None) -> bytes:
    if encoding is None:
        return content
    if encoding == "zstd":
        import zstandard
        return zstandard.ZstdDecompressor().decompressobj().decompress(content)
    if encoding == "gzip":
        return gzip.decompress(content)
    if encoding == "zlib":
        return zlib.decompress(content)
    raise AssertionError(f"unknown content_encoding {encoding}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    db, port = tmp / "demo.db", free_port()
    first = demo(db, port)
    con = sqlite3.connect(db)
    before = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("captures", "reports", "cells")}
    con.close()
    second = demo(db, port)
    manifest = json.loads(db.with_suffix(".manifest.json").read_text(encoding="utf-8"))
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    yield {"db": db, "con": con, "manifest": manifest, "before": before, "first": first, "second": second}
    con.close()


def test_summary_printed(runs):
    out = runs["first"].stdout
    assert "reports: 9 (the portal serves 9)" in out and "cells stored:" in out and "datasette" in out


def test_exact_set_of_reports(runs):
    con, m = runs["con"], runs["manifest"]
    expected = {r["url"]: r for r in m["reports"] if r["site"] in SITES}
    got = {row["page_url"]: row for row in con.execute("select * from reports")}
    assert set(got) == set(expected), f"missed {set(expected) - set(got)}; taken {set(got) - set(expected)}"
    for url, r in expected.items():
        if r["attachment"]:
            assert got[url]["url"] == r["attachment"] and got[url]["attachment_of"] == url


def test_report_years(runs):
    """Year as in the gold, also for a report listed under an unusual title (its year printed only
    in the body, its title broken over two lines under the page's own heading)."""
    con, m = runs["con"], runs["manifest"]
    for r in m["reports"]:
        if r["site"] not in SITES:
            continue
        (year,) = con.execute("select report_year from reports where page_url = ?", (r["url"],)).fetchone()
        assert year == r["report_year"], r["url"]


def test_bodies_refreshed_after_the_crawl(runs):
    """extensions.bodies regrouped the reports: both 洪泽区 reports (two names) are one body."""
    con = runs["con"]
    n_reports = con.execute("select count(*) from reports").fetchone()[0]
    linked = con.execute("select count(distinct report_id) from report_body").fetchone()[0]
    assert linked == n_reports
    (bodies,) = con.execute("select count(distinct body_id) from report_body r join reports p on p.id = r.report_id "
                            "where p.agency like '%洪泽区人民政府'").fetchone()
    assert bodies == 1


def test_every_cell_equals_gold(runs):
    con, m = runs["con"], runs["manifest"]
    wrong = {}
    for r in m["reports"]:
        if r["site"] not in SITES:
            continue
        gold = json.loads((CORPUS / r["slug"] / "gold.json").read_text(encoding="utf-8"))["cells"]
        (rid,) = con.execute("select id from reports where page_url = ?", (r["url"],)).fetchone()
        cells = {row["code"]: row["value"] for row in con.execute("select code, value from cells where report_id = ?", (rid,))}
        bad = [c for c, v in gold.items()
               if (v is None) != (cells.get(c) is None) or (v is not None and abs(float(v) - float(cells[c])) > 1e-6)]
        if bad:
            wrong[r["slug"]] = bad[:5]
    assert not wrong


def test_snapshots_are_the_bytes_served(runs):
    con, m = runs["con"], runs["manifest"]
    for row in con.execute("select * from snapshots"):
        data = raw_bytes(row["content"], row["content_encoding"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["size"]
    for r in m["reports"]:
        if r["site"] in SITES and r["attachment"]:
            shas = {row[0] for row in con.execute("select sha256 from captures where url = ?", (r["attachment"],))}
            assert shas == {r["attachment_sha256"]}


def test_rerun_adds_captures_not_duplicates(runs):
    con, before = runs["con"], runs["before"]
    after = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("captures", "reports", "cells")}
    assert after["captures"] > before["captures"]
    assert after["reports"] == before["reports"] == 9
    assert after["cells"] == before["cells"]
    assert con.execute("select count(*) - count(distinct page_url) from reports").fetchone()[0] == 0
    assert con.execute("select count(*) from (select report_id, code from cells group by 1, 2 having count(*) > 1)").fetchone()[0] == 0


def test_decoys_never_stored(runs):
    con, m = runs["con"], runs["manifest"]
    decoys = {d["url"] for d in m["decoys"]} | {d["url"] for d in m["disallowed"]}
    assert not decoys & {row[0] for row in con.execute("select page_url from reports")}
    assert not {d["url"] for d in m["disallowed"]} & {row[0] for row in con.execute("select url from captures")}
