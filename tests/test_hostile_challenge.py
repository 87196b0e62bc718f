"""JavaScript challenges: 加速乐 (521 + document.cookie) and WAF 412 → host recorded as blocked, left alone.

A second, well-behaved host in the same crawl is crawled normally: blocking is per host.
"""
from __future__ import annotations

import pytest

from tests.crawl_run import crawl
from tests.hostile_server import HostileServer, column_site

JSL_BODY = (b"<html><body><script>document.cookie=('_')+('_j')+('sl_clearance_s=1700000000.123|0|abc')+"
            b"(';max-age=3600;path=/');location.href=location.pathname+location.search</script></body></html>")
WAF_BODY = (b'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            b'<script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=12345;'
            b'$_ts.cd="qEcBrAHlc";</script><script type="text/javascript" src="/abc/def.js" r="m"></script>'
            b"</head><body></body></html>")


def jsl(path, query, headers):
    return 521, {"Content-Type": "text/html", "Set-Cookie": "__jsluid_s=0123456789abcdef; path=/"}, JSL_BODY


def waf(path, query, headers):
    return 412, {"Content-Type": "text/html; charset=utf-8"}, WAF_BODY


REPORTS = {"/nb/a.html": "示例市财政局2023年政府信息公开工作年度报告",
           "/nb/b.html": "示例市财政局2024年政府信息公开工作年度报告"}


@pytest.mark.slow
@pytest.mark.parametrize("behaviour,handler,status,reason", [
    ("jsl", jsl, 521, "jsl_521"),
    ("waf", waf, 412, "waf_412"),
])
def test_challenge_host_blocked_once_and_not_hammered(tmp_path, behaviour, handler, status, reason):
    bad, good = f"www.{behaviour}.demo.test", "www.ok.demo.test"
    with HostileServer({bad: handler, good: column_site(REPORTS)}, robots_ok={good}) as srv:
        starts = [srv.url(bad, f"/col/col{n}/index.html") for n in range(8)] + [srv.url(good, "/nb/")]
        result = crawl(starts, tmp_path / "c.db", resolve=srv.resolve_map(),
                       settings={"CONCURRENT_REQUESTS_PER_DOMAIN": 1})
        bad_hits = srv.hits(bad)
    assert result.returncode == 0, result.log[-2000:]
    # one real request discovered the challenge; the seven other start pages were never asked
    assert len(bad_hits) == 1, bad_hits
    blocked = [c for c in result.captures() if c["role"] == "blocked"]
    assert len(blocked) == 1
    assert blocked[0]["status"] == status and blocked[0]["reason"].startswith(reason)
    assert bad in blocked[0]["url"]
    stats = result.stats()
    assert stats.get("hostile/blocked_hosts") == 1
    assert stats.get(f"hostile/blocked/{reason}") == 1
    assert stats.get("hostile/skipped_requests", 0) >= 7
    # the well-behaved host was crawled as usual
    reports = {c["url"].split(":", 2)[2].split("/", 1)[1] for c in result.captures()
               if c["role"] == "article" and c["classification"] == "report"}
    assert reports == {"nb/a.html", "nb/b.html"}
