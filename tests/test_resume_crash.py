"""Crash and resume: a named crawl killed with SIGKILL at ≥ 10 random moments ends like an uninterrupted one.

Real processes throughout: the bundled demo portal on 127.0.0.1, ``scrapy crawl annual_reports
-a job=NAME`` in a subprocess, SIGKILL at random moments after it made progress (a request marked
done in the frontier), then the same command again. Compared with an uninterrupted crawl of a fresh
portal on the same port: the same reports, the same cells, the same documents (PDF bytes by sha256;
pages by content key, since the portal's visit counters change page bytes on every request), no
duplicate reports or cells, every capture naming its crawl, ``PRAGMA integrity_check`` ok.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.db import Archive
from archive.volatile import content_key
from demo_portal.server import DemoPortal
from processes import free_port

ROOT = Path(__file__).resolve().parent.parent
SITES = ("www.trs.demo.test", "www.hanweb.demo.test")   # TRS paging, Hanweb POST paging + attachments
KILLS = 10
pytestmark = pytest.mark.slow


def command(portal: DemoPortal, db: Path, jobs: Path | None, job: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports",
           "-a", "start_urls=" + ",".join(portal.url(h, "/") for h in SITES),
           "-s", f"NIANBAO_DB={db}", "-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map()),
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
           "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
           "-s", "LOG_LEVEL=INFO", "-s", "CLOSESPIDER_TIMEOUT=150"]
    if job:
        cmd += ["-a", f"job={job}", "-s", f"NIANBAO_JOBS_DIR={jobs}"]
    return cmd


def frontier_done(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM requests WHERE state = 'done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def snapshot_of(db: Path) -> dict:
    """What must be equal between the two archives."""
    with Archive(db, readonly=True) as a:
        reports = sorted((r["page_url"], r["url"], r["attachment_of"], r["format"], r["agency"], r["report_year"],
                          r["status"]) for r in a.iter_reports())
        cells = sorted(a.db.execute(
            "SELECT r.page_url, c.code, c.value, c.raw FROM cells c JOIN reports r ON r.id = c.report_id").fetchall())
        latest = a.db.execute(
            "SELECT url, sha256, content_type FROM captures WHERE id IN (SELECT max(id) FROM captures "
            "WHERE status BETWEEN 200 AND 299 AND sha256 IS NOT NULL GROUP BY url)").fetchall()
        pages = {url: content_key(a.snapshot_bytes(sha), ctype) for url, sha, ctype in latest}
        binaries = {sha for (sha, ctype) in a.db.execute("SELECT sha256, content_type FROM snapshots")
                    if ctype and not ctype.startswith("text/")}
        dupes = a.db.execute("SELECT count(*) - count(DISTINCT page_url) FROM reports").fetchone()[0]
        cell_dupes = a.db.execute("SELECT count(*) FROM (SELECT report_id, code FROM cells GROUP BY 1, 2 "
                                  "HAVING count(*) > 1)").fetchone()[0]
        return {"reports": reports, "cells": cells, "pages": pages, "binaries": binaries, "dupes": dupes,
                "cell_dupes": cell_dupes, "integrity": a.integrity_check(),
                "orphans": a.db.execute("SELECT count(*) FROM captures WHERE crawl_id IS NULL").fetchone()[0]}


def test_kill_nine_and_resume_equals_uninterrupted(tmp_path):
    rng = random.Random(int(os.environ.get("NIANBAO_CRASH_SEED", "6")))
    port = free_port()
    ref_db, crash_db, jobs = tmp_path / "ref.db", tmp_path / "crash.db", tmp_path / "jobs"

    with DemoPortal(port) as portal:   # the reference: one uninterrupted crawl
        proc = subprocess.run(command(portal, ref_db, None, None), cwd=ROOT, capture_output=True, text=True,
                              timeout=240)
        assert proc.returncode == 0, proc.stderr[-3000:]

    kills, runs, started = 0, 0, time.monotonic()
    frontier = jobs / "crash" / "frontier.sqlite"
    with DemoPortal(port) as portal:   # a fresh portal on the same port: same URLs, same 503s
        while True:
            runs += 1
            log = open(tmp_path / f"run{runs}.log", "w")
            p = subprocess.Popen(command(portal, crash_db, jobs, "crash"), cwd=ROOT, stdout=log,
                                 stderr=subprocess.STDOUT)
            if kills < KILLS:
                if kills % 3 == 2:    # a blind moment: during start-up, a write, an extraction ...
                    time.sleep(rng.uniform(0.3, 3.0))
                else:                 # right after progress, so the crawl cannot end before 10 kills
                    base = frontier_done(frontier)
                    while p.poll() is None and frontier_done(frontier) <= base:
                        time.sleep(0.02)
                    time.sleep(rng.uniform(0, 0.25))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    p.wait()
                    kills += 1
                    continue
            assert p.wait(timeout=240) == 0, (tmp_path / f"run{runs}.log").read_text()[-3000:]
            break
    assert kills >= KILLS, f"the crawl finished after only {kills} kills"

    ref, got = snapshot_of(ref_db), snapshot_of(crash_db)
    assert got["integrity"] == "ok" and got["dupes"] == 0 and got["cell_dupes"] == 0 and got["orphans"] == 0
    assert got["reports"] == ref["reports"] and len(ref["reports"]) >= 8
    assert got["cells"] == ref["cells"]
    assert got["binaries"] == ref["binaries"]
    assert got["pages"] == ref["pages"]
    with Archive(crash_db, readonly=True) as a:
        crawls = list(a.db.query("SELECT * FROM crawls ORDER BY id"))
        assert crawls[-1]["outcome"] == "finished" and crawls[-1]["resumed_from"] is not None
        assert {c["run_id"] for c in crawls} == {crawls[0]["id"]}          # one run, resumed many times
        assert all(c["outcome"] == "interrupted" for c in crawls[:-1])
    assert not frontier_done(frontier) and time.monotonic() - started < 600
