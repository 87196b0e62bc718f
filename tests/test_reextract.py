"""scrapy reextract: offline, versioned, prints what changed, touches nothing when nothing changed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import extraction.api
import pipelines.extract
from archive.db import Archive
from archive.reextract import reextract
from test_pipelines import Chain, html_report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def stored(tmp_path):
    chain = Chain(tmp_path / "re.db")
    chain.feed(url="http://p.test/art_1.html", body=html_report(), role="article", classification="report",
               content_type="text/html", portal="demo")
    chain.feed(url="http://p.test/art_2.html", body="<html><body><p>会议通知</p></body></html>".encode("utf-8"),
               role="article", content_type="text/html", portal="demo")
    chain.close()
    return tmp_path / "re.db"


def _better_extractor(monkeypatch, version: str = "9.9.9"):
    """A newer extractor: reads one cell differently and recognises the second page as a report."""
    real = pipelines.extract.run_extract

    def run(body, url, content_type, opts):
        result = real(body, url, content_type, opts)
        result.extractor_version = version
        if "art_1" in url:
            result.cells["t3.new.total"] = (result.cells.get("t3.new.total") or 0) + 1
        else:
            result.format = "2021"
            result.meta = {"agency": "某局", "report_year": 2024}
            result.cells = {"t3.new.total": 5}
        return result

    monkeypatch.setattr(pipelines.extract, "run_extract", run)
    monkeypatch.setattr(extraction.api, "EXTRACTOR_VERSION", version)


def test_reextract_with_same_extractor_changes_nothing(stored):
    with Archive(stored) as a:
        before = a.counts()
        changes = reextract(a)
        assert [c.action for c in changes] == ["unchanged"]
        assert a.counts() == before


def test_newer_extractor_makes_versions_offline(stored, monkeypatch):
    _better_extractor(monkeypatch)
    with Archive(stored) as a:
        (report,) = list(a.iter_reports())
        seen = (report["last_seen"], report["last_seen_crawl"])
        old_value = a.report_cells(report["id"])["t3.new.total"]["value"]
        dry = reextract(a, dry_run=True, all_documents=True)
        assert a.report(report["id"])["version"] == 1 and a.db["reports"].count == 1
        changes = reextract(a, all_documents=True)
        assert [(c.action, c.changed_cells) for c in changes] == [("changed", ["t3.new.total"]), ("new report", [])]
        assert [c.line() for c in dry] == [c.line() for c in changes]
        assert "extractor 0.1.0 -> 9.9.9" in changes[0].line() or "-> 9.9.9" in changes[0].line()
        after = a.report(report["id"])
        assert after["version"] == 2 and after["extractor_version"] == "9.9.9"
        assert (after["last_seen"], after["last_seen_crawl"]) == seen      # not a sighting on the portal
        v1, v2 = a.report_versions(report["id"])
        assert v2["reason"] == "reextract" and v2["extractor_version"] == "9.9.9" and v1["extractor_version"] != "9.9.9"
        (change,) = a.cell_changes(report["id"])
        assert change["code"] == "t3.new.total" and change["new_value"] == (old_value or 0) + 1
        assert a.db["reports"].count == 2
        # run again: the cached 9.9.9 results are reused, nothing changes
        assert {c.action for c in reextract(a)} == {"unchanged"}


def test_reextract_command(stored):
    proc = subprocess.run([sys.executable, "-m", "scrapy", "reextract", "--dry-run", "-s", f"NIANBAO_DB={stored}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 reports — 1 unchanged (dry run: nothing stored)" in proc.stdout
    missing = subprocess.run([sys.executable, "-m", "scrapy", "reextract", "-s", f"NIANBAO_DB={stored}.nope"],
                             cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert missing.returncode != 0 and "no archive" in (missing.stdout + missing.stderr)
