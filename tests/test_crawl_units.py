"""Unit tests of the crawl path's pieces on saved-shape markup (no network, no reactor)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse

from middlewares.politeness import retry_after_seconds
from spiders.annual_reports import load_portals
from spiders.classify import classify, title_verdict, title_year
from spiders.families import detect_family, families, get_family
from spiders.families.base import generic_metadata
from spiders.families.hanweb import parse_datastore
from spiders.families.trs import MAX_PAGES, page_calls
from spiders.urls import Budget, canonicalize

ROOT = Path(__file__).resolve().parent.parent


def html(url: str, body: str, encoding: str = "utf-8") -> HtmlResponse:
    return HtmlResponse(url, body=body.encode(encoding), encoding=encoding, request=Request(url))


# ---------------------------------------------------------------- classification
@pytest.mark.parametrize("title,verdict", [
    ("太仓市自然资源和规划局2020年度政府信息公开工作年度报告", "report"),
    ("沭阳县发展和改革局2023年政府信息公开年度报告", "report"),
    ("2020年 上海市 政府信息公开\n年度报告", "report"),
    ("沐阳县人民政府 2025 年 政府信息公开工作年度报告", "report"),
    ("XX市2024年政府信息公开年报", "report"),
    ("XX区2023年政府网站工作年度报表", "decoy"),
    ("XX区政府网站2022年度报表", "decoy"),
    ("XX市2017年政府信息公开工作年度报告", "decoy"),
    ("关于做好2023年度政府信息公开工作年度报告编制工作的通知", "decoy"),
    ("我区召开政府信息公开工作年度报告编制培训会", "decoy"),
    ("关于印发中华人民共和国政府信息公开工作年度报告格式的通知", "decoy"),
    ("区政府召开常务会议", "decoy"),
    ("XX镇2024年财政预算公开", "unknown"),
    ("", "unknown"),
])
def test_title_verdicts(title, verdict):
    got, why = title_verdict(title)
    assert got == verdict, why
    assert why


def test_title_year_ignores_spaces():
    assert title_year("沐阳县人民政府 2025 年 政府信息公开工作年度报告") == 2025
    assert title_year("政府信息公开年报") is None


TABLE_BODY = ("二、主动公开政府信息情况 ... 本年制发件数 ... 三、收到和处理政府信息公开申请情况 ... "
              "本年新收政府信息公开申请数量 ... 四、政府信息公开行政复议、行政诉讼情况")


def test_body_tables_make_a_report_even_with_an_unusual_title():
    v = classify("关于本局2022年信息公开情况的说明", TABLE_BODY, 0)
    assert v.classification == "report" and "statutory table labels" in v.reason


def test_attachment_report_and_bodyless_report():
    v = classify("XX局2023年政府信息公开工作年度报告", "XX局2023年年报已编制完成，详见附件。", 1)
    assert v.classification == "report" and "attachment" in v.reason
    v = classify("XX局2023年政府信息公开工作年度报告", "（图片）", 0)
    assert v.classification == "report" and "no statutory tables" in v.reason


def test_website_form_body_is_a_decoy():
    body = "网站名称 XX市人民政府 首页网址 http://x 主办单位 XX市人民政府办公室 独立用户访问总量 123"
    assert classify("2023年度报表", body).classification == "decoy"
    plain = classify("关于政府信息公开工作的说明", "本期简报主要内容：政策解读。")
    assert plain.classification == "decoy" and "no statutory tables and no attachment" in plain.reason
    assert classify("关于公布年度情况的公告", "请见附件。", attachments=1).classification == "unknown"
    assert classify("关于公布年度情况的公告").classification == "unknown"      # not fetched yet: undecided


def test_decoy_title_wins_over_tables():
    assert classify("XX市2017年政府信息公开工作年度报告", TABLE_BODY).classification == "decoy"


# ---------------------------------------------------------------- URLs and budgets
@pytest.mark.parametrize("url,canon", [
    ("HTTP://WWW.Example.test:80/a/b.html#top", "http://www.example.test/a/b.html"),
    ("http://x.test/a;jsessionid=ABC123?b=2&a=1", "http://x.test/a?a=1&b=2"),
    ("http://x.test/list?page=2&utm_source=wx&_=1700000000&sid=9", "http://x.test/list?page=2"),
    ("https://x.test:443/", "https://x.test/"),
    ("http://x.test:8080/Path/Index.HTML", "http://x.test:8080/Path/Index.HTML"),
])
def test_canonicalize(url, canon):
    assert canonicalize(url) == canon


def test_budget_is_per_host():
    b = Budget(2)
    assert b.take("http://a.test/1") and b.take("http://a.test/2")
    assert not b.take("http://a.test/3")
    assert b.take("http://b.test/1")
    assert b.exhausted == {"a.test"}


# ---------------------------------------------------------------- TRS
@pytest.mark.parametrize("script,expected", [
    ('createPageHTML(5, 0, "index", "html");', (5, 0, "index", "html")),
    ("var countPage = 7//共多少页\ncreatePageHTML(countPage, currentPage, 'index', 'shtml');", (7, 0, "index", "shtml")),
    ("var currentPage = 2; var countPage = 3;\ncreatePageHTML(countPage, currentPage, \"list\", \"htm\")", (3, 2, "list", "htm")),
    ("createPageHTML('page_div',10, 1,'index','shtml',148);", (10, 1, "index", "shtml")),
    ('createPageHTML("page_div", total_page, cur, "index", "html", 25); var total_page = 4;', (4, 0, "index", "html")),
])
def test_trs_page_calls(script, expected):
    assert page_calls(script) == [expected]


def test_trs_list_pages_and_entries():
    page = """<html><head><meta name="generator" content="TRS WCM"></head><body>
    <div class="nav"><a href="/">首页</a><a href="../nb/">政府信息公开年报</a></div>
    <ul class="list"><li><a href="./202401/t20240122_1.html" title="XX市2023年政府信息公开工作年度报告">XX市2023…</a>
    <span>2024-01-22</span></li><li><a href="./202301/t20230120_2.html">XX市2022年政府信息公开工作年度报告</a>
    <span>2023/01/20</span></li></ul><div class="page"><script>var countPage = 4;
    createPageHTML(countPage, 1, "index", "html");</script></div><div class="footer"><a href="/about">关于我们 2024-01-01</a></div>
    </body></html>"""
    r = html("http://x.test/xxgk/nb/index_1.html", page)
    fam = detect_family(r)
    assert fam.name == "trs"
    assert [q.url for q in fam.list_pages(r)] == [
        "http://x.test/xxgk/nb/index.html", "http://x.test/xxgk/nb/index_2.html", "http://x.test/xxgk/nb/index_3.html"]
    entries = fam.list_entries(r)
    assert [(e.url, e.title, e.date) for e in entries] == [
        ("http://x.test/xxgk/nb/202401/t20240122_1.html", "XX市2023年政府信息公开工作年度报告", "2024-01-22"),
        ("http://x.test/xxgk/nb/202301/t20230120_2.html", "XX市2022年政府信息公开工作年度报告", "2023-01-20")]


def test_trs_absurd_page_count_is_capped():
    r = html("http://x.test/nb/index.html", '<script>createPageHTML(99999999, 0, "index", "html")</script>')
    assert len(list(get_family("trs").list_pages(r))) == MAX_PAGES - 1


def test_trs_article_attachments_relative():
    page = """<html><body><h1>XX市2023年政府信息公开工作年度报告</h1><div class="TRS_Editor"><p>详见附件。</p></div>
    <div class="fj">附件：<a href="./P020240122123456.pdf">XX市2023年年报.pdf</a><a href="/other.html">其他</a></div></body></html>"""
    art = get_family("trs").article(html("http://x.test/nb/202401/t20240122_1.html", page))
    assert art.title == "XX市2023年政府信息公开工作年度报告"
    assert [a.url for a in art.attachments] == ["http://x.test/nb/202401/P020240122123456.pdf"]
    assert "详见附件" in art.text


# ---------------------------------------------------------------- Hanweb
DATASTORE = """<html><body><div id="5678"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3&path=/&columnid=999&unitid=5678&webname=%E6%B5%8B&permissiontype=0"></a>]]></nextgroup>
<recordset>{records}</recordset></datastore></script></div>
<script>$('#5678').jpage({{perPage: 15, totalRecord: 40, groupSize: 3}});</script></body></html>"""
RECORD = ('<record><![CDATA[<li><a href="/art/2024/1/{d}/art_999_{i}.html" title="XX局2023年政府信息公开工作年度报告{i}">'
          'XX局…</a><span>2024-01-{d:02d}</span></li>]]></record>')


def test_hanweb_datastore_entries_and_proxy_requests():
    records = "".join(RECORD.format(i=i, d=1 + i % 28) for i in range(15))
    r = html("http://h.test/col/col999/index.html", DATASTORE.format(records=records))
    fam = detect_family(r)
    assert fam.name == "hanweb"
    entries = fam.list_entries(r)
    assert len(entries) == 15 and entries[0].url == "http://h.test/art/2024/1/1/art_999_0.html"
    reqs = list(fam.list_pages(r))
    assert [q.url for q in reqs] == ["http://h.test/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=40&perpage=15"]
    assert reqs[0].method == "POST"
    body = reqs[0].body.decode()
    for part in ("columnid=999", "unitid=5678", "webid=3", "permissiontype=0", "sourceContentType=1"):
        assert part in body


def test_hanweb_proxy_answer_and_chaining_without_total():
    fam = get_family("hanweb")
    records = "".join(RECORD.format(i=i, d=2) for i in range(45))
    url = "http://h.test/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=60&perpage=15"
    req = Request(url, method="POST", body=b"columnid=999&unitid=5678")
    full = XmlResponse(url, body=f"<datastore><recordset>{records}</recordset></datastore>".encode(), request=req)
    assert len(fam.list_entries(full)) == 45
    (nxt,) = fam.list_pages(full)
    assert "startrecord=61&endrecord=105" in nxt.url and b"columnid=999" in nxt.body
    short = XmlResponse(url, body=f"<datastore><recordset>{records[:500]}</recordset></datastore>".encode(), request=req)
    assert list(fam.list_pages(short)) == []
    done = XmlResponse(url, body=f"<datastore><totalrecord>60</totalrecord><recordset>{records}</recordset></datastore>".encode(),
                       request=req)
    assert list(fam.list_pages(done)) == []


def test_hanweb_xml_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (f'<!DOCTYPE datastore [<!ENTITY x SYSTEM "file://{secret}">]><datastore><totalrecord>3</totalrecord>'
           '<recordset><record>&x;</record><record><![CDATA[<li>ok</li>]]></record></recordset></datastore>')
    records, total, _ = parse_datastore(xml)
    assert "TOPSECRET" not in "".join(records)
    from lxml import etree
    from spiders.families.hanweb import _parser
    root = etree.fromstring(xml.encode(), parser=_parser())
    assert "TOPSECRET" not in etree.tostring(root).decode()


def test_hanweb_broken_xml_costs_nothing_else():
    records, total, _ = parse_datastore("<datastore><recordset><record><![CDATA[<li>a</li>]]></record><record>&bad")
    assert records[:1] == ["<li>a</li>"]


# ---------------------------------------------------------------- generic
GENERIC = """<html><head><title>政府信息公开年报</title></head><body>
<div class="header"><a href="/">首页</a><a href="/xxgk/nb/">政府信息公开年报</a></div>
<table class="list"><tr><td><a href="c_1.htm">XX县2024年政府信息公开工作年度报告</a></td><td>2025-01-20</td></tr>
<tr><td><a href="c_2.htm">关于开展政务公开检查的通报</a></td><td>2024-11-02</td></tr></table>
<div class="pagebar">共30条 <a href="list.htm">首页</a> <a href="list_2.htm"> 下一页 </a> <a href="list_6.htm">尾页</a></div>
<div class="footer"><a href="/sitemap.htm">网站地图</a> 2024-01-01</div></body></html>"""


def test_generic_entries_pages_columns():
    r = html("http://g.test/nb/list.htm", GENERIC)
    fam = detect_family(r)
    assert fam.name == "generic"
    assert [e.url for e in fam.list_entries(r)] == ["http://g.test/nb/c_1.htm", "http://g.test/nb/c_2.htm"]
    assert [q.url for q in fam.list_pages(r)] == ["http://g.test/nb/list_2.htm", "http://g.test/nb/list_6.htm"]
    assert [c.url for c in fam.column_links(r)] == ["http://g.test/xxgk/nb/"]


def test_generic_gbk_page():
    r = html("http://g.test/nb/list.htm", GENERIC.replace("<head>", '<head><meta charset="gbk">'), "gbk")
    assert len(get_family("generic").list_entries(r)) == 2


def test_metadata_table():
    page = """<table class="xxgk"><tr><td>索引号：</td><td>014184867/2021-00001</td><td>发布机构：</td><td>太仓市资源规划局</td></tr>
    <tr><td>公开日期：</td><td>2021-01-22</td><td>主题分类：</td><td>政府信息公开年报</td></tr></table>"""
    meta = generic_metadata(html("http://g.test/a.htm", page))
    assert meta["索引号"] == "014184867/2021-00001" and meta["发布机构"] == "太仓市资源规划局"
    assert meta["公开日期"] == "2021-01-22"


def test_registry_has_families_in_priority_order():
    names = [f.name for f in families()]
    assert {"generic", "trs", "hanweb"} <= set(names) and names[-1] == "generic"
    with pytest.raises(KeyError):
        get_family("nope")


# ---------------------------------------------------------------- politeness, registry
def test_retry_after_parsing():
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    when = datetime.now(timezone.utc) + timedelta(seconds=90)
    assert 80 <= retry_after_seconds(format_datetime(when, usegmt=True)) <= 91
    past = datetime.now(timezone.utc) - timedelta(days=1)
    assert retry_after_seconds(format_datetime(past, usegmt=True)) == 0


def test_portal_registry():
    portals = load_portals(ROOT / "data" / "portals.csv")
    assert {"demo-trs", "demo-hanweb", "demo-other"} <= set(portals)
    real = [p for name, p in portals.items() if not name.startswith("demo-")]
    assert real and not any(p["verified"] for p in real)
    known = {f.name for f in families()}
    for name, p in portals.items():
        assert p["start_urls"] and p["allowed_domains"], name
        assert p["family"] in known, name
        if name.startswith("demo-"):
            assert all(u.startswith("http://") and ".demo.test:{demo_port}" in u for u in p["start_urls"])


def test_default_settings_are_polite():
    from scrapy.utils.project import get_project_settings
    s = get_project_settings()
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2 and s.getfloat("DOWNLOAD_DELAY") >= 1
    assert s.getint("DOWNLOAD_MAXSIZE") > 0 and "http" in s.get("USER_AGENT")
    assert s.getint("NIANBAO_SITE_PAGE_BUDGET") > 0 and s.getint("NIANBAO_MAX_LIST_PAGES") > 0
    assert s.getdict("DOWNLOADER_MIDDLEWARES").get("middlewares.politeness.PoliteRetryMiddleware")
