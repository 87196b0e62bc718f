"""Scheduled crawls: a real Scrapyd process runs the deployed egg against the bundled portal.

The egg is built by ``scrapyd-deploy --build-egg`` (setup.py), uploaded through
``addversion.json``, and ``annual_reports`` is scheduled twice through ``schedule.json``; the
Scrapyd job runs from the egg alone (the source tree is not on its path). Checked: the archive
holds exactly the portal's reports, the job log shows progress lines, and the second scheduled
run is incremental (captures added, no duplicate reports or cells).
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from demo_portal.server import DemoPortal
from processes import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
SITE = "www.trs.demo.test"
REPORTS_SQL = "SELECT page_url FROM reports WHERE format IN ('2019', '2021')"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n", encoding="utf-8")
    log = (home / "scrapyd.out").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "daemonstatus.json", timeout=5).json()["status"] == "ok":
                break
        except (requests.RequestException, ValueError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("scrapyd did not start: " + (home / "scrapyd.out").read_text(errors="replace"))
        time.sleep(0.3)
    yield base, home
    stop_process(proc)
    log.close()


@pytest.fixture(scope="module")
def portal():
    with DemoPortal() as p:
        yield p


def build_egg(tmp: Path) -> Path:
    egg = tmp / "nianbao.egg"
    res = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", f"--build-egg={egg}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and egg.is_file(), res.stderr[-3000:]
    return egg


def wait_finished(base: str, job: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = requests.get(base + "listjobs.json", params={"project": "nianbao"}, timeout=10).json()
        if any(j["id"] == job for j in jobs.get("finished", [])):
            return
        time.sleep(1)
    pytest.fail(f"job {job} did not finish in {timeout}s: {jobs}")


def schedule(base: str, portal: DemoPortal, db: Path) -> str:
    settings = {
        "NIANBAO_DB": str(db), "NIANBAO_RESOLVE": json.dumps(portal.resolve_map()),
        "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "RANDOMIZE_DOWNLOAD_DELAY": "False",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "NIANBAO_RETRY_BACKOFF_BASE": "0.05",
        "CLOSESPIDER_TIMEOUT": "150", "NIANBAO_PROGRESS_INTERVAL": "1",
    }
    data = [("project", "nianbao"), ("spider", "annual_reports"), ("start_urls", portal.url(SITE, "/"))]
    data += [("setting", f"{k}={v}") for k, v in settings.items()]
    answer = requests.post(base + "schedule.json", data=data, timeout=30).json()
    assert answer["status"] == "ok", answer
    return answer["jobid"]


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def test_scheduled_crawl_from_the_deployed_egg(scrapyd, portal, tmp_path):
    base, home = scrapyd
    egg = build_egg(tmp_path)
    with egg.open("rb") as fh:
        answer = requests.post(base + "addversion.json", data={"project": "nianbao", "version": "1"},
                               files={"egg": ("nianbao.egg", fh)}, timeout=60).json()
    assert answer["status"] == "ok" and answer["spiders"] >= 1, answer
    spiders = requests.get(base + "listspiders.json", params={"project": "nianbao"}, timeout=30).json()
    assert "annual_reports" in spiders["spiders"], spiders

    db = tmp_path / "archive.db"
    job = schedule(base, portal, db)
    wait_finished(base, job)
    log = (home / "logs" / "nianbao" / "annual_reports" / f"{job}.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]

    expected = {r["url"] for r in portal.manifest()["reports"] if r["site"] == SITE and r.get("present", True)}
    # reports with statutory tables; classifying free-form documents is the crawl's test (issue 4)
    found = {r[0] for r in rows(db, REPORTS_SQL)}
    assert found == expected
    n_cells = rows(db, "SELECT count(*) FROM cells")[0][0]
    assert n_cells > 0
    # progress in the job log: pages, reports found, rate; the final line counts what was found
    assert "Progress:" in log and "pages/min" in log
    done = [line for line in log.splitlines() if "Done:" in line and "reports found" in line]
    assert done, log[-3000:]

    # the next scheduled run is incremental: more captures, the same reports and cells
    captures = rows(db, "SELECT count(*) FROM captures")[0][0]
    n_reports = rows(db, "SELECT count(*) FROM reports")[0][0]
    job2 = schedule(base, portal, db)
    wait_finished(base, job2)
    assert rows(db, "SELECT count(*) FROM captures")[0][0] > captures
    assert {r[0] for r in rows(db, REPORTS_SQL)} == expected
    assert rows(db, "SELECT count(*) FROM reports")[0][0] == n_reports
    assert rows(db, "SELECT count(*) FROM cells")[0][0] == n_cells
    assert rows(db, "SELECT count(*) FROM crawls")[0][0] == 2
