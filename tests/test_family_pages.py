"""Adapters on single pages of the imitation sites (no crawl): detection, paging, metadata.

Fast checks of what the crawl tests rely on; the pages come straight from the sites' handlers.
"""
from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from demo_portal.imitations import Req, dispatch
from demo_portal.imitations.gkmlpt import GkmlptSite
from demo_portal.imitations.hanweb_xxgk import HanwebXxgkSite
from demo_portal.imitations.ucap import UcapSite
from demo_portal.imitations.vsb import VsbSite
from spiders.families import detect_family, get_family
from spiders.metadata import item_fields

PORT = 8123


def fetch(site, path: str, method: str = "GET", form: dict | None = None) -> TextResponse:
    base, _, query = path.partition("?")
    q = dict(p.split("=", 1) for p in query.split("&") if p) if query else {}
    reply = dispatch(site, Req(method, base, q, form or {}, {}, f"http://{site.host}:{PORT}"))
    assert reply.status == 200, (path, reply.status)
    cls = TextResponse if "json" in reply.ctype else HtmlResponse
    url = site.url(path)
    return cls(url, body=reply.body, headers={"Content-Type": reply.ctype}, request=Request(url, method=method))


def a_report(site):
    return next(d for d in site.plan.docs if d.kind == "report" and not d.pdf and d.body.kind == "dept")


@pytest.mark.parametrize("site,path,family", [
    (UcapSite(PORT), "/taicang/szf03/list.shtml", "ucap"),
    (VsbSite(PORT), "/xxgk/zfxxgknb.htm", "vsb"),
    (GkmlptSite(PORT), "/gkmlpt/index", "gkmlpt"),
    (HanwebXxgkSite(PORT), "/module/xxgk/search.jsp?infotypeId=A0301&area=11330406000", "hanweb_xxgk"),
])
def test_column_pages_recognised_by_their_family(site, path, family):
    assert detect_family(fetch(site, path)).name == family


def test_demo_portal_sites_not_claimed_by_these_families():
    from demo_portal.sites import build_sites
    mine = {"ucap", "vsb", "gkmlpt", "hanweb_xxgk"}
    for site in build_sites(PORT).values():
        res = site.resources[site.column_url]
        body = res.body.encode(site.encoding) if isinstance(res.body, str) else res.body
        page = HtmlResponse(f"http://{site.host}{site.column_url}", body=body,
                            headers={"Content-Type": f"text/html; charset={site.encoding}"})
        assert detect_family(page).name not in mine, site.host


def test_vsb_pages_from_a_middle_page():
    site = VsbSite(PORT)
    page = fetch(site, "/xxgk/zfxxgknb/2.htm")
    urls = sorted(r.url for r in get_family("vsb").list_pages(page))
    assert urls == [site.url(p) for p in ("/xxgk/zfxxgknb.htm", "/xxgk/zfxxgknb/1.htm", "/xxgk/zfxxgknb/3.htm")]


def test_ucap_first_api_page_asks_for_the_rest_by_post():
    site = UcapSite(PORT)
    fam = get_family("ucap")
    shell = fetch(site, "/taicang/szf03/list.shtml")
    (first,) = [r for r in fam.list_pages(shell) if "appsearch" in r.url]
    assert first.method == "POST" and "currentPage=1" in first.url and "pid=" in first.url
    answer = fetch(site, first.url.split(str(PORT), 1)[1], method="POST")
    entries = fam.list_entries(answer)
    assert len(entries) == 15 and all(e.date for e in entries)
    rest = list(fam.list_pages(answer))
    assert [r.method for r in rest] == ["POST", "POST"] and "currentPage=3" in rest[-1].url


def test_xxgk_form_posted_with_its_hidden_fields():
    site = HanwebXxgkSite(PORT)
    page = fetch(site, "/module/xxgk/search.jsp?infotypeId=A0301&area=11330406000&divid=div1001")
    reqs = [r for r in get_family("hanweb_xxgk").list_pages(page) if r.method == "POST"]
    assert len(reqs) == 2
    body = reqs[0].body.decode()
    assert "currpage=2" in body and "infotypeId=A0301" in body and "area=11330406000" in body


@pytest.mark.parametrize("site", [UcapSite(PORT), VsbSite(PORT), GkmlptSite(PORT), HanwebXxgkSite(PORT)])
def test_article_metadata_becomes_item_fields(site):
    doc = a_report(site)
    path = site.article_path(doc)
    page = fetch(site, path)
    fam = detect_family(page)
    art = fam.article(page)
    fields = item_fields(art)
    assert fields.get("index_no"), art.metadata
    assert fields.get("published") == doc.date, art.metadata
    assert doc.body.short in fields.get("publisher", "") or doc.body.name in fields.get("publisher", "")
    assert "主动公开政府信息情况" in art.text or "收到和处理政府信息公开申请情况" in art.text or len(art.text) > 500


def test_gkmlpt_body_and_attachment_come_from_the_page_json():
    site = GkmlptSite(PORT)
    doc = next(d for d in site.plan.docs if d.kind == "report" and d.pdf)
    art = get_family("gkmlpt").article(fetch(site, site.article_path(doc)))
    assert art.title == doc.title
    assert [a.url for a in art.attachments] == [site.url(site.attachment_path(doc))]
