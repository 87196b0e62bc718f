"""The spider against the bundled portal (real HTTP on 127.0.0.1, subprocess crawls, no pipelines).

Ground truth is the portal's manifest: recall and precision of report articles must both be 100%,
decoys by title are never fetched, robots.txt and allowed domains are obeyed, the flaky article
is retried and archived, attachment bytes arrive exactly as served.
"""
from __future__ import annotations

import pytest

from crawl_items import crawl_items
from demo_portal.server import DemoPortal

SITES = ("www.trs.demo.test", "www.hanweb.demo.test")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def portal():
    with DemoPortal() as p:
        yield p


@pytest.fixture(scope="module")
def demo_crawl(portal, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    result = crawl_items(tmp, [portal.url(h, "/") for h in SITES], resolve=portal.resolve_map())
    assert result.returncode == 0, result.log[-3000:]
    return result


def _truth(portal, hosts=SITES):
    m = portal.manifest()
    return m, [r for r in m["reports"] if r["site"] in hosts]


def test_recall_and_precision_of_reports(portal, demo_crawl):
    _, reports = _truth(portal)
    expected = {r["url"] for r in reports}
    found = demo_crawl.urls("article", "report")
    assert found == expected, f"missed {expected - found}; taken {found - expected}"
    assert len(expected) >= 8


def test_attachments_followed_and_bytes_as_served(portal, demo_crawl):
    _, reports = _truth(portal)
    att = {i["url"]: i for i in demo_crawl.by_role("attachment")}
    for r in reports:
        if r["attachment"] is None:
            continue
        got = att.get(r["attachment"])
        assert got is not None, f"attachment of {r['url']} not fetched"
        assert got["attachment_of"] == r["url"]
        assert got["classification"] == "report"
        assert got["sha256"] == r["attachment_sha256"]
    assert sum(1 for r in reports if r["attachment"]) == len(att)


def test_decoys_not_taken(portal, demo_crawl):
    m, _ = _truth(portal)
    decoys = {d["url"]: d for d in m["decoys"] if d["site"] in SITES}
    reported = demo_crawl.urls("article", "report")
    assert not (reported & set(decoys))
    fetched = demo_crawl.urls()
    # clear decoys by title are not even fetched; those with a plain title are fetched and judged by their body
    for url, d in decoys.items():
        if d["kind"] in ("website_form", "pre2019", "news", "notice", "offsite"):
            assert url not in fetched, d
    judged = [i for i in demo_crawl.by_role("article") if i["url"] in decoys]
    assert judged and all(i["classification"] == "decoy" and "no statutory tables" in i["reason"] for i in judged)


def test_robots_and_allowed_domains(portal, demo_crawl):
    m, _ = _truth(portal)
    paths = [(h, p) for h, _m, p, _s in portal.requests]
    assert not [p for h, p in paths if h in SITES and p.startswith(("/private/", "/calendar/"))]
    assert not [h for h, p in paths if h not in SITES and p != "/robots.txt"], "crawled outside allowed domains"
    assert m["disallowed"]


def test_flaky_article_retried_then_archived(portal, demo_crawl):
    m, _ = _truth(portal)
    (flaky,) = m["flaky"]
    path = flaky.split(str(portal.port), 1)[1]
    statuses = [s for _h, _m, p, s in portal.requests if p == path]
    assert statuses[:3] == [503, 503, 200]
    item = next(i for i in demo_crawl.items if i["url"] == flaky)
    assert item["status"] == 200 and item["classification"] == "report"


def test_every_list_page_walked(portal, demo_crawl):
    lists = demo_crawl.urls("list")
    trs = [u for u in lists if "www.trs.demo.test" in u and "/index" in u]
    assert len(trs) == 4                                   # index.html, index_1..3.html
    proxies = [i for i in demo_crawl.by_role("list") if "dataproxy.jsp" in i["url"]]
    assert proxies and all(i["method"] == "POST" for i in proxies)
    families = {i["family"] for i in demo_crawl.items if i.get("family")}
    assert {"trs", "hanweb"} <= families


def test_items_carry_exchange_and_listing(demo_crawl):
    for item in demo_crawl.items:
        assert item["fetched_at"].endswith("+00:00")
        assert item["status"] in (200, 304)
        assert item["headers"] and item["request_headers"]
        assert "nianbao" in item["request_headers"]["User-Agent"][0]
    for item in demo_crawl.by_role("article"):
        assert item.get("listed_on") and item.get("reason")


def test_generic_pager_site(portal, tmp_path):
    host = "www.other.demo.test"
    m = portal.manifest()
    result = crawl_items(tmp_path, [m["sites"][host]["column"]], resolve=portal.resolve_map())
    assert result.returncode == 0, result.log[-3000:]
    expected = {r["url"] for r in m["reports"] if r["site"] == host}
    assert result.urls("article", "report") == expected
    assert len([u for u in result.urls("list") if "/list" in u]) == 3
    assert {i["family"] for i in result.by_role("list")} == {"generic"}


def test_site_page_budget(portal, tmp_path):
    result = crawl_items(tmp_path, [portal.url("www.trs.demo.test", "/")], resolve=portal.resolve_map(),
                         settings={"NIANBAO_SITE_PAGE_BUDGET": 5})
    assert result.returncode == 0
    assert len(result.items) <= 5
    assert "page budget of www.trs.demo.test exhausted" in result.log


def test_portal_registry_entry(portal, tmp_path):
    result = crawl_items(tmp_path, resolve=portal.resolve_map(), args={"portal": "demo-hanweb"},
                         settings={"NIANBAO_DEMO_PORT": portal.port})
    assert result.returncode == 0, result.log[-3000:]
    expected = {r["url"] for r in portal.manifest()["reports"] if r["site"] == "www.hanweb.demo.test"}
    assert result.urls("article", "report") == expected
