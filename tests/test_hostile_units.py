"""Unit checks of the hostile-server helpers (no crawl): challenge recognition, true charsets,
calendar dates, sub-body discovery labels."""
from __future__ import annotations

from scrapy.http import HtmlResponse, Request, Response

from middlewares.charset import true_encoding
from middlewares.hostile import challenge_reason
from middlewares.urlspace import query_dates
from spiders.columns import body_links, hub_links, is_body_name, is_hub_label

JSL = b"<script>document.cookie=('__jsl_clearance_s=1|0|x');location.href=location.pathname+location.search</script>"


def resp(status: int, body: bytes, url: str = "http://www.a.gov.cn/x.html") -> Response:
    return Response(url, status=status, body=body, request=Request(url))


def test_challenges_recognised():
    req = Request("http://www.a.gov.cn/x.html")
    assert challenge_reason(req, resp(521, JSL)) == "jsl_521"
    assert challenge_reason(req, resp(412, b"<script>$_ts={}</script>")) == "waf_412"
    assert challenge_reason(req, resp(200, JSL)) == "js_challenge"


def test_ordinary_answers_are_not_challenges():
    req = Request("http://www.a.gov.cn/x.html")
    assert challenge_reason(req, resp(521, b"<h1>Web server is down</h1>")) is None     # no cookie script
    assert challenge_reason(req, resp(503, b"<html><body>maintenance</body></html>")) is None
    page = b"<html><body><ul><li><a href='/a'>a</a></li></ul><script>document.cookie='x=1';setTimeout(f,1)</script></body></html>"
    assert challenge_reason(req, resp(200, page)) is None                                  # a real page with a script
    conditional = Request("http://www.a.gov.cn/x.html", headers={"If-Match": '"abc"'})
    assert challenge_reason(conditional, resp(412, b"")) is None                           # a genuine precondition


def test_true_encoding():
    text = "<html><head><meta charset='utf-8'></head><body>政府信息公开工作年度报告</body></html>"
    assert true_encoding(text.encode("gbk"), "utf-8") == "gb18030"
    assert true_encoding(text.encode("utf-8"), "gbk") == "utf-8"
    assert true_encoding(text.encode("utf-8"), "utf-8") is None
    assert true_encoding(text.encode("gb18030"), "gb2312") is None      # declared right (GB family)
    assert true_encoding(b"<html>ascii only</html>", "gbk") is None


def test_query_dates():
    assert [d.isoformat() for _k, d in query_dates("http://a/c.jsp?date=2021-01-22")] == ["2021-01-22"]
    assert [d.isoformat() for _k, d in query_dates("http://a/c.jsp?month=2021-03")] == ["2021-03-01"]
    assert query_dates("http://a/c.jsp?y=2021&m=3")
    assert not query_dates("http://a/art.jsp?id=20210122")          # an id that looks like a date
    assert not query_dates("http://a/list?currentPage=2019&pageSize=15")
    assert not query_dates("http://a/art/2021/1/22/art_1_2.html")   # dated paths name articles


def test_hub_and_body_labels():
    assert is_hub_label("部门信息公开") and is_hub_label("政府信息公开") and is_hub_label("镇（街道）")
    assert not is_hub_label("2023年政府信息公开工作年度报告") and not is_hub_label("工作动态")
    assert is_body_name("太仓市财政局") and is_body_name("浏河镇人民政府") and is_body_name("娄东街道办事处")
    assert not is_body_name("2023年度报告") and not is_body_name("首页") and not is_body_name("互动交流")


def test_hub_and_body_links_from_a_page():
    body = ("<html><body><ul class='nav'><li><a href='/xxgk/'>政府信息公开</a></li><li><a href='/hd/'>互动交流</a></li></ul>"
            "<ul><li><a href='/czj/'>示例市财政局</a></li><li><a href='/lhz/'>浏河镇</a></li>"
            "<li><a href='/a.html'>示例市2023年政府信息公开工作年度报告</a></li></ul></body></html>")
    page = HtmlResponse("http://www.a.gov.cn/", body=body.encode(), encoding="utf-8")
    assert [link.url for link in hub_links(page)] == ["http://www.a.gov.cn/xxgk/"]
    assert [link.url for link in body_links(page)] == ["http://www.a.gov.cn/czj/", "http://www.a.gov.cn/lhz/"]
