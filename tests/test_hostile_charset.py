"""A lying charset: GBK pages declared UTF-8 (header and meta), and UTF-8 pages declared GBK.

The spider must read the titles right (so the report is found) while the archive keeps the
bytes exactly as served (sha256 of the served body).
"""
from __future__ import annotations

import hashlib

import pytest

from tests.crawl_run import crawl
from tests.hostile_server import HostileServer, column_site

REPORTS = {"/nb/201.html": "示例县财政局2023年政府信息公开工作年度报告",
           "/nb/202.html": "示例县财政局2022年度政府信息公开工作年度报告"}


@pytest.mark.slow
@pytest.mark.parametrize("served,declared", [("gbk", "utf-8"), ("utf-8", "gbk")])
def test_wrong_declared_charset(tmp_path, served, declared):
    host = "www.charset.demo.test"
    handler = column_site(REPORTS, charset=served, declared=declared)
    sent = {p: handler(p, {}, {})[2] for p in REPORTS}
    with HostileServer({host: handler}, robots_ok={host}) as srv:
        result = crawl([srv.url(host, "/nb/")], tmp_path / "c.db", resolve=srv.resolve_map())
    assert result.returncode == 0, result.log[-2000:]
    caps = {c["url"].split(str(srv.port), 1)[1]: c for c in result.captures() if c["role"] == "article"}
    assert set(caps) == set(REPORTS), caps.keys()
    for path, capture in caps.items():
        assert capture["classification"] == "report", (path, capture["reason"])
        assert capture["sha256"] == hashlib.sha256(sent[path]).hexdigest()   # raw bytes, not re-encoded
        assert capture["listed_title"] == REPORTS[path]
    assert result.stats().get("charset/repaired", 0) >= 3          # the column page and both articles
