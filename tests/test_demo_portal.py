"""The bundled portal as a server: real HTTP on 127.0.0.1, sites by Host header, family shapes,
politeness-relevant behaviour (robots.txt, 503 + Retry-After, ETag/304, gzip) and a manifest that
agrees with what is served."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import re

import pytest

from demo_portal.server import DemoPortal


@pytest.fixture(scope="module")
def portal():
    with DemoPortal() as p:
        yield p


def fetch(portal, host, path, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{host}:{portal.port}", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def path_of(portal, url):
    return url.split(f":{portal.port}", 1)[1]


def test_sites_by_host_and_unknown_host(portal):
    m = portal.manifest()
    assert {"trs", "hanweb", "generic"} <= {s["family"] for s in m["sites"].values()}
    for host, site in m["sites"].items():
        status, _, body = fetch(portal, host, "/")
        assert status == 200 and site["name"].encode(site["encoding"]) in body
    assert fetch(portal, "nowhere.test", "/")[0] == 404


def test_columns_have_30_items_over_3_pages(portal):
    for host in ("www.trs.demo.test", "www.hanweb.demo.test"):
        assert portal.manifest()["sites"][host]["items"] >= 30
    # TRS: index.html + index_k.html, announced by createPageHTML
    status, _, body = fetch(portal, "www.trs.demo.test", "/xxgk/nb/index.html")
    text = body.decode()
    count = int(re.search(r"var countPage = (\d+)", text).group(1))
    assert count >= 3 and 'createPageHTML(countPage, currentPage, "index", "html")' in text
    seen = set()
    for k in range(count):
        status, _, page = fetch(portal, "www.trs.demo.test", "/xxgk/nb/" + ("index.html" if k == 0 else f"index_{k}.html"))
        assert status == 200
        seen |= set(re.findall(r'<li><a href="([^"]+)"', page.decode()))
    assert len(seen) >= 29          # one item is listed twice (the same report in two places)


def test_hanweb_datastore_and_dataproxy(portal):
    host = "www.hanweb.demo.test"
    _, _, body = fetch(portal, host, "/col/col1234/index.html")
    text = body.decode()
    assert '<script type="text/xml"><datastore>' in text
    first = re.findall(r"<record><!\[CDATA\[", text)
    total = int(re.search(r"totalRecord: (\d+)", text).group(1))
    assert total >= 30 and len(first) < total
    form = "col=1&appid=1&webid=7&path=/&columnid=1234&sourceContentType=1&unitid=5678&webname=x&permissiontype=0"
    path = f"/module/web/jpage/dataproxy.jsp?startrecord={len(first) + 1}&endrecord={total}&perpage=10"
    status, headers, xml = fetch(portal, host, path, "POST", form.encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    assert f"<totalrecord>{total}</totalrecord>".encode() in xml
    assert xml.count(b"<record>") == total - len(first)
    # GET or another column: an empty answer, as a real proxy gives
    assert fetch(portal, host, path)[2].count(b"<record>") == 0


def test_robots_txt(portal):
    for host in portal.sites:
        status, headers, body = fetch(portal, host, "/robots.txt")
        assert status == 200 and b"Disallow: /private/" in body


def test_flaky_url_fails_twice_with_retry_after(portal):
    (url,) = portal.manifest()["flaky"]
    path = path_of(portal, url)
    first, second, third = (fetch(portal, "www.trs.demo.test", path) for _ in range(3))
    assert [first[0], second[0], third[0]] == [503, 503, 200]
    assert first[1]["Retry-After"] == "1"


def test_etag_and_last_modified_give_304(portal):
    rep = next(r for r in portal.manifest()["reports"] if r["attachment"] and r["site"] == "www.hanweb.demo.test")
    path = path_of(portal, rep["attachment"])
    status, headers, body = fetch(portal, rep["site"], path)
    assert status == 200 and body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == rep["attachment_sha256"]
    assert fetch(portal, rep["site"], path, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(portal, rep["site"], path, headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304


def test_counters_change_page_bytes_and_gzip(portal):
    a = fetch(portal, "www.trs.demo.test", "/xxgk/nb/index_1.html")[2]
    b_status, b_headers, b_raw = fetch(portal, "www.trs.demo.test", "/xxgk/nb/index_1.html", headers={"Accept-Encoding": "gzip"})
    assert b_headers.get("Content-Encoding") == "gzip"
    b = gzip.decompress(b_raw)
    assert a != b and re.sub(rb"\d{5}</b>", b"", a) == re.sub(rb"\d{5}</b>", b"", b)


def test_report_articles_match_manifest(portal):
    m = portal.manifest()
    assert len(m["reports"]) >= 9 and m["decoys"]
    kinds = {d["kind"] for d in m["decoys"]}
    assert {"website_form", "pre2019", "news", "notice", "offsite", "unknown"} <= kinds
    for r in m["reports"]:
        if r["url"] in m["flaky"]:
            continue
        site = m["sites"][r["site"]]
        status, headers, body = fetch(portal, r["site"], path_of(portal, r["url"]))
        assert status == 200, r
        text = body.decode(site["encoding"])
        if r["present"] == "attachment":
            assert "附件" in text and path_of(portal, r["attachment"]).rsplit("/", 1)[-1] in text.replace("&amp;", "&")
        else:
            assert "<table" in text or "<p>" in text


def test_offsite_decoys_point_to_another_site(portal):
    for d in portal.manifest()["decoys"]:
        if d["kind"] == "offsite":
            assert "www.other.demo.test" in d["url"] and d["site"] != "www.other.demo.test"


def test_gbk_site_bytes(portal):
    status, headers, body = fetch(portal, "www.other.demo.test", "/zfxxgk/nb/list.htm")
    assert "charset=gbk" in headers["Content-Type"]
    assert "下一页" in body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
