"""Incremental re-crawl of the demo portal: 304 revisits, attachments not fetched again, versions, gone.

Real processes: the bundled portal (Hanweb site: static pages with ETag/Last-Modified, PDF
attachments behind a download servlet) and two ``scrapy crawl annual_reports`` runs into one
archive. Between the runs the portal corrects a number in one report and stops serving another.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import Archive
from demo_portal.server import DemoPortal
from processes import free_port

ROOT = Path(__file__).resolve().parent.parent
SITE = "www.hanweb.demo.test"
pytestmark = pytest.mark.slow


def crawl(portal: DemoPortal, db: Path) -> str:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", "start_urls=" + portal.url(SITE, "/"),
           "-s", f"NIANBAO_DB={db}", "-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map()),
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "LOG_LEVEL=INFO"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def test_recrawl_revisits_versions_and_gone(tmp_path):
    db = tmp_path / "inc.db"
    with DemoPortal(free_port()) as portal:
        manifest = portal.manifest()
        reports = [r for r in manifest["reports"] if r["site"] == SITE]
        attachments = {r["attachment"] for r in reports if r["attachment"]}
        crawl(portal, db)
        with Archive(db, readonly=True) as a:
            first = {r["page_url"]: r for r in a.iter_reports()}
            first_snapshots = {r[0] for r in a.db.execute("SELECT sha256 FROM snapshots")}
            first_cells = {url: len(a.report_cells(r["id"])) for url, r in first.items()}
        assert set(first) == {r["url"] for r in reports} and attachments

        site = portal.sites[SITE]
        path_of = lambda url: url.split(str(portal.port), 1)[1]
        # the portal corrects one number of an HTML report, and stops serving another report
        corrected = max((r["url"] for r in reports if not r["attachment"]),
                        key=lambda u: site.resources[path_of(u)].body.count("<td"))
        res = site.resources[path_of(corrected)]
        second_table = res.body.find("<table", res.body.find("<table") + 1)
        m = re.search(r"(<td[^>]*>\s*)(\d+)(\s*</td>)", res.body[second_table:])
        assert second_table > 0 and m, "the demo report has no statutory table to correct"
        res.body = res.body.replace(m.group(0), f"{m.group(1)}{int(m.group(2)) + 1000}{m.group(3)}", 1)
        removed = next(r["url"] for r in reports if not r["attachment"] and r["url"] != corrected)
        del site.resources[path_of(removed)]
        from demo_portal.sites import VISITS
        volatile = {portal.url(SITE, p) for p, r in site.resources.items()
                    if not r.static or (isinstance(r.body, str) and VISITS in r.body)}
        portal.requests.clear()
        log = crawl(portal, db)

    # attachments: asked conditionally, answered 304, never downloaded again
    att_paths = {path_of(u) for u in attachments}
    answers = [(path, status) for host, method, path, status in portal.requests if path in att_paths]
    assert answers and all(status == 304 for _, status in answers), answers
    with Archive(db, readonly=True) as a:
        crawl2 = a.db.execute("SELECT max(id) FROM crawls").fetchone()[0]
        revisits = list(a.db.query("SELECT * FROM captures WHERE crawl_id = ? AND status = 304", [crawl2]))
        assert {c["url"] for c in revisits} >= attachments
        for c in revisits:
            original = a.capture(c["revisit_of"])
            assert original["url"] == c["url"] and original["sha256"] == c["sha256"] and original["status"] == 200
        new = {r[0] for r in a.db.execute("SELECT sha256 FROM snapshots")} - first_snapshots
        new_urls = {r[0] for r in a.db.execute(
            f"SELECT url FROM captures WHERE sha256 IN ({','.join('?' * len(new))})", list(new))}
        assert new_urls <= volatile | {corrected, removed}, new_urls - volatile   # only changed bodies are new
        # the corrected report: a second version beside the first, the change cell by cell
        rep = a.report_by_page(corrected)
        versions = a.report_versions(rep["id"])
        assert [v["version"] for v in versions] == [1, 2] and rep["version"] == 2
        changes = a.cell_changes(rep["id"])
        assert changes and all(ch["new_value"] is not None for ch in changes)
        assert any(ch["old_value"] is not None and ch["new_value"] - ch["old_value"] == 1000 for ch in changes)
        history = list(a.db.query("SELECT * FROM report_history WHERE report_id = ?", [rep["id"]]))
        assert len(history) == len(changes)
        # the report the portal stopped serving: marked gone, cells and versions kept
        gone = a.report_by_page(removed)
        assert gone["status"] == "gone" and gone["gone_since"]
        assert len(a.report_cells(gone["id"])) == first_cells[removed] > 0
        others = [r for r in a.iter_reports() if r["page_url"] not in (removed,)]
        assert all(r["status"] == "current" for r in others)
        assert all(r["version"] == 1 for r in others if r["page_url"] != corrected)
        assert a.crawl(crawl2)["outcome"] == "finished"
        assert json.loads(a.crawl(crawl2)["stats"])["nianbao/reports_gone"] == 1
    assert "nianbao/incremental/not_modified" in log
