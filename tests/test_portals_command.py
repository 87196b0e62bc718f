"""``scrapy portals``: the shipped registry is valid; broken entries are each reported; a demo
entry of the registry crawls its imitation inside the bundled demo portal."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spiders.families import families
from spiders.registry_check import check
from spiders.urls import canonicalize
from tests.crawl_run import ROOT, crawl

FAMILIES = {f.name for f in families()}


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", "portals", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_shipped_registry_is_valid():
    report = check(ROOT / "data" / "portals.csv", FAMILIES)
    assert report.ok, report.problems
    by_name = {e.name: e for e in report.entries}
    assert by_name["taicang"].family == "ucap" and by_name["taicang"].verified == "no"
    for name in ("demo-ucap", "demo-vsb", "demo-gkmlpt", "demo-xxgk"):
        assert by_name[name].verified == "yes"
    real = [e for e in report.entries if not e.name.startswith("demo-")]
    assert real and all(e.verified == "no" for e in real)       # nothing real was ever checked by a crawl


def test_command_lists_entries_as_json():
    proc = run_command("--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert data["ok"] and {"taicang", "demo-gkmlpt"} <= {e["name"] for e in data["entries"]}


BAD = """name,start_urls,allowed_domains,family,verified,note
good,http://www.example.gov.cn/,example.gov.cn,generic,no,fine
good,http://www.other.gov.cn/,other.gov.cn,generic,no,duplicate name
typo,http://www.typo.gov.cn/,typo.gov.cn,hanwebb,no,unknown family
ftp,ftp://www.ftp.gov.cn/,ftp.gov.cn,generic,no,not http
away,http://www.away.gov.cn/,elsewhere.gov.cn,generic,no,outside allowed domains
again,http://www.example.gov.cn/,example.gov.cn,generic,no,same start URL as good
maybe,http://www.maybe.gov.cn/,maybe.gov.cn,generic,perhaps,bad verified
Bad Name,http://www.bad.gov.cn/,bad.gov.cn,generic,no,bad name
demo-x,http://www.x.demo.test:{demo_port}/,x.gov.cn,generic,yes,demo off .test
"""


def test_broken_entries_each_reported(tmp_path):
    path = tmp_path / "portals.csv"
    path.write_text(BAD, encoding="utf-8")
    report = check(path, FAMILIES)
    text = "\n".join(f"{n}: {m}" for _l, n, m in report.problems)
    for needle in ("good: duplicate name", "typo: unknown family", "ftp: start URL", "away: start URL host",
                   "again: start URL http://www.example.gov.cn/ already belongs to good", "maybe: verified",
                   "Bad Name: name must be", "demo-x: demo entries"):
        assert needle in text, (needle, text)
    proc = run_command("--check", "-f", str(path))
    assert proc.returncode == 1
    assert "unknown family 'hanwebb'" in proc.stdout


def test_missing_columns_reported(tmp_path):
    path = tmp_path / "portals.csv"
    path.write_text("name,start_urls\nx,http://a.gov.cn/\n", encoding="utf-8")
    report = check(path, FAMILIES)
    assert not report.ok and "missing columns" in report.problems[0][2]


@pytest.mark.slow
def test_demo_registry_entry_crawls_its_imitation(tmp_path):
    from demo_portal.server import DemoPortal
    with DemoPortal() as portal:
        truth = portal.manifest()["imitations"]["www.gkmlpt.demo.test"]
        result = crawl([], tmp_path / "c.db", resolve=portal.resolve_map(), args={"portal": "demo-gkmlpt"},
                       settings={"NIANBAO_DEMO_PORT": portal.port,
                                 "ITEM_PIPELINES": {"pipelines.archive.ArchivePipeline": 100}})
    assert result.returncode == 0, result.log[-2000:]
    found = {c["url"] for c in result.captures() if c["role"] == "article" and c["classification"] == "report"}
    assert found == {canonicalize(r["url"]) for r in truth["reports"]}
