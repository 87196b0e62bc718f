"""Ctrl-C during a crawl: the process stops cleanly and everything fetched so far is committed.

A real `scrapy crawl` of the demo portal (slowed down so it is still running), SIGINT once a few
captures are in the database; afterwards the SQLite file is intact and every capture points at a
stored snapshot.
"""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo_portal.server import DemoPortal

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def count(db: Path, sql: str) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigint_stops_cleanly_and_keeps_what_was_fetched(tmp_path):
    db = tmp_path / "interrupted.db"
    with DemoPortal() as portal:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports",
               "-a", "start_urls=" + ",".join(portal.url(h, "/") for h in ("www.trs.demo.test", "www.hanweb.demo.test")),
               "-s", f"NIANBAO_DB={db}", "-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map()),
               "-s", "DOWNLOAD_DELAY=0.4", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "LOG_LEVEL=INFO"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 90
            while count(db, "select count(*) from captures") < 4:
                assert proc.poll() is None, "crawl ended before it could be interrupted"
                assert time.monotonic() < deadline, "no captures written"
                time.sleep(0.2)
            seen_before = count(db, "select count(*) from captures")
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        total_requests = len(portal.requests)
    assert "shutting down gracefully" in out
    con = sqlite3.connect(db)
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        captures = con.execute("select count(*) from captures").fetchone()[0]
        assert captures >= seen_before
        orphans = con.execute("select count(*) from captures c where c.sha256 is not null and "
                              "not exists (select 1 from snapshots s where s.sha256 = c.sha256)").fetchone()[0]
        assert orphans == 0
    finally:
        con.close()
    # it really stopped early: the full crawl asks ~27 pages
    assert total_requests < 27
