"""Red-team cases: real gold values in the shapes real portals publish, and look-alikes.

Each case failed or was at risk once; the renderer (``extract_official``) prints the official
templates as TRS/Hanweb portals serve them. Values come from the corpus gold, so the truth is known.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import extract_official as O
from extract_render import wrong_cells
from extraction import extract, spec

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


def _gold(slug: str) -> dict:
    return json.loads((CORPUS / slug / "gold.json").read_text(encoding="utf-8"))["cells"]


G21 = _gold("huaian-szf-2024")
G19 = _gold("taicang-zrzy-2020")


def _official(cells: dict, fmt: str, title: str, blank: str = "0", split: bool = False, numfmt=None,
              heading: str | None = None) -> bytes:
    t2 = O.t2_html_2021(cells, blank, numfmt=numfmt, split=split) if fmt == "2021" \
        else O.t2_html_2019(cells, blank, numfmt=numfmt, split=split)
    return O.page(title, fmt, t2, O.t3_html(cells, fmt, blank, numfmt=numfmt),
                  O.t4_html(cells, fmt, blank, numfmt=numfmt), heading=heading).encode()


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize("blank,split", [("0", False), ("", True), ("/", False), ("—", True), ("无", False),
                                         ("&nbsp;", True)])
def test_official_template_as_trs_publishes_it(fmt, blank, split):
    gold = G21 if fmt == "2021" else G19
    cells = {k: (None if i % 17 == 0 else v) for i, (k, v) in enumerate(gold.items())}
    truth = {k: (0 if v is None and blank == "0" else v) for k, v in cells.items()}
    year = 2024 if fmt == "2021" else 2020
    r = extract(_official(cells, fmt, f"某某市人民政府{year}年政府信息公开工作年度报告", blank, split), filename="x.html")
    assert (r.format, r.meta["report_year"]) == (fmt, year)
    assert not wrong_cells(truth, r.cells)


@pytest.mark.parametrize("title,agency", [
    ("2020年度某某县人民政府信息公开工作年度报告", "某某县人民政府"),
    ("某某县人民政府政府信息公开工作年度报告（2020年度）", "某某县人民政府"),
    ("关于某某县人民政府2020年政府信息公开工作年度报告的报告", "某某县人民政府"),
])
def test_agency_when_title_shares_政府_with_the_subject(title, agency):
    r = extract(_official(G19, "2019", title), filename="x.html")
    assert (r.format, r.meta["report_year"], r.meta["agency"]) == ("2019", 2020, agency)


def test_breadcrumb_above_the_heading_is_not_part_of_the_title():
    page = ("<html><head><title>x</title></head><body><div>首页 &gt; 政务公开</div>"
            "<h1>某某市某某局政府信息公开工作年度报告</h1><p>一、概述</p><p>2018年主动公开信息1234条。</p>"
            "<p>二、主动公开政府信息情况</p><p>略。</p><p>三、依申请公开政府信息情况</p><p>受理申请56件。</p>"
            "<p>四、政府信息公开的收费及减免情况</p><p>无。</p><p>五、存在的主要问题和改进措施</p></body></html>")
    r = extract(page.encode(), filename="x.html")
    assert r.meta["title"] == "某某市某某局政府信息公开工作年度报告"
    assert r.format == "pre2019"


_NEWS = ("<p>近日，《某某市2023年政府信息公开工作年度报告》正式发布。2023年全市新收政府信息公开申请1234件，"
         "上年结转政府信息公开申请数量56件，予以公开789件，部分公开12件，属于国家秘密0件。结转下年度继续办理45件。"
         "因政府信息公开工作被申请行政复议12件，结果维持10件。</p>")
_INDEX = "<ul>" + "".join(f'<li><a href="/a{y}.html">某某市人民政府{y}年政府信息公开工作年度报告</a>'
                          f"<span>{y + 1}-01-20</span></li>" for y in range(2015, 2025)) + "</ul>"


@pytest.mark.parametrize("title,body", [
    ("【权威发布】2023年某某市政府信息公开工作年度报告", _NEWS),
    ("某某市人民政府2023年政府信息公开工作年度报告", _INDEX),
], ids=["news_with_report_title", "index_page_with_report_title"])
def test_report_title_without_tables_or_sections_is_not_a_report(title, body):
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div>{body}</div></body></html>"
    r = extract(page.encode(), filename="x.html")
    assert r.format == "not_a_report" and not r.cells


def test_report_with_unreadable_tables_keeps_its_format():
    """Tables as images: the statutory sections are printed, so it is a report with null cells."""
    title = "某某市人民政府2023年政府信息公开工作年度报告"
    body = ("<p>一、总体情况</p><p>全年主动公开信息1234条。</p><p>二、主动公开政府信息情况</p><p><img src=t2.png></p>"
            "<p>三、收到和处理政府信息公开申请情况</p><p><img src=t3.png></p><p>四、政府信息公开行政复议、行政诉讼情况</p>"
            "<p>五、存在的主要问题及改进情况</p><p>略。</p>")
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    r = extract(page.encode(), filename="x.html")
    assert r.format == "2021" and r.meta["report_year"] == 2023


@pytest.mark.parametrize("extra,published", [
    ("", "2024-01-18"),                                  # only the publication date (due by end of January)
    ("2023年，我局认真贯彻落实《条例》。", "2024-03-02"),  # the year the narrative speaks of
], ids=["publication_date", "narrative_year"])
def test_report_year_when_the_title_names_none(extra, published):
    t2, t3, t4 = O.t2_html_2021(G21), O.t3_html(G21, "2021"), O.t4_html(G21, "2021")
    page = O.page("某某市某某局政府信息公开工作年度报告", "2021", t2, t3, t4, published=published)
    page = page.replace("（一）主动公开。", "（一）主动公开。" + extra)
    r = extract(page.encode(), filename="x.html")
    assert (r.format, r.meta["report_year"]) == ("2021", 2023)
    assert not wrong_cells(G21, r.cells)


@pytest.mark.parametrize("style", ["words", "short_words", "sign_or_flat"])
def test_2019_change_column_printed_in_words(style):
    """本年增/减 as 增加5/减少7, 增5/减7, or +5/-7/持平: still value cells of their row."""
    cells = dict(G19)
    cells.update({"t2.licensing.change": 5, "t2.penalty.change": -7, "t2.coercion.change": 0})

    def printed(code, v):
        if spec.cell("2019", code).kind != "signed":
            return str(v)
        if style == "words":
            return f"增加{v}" if v > 0 else (f"减少{-v}" if v < 0 else "0")
        if style == "short_words":
            return f"增{v}" if v > 0 else (f"减{-v}" if v < 0 else "0")
        return f"{v:+d}" if v else "持平"

    truth = dict(cells)
    if style == "sign_or_flat":
        truth.update({c: None for c in cells if spec.cell("2019", c).kind == "signed" and cells[c] == 0})
    r = extract(_official(cells, "2019", "某某局2020年政府信息公开工作年度报告", numfmt=printed), filename="x.html")
    assert r.format == "2019"
    assert not wrong_cells(truth, r.cells)
    if style == "sign_or_flat":
        assert r.raw["t2.coercion.change"] == "持平"


@pytest.mark.parametrize("title,agency", [
    ("某某局政府信息公开工作年度报告（2023）", "某某局"),
    ("某某局2023政府信息公开工作年度报告", "某某局"),
    ("2023某某局政府信息公开工作年度报告", "某某局"),
])
def test_title_year_printed_without_年(title, agency):
    t2, t3, t4 = O.t2_html_2021(G21), O.t3_html(G21, "2021"), O.t4_html(G21, "2021")
    # published mid-year and no year in the narrative: only the title can name the year
    r = extract(O.page(title, "2021", t2, t3, t4, published="2024-07-18").encode(), filename="x.html")
    assert (r.format, r.meta["report_year"], r.meta["agency"]) == ("2021", 2023, agency)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_table2_item_one_printed_transposed(fmt):
    """信息内容 | 规章 | 行政规范性文件 as the header, one row per column heading."""
    gold = G21 if fmt == "2021" else G19
    cols = [("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数")] if fmt == "2021" \
        else [("made", "本年新制作数量"), ("published", "本年新公开数量"), ("total", "对外公开总数量")]
    item1 = ("<table border=1><tr><td colspan=3>第二十条第（一）项</td></tr><tr><td>信息内容</td><td>规章</td>"
             "<td>行政规范性文件</td></tr>" + "".join(
                 f"<tr><td>{lab}</td><td>{gold['t2.regulations.' + c]}</td><td>{gold['t2.normative_docs.' + c]}</td></tr>"
                 for c, lab in cols) + "</table>")
    full = O.t2_html_2021(gold, split=True) if fmt == "2021" else O.t2_html_2019(gold, split=True)
    t2 = item1 + full.split("</table>", 1)[1]
    year = 2023 if fmt == "2021" else 2020
    page = O.page(f"某某局{year}年政府信息公开工作年度报告", fmt, t2, O.t3_html(gold, fmt), O.t4_html(gold, fmt))
    r = extract(page.encode(), filename="x.html")
    assert r.format == fmt and not wrong_cells(gold, r.cells)
    assert any(f.rule == "t2_transposed" for f in r.findings)


@pytest.mark.parametrize("enc,filename", [("utf-16-le", "x.html"), ("utf-16-be", "x.htm"), ("utf-16-le", "x.txt")])
def test_utf16_without_bom(enc, filename):
    """Word's "Unicode" web pages and text exports: UTF-16 without a BOM is text, not binary."""
    page = _official(G21, "2021", "某某局2024年政府信息公开工作年度报告").decode()
    if filename.endswith(".txt"):
        import re
        page = re.sub(r"<[^>]+>", "\n", page)
    r = extract(page.replace("charset=utf-8", "charset=unicode").encode(enc), filename=filename)
    assert (r.format, r.meta["report_year"]) == ("2021", 2024)
    assert not wrong_cells(G21, r.cells)


@pytest.mark.parametrize("where", ["after_other", "before_commercial"])
def test_table3_with_a_subtotal_column_for_organisations(where):
    """法人或其他组织 printed with a 小计 column: eight numbers a row; the subtotal is no cell."""
    orgs = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    heads = orgs + ["小计"] if where == "after_other" else ["小计"] + orgs
    rows = ['<table border=1><tr><td colspan=3 rowspan=3>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）'
            '</td><td colspan=8>申请人情况</td></tr><tr><td rowspan=2>自然人</td><td colspan=6>法人或其他组织</td>'
            '<td rowspan=2>总计</td></tr><tr>' + "".join(f"<td>{h}</td>" for h in heads) + "</tr>"]
    for code, levels in O.T3_2021:
        vals = [G21[f"{code}.{c}"] for c in O.T3_COLS]
        sub = sum(vals[1:6])
        vals = vals[:6] + [sub] + vals[6:] if where == "after_other" else vals[:1] + [sub] + vals[1:]
        rows.append(f'<tr><td colspan=3>{"/".join(levels)}</td>' + "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    t3 = "".join(rows) + "</table>"
    page = O.page("某某局2024年政府信息公开工作年度报告", "2021", O.t2_html_2021(G21), t3, O.t4_html(G21, "2021"))
    r = extract(page.encode(), filename="x.html")
    assert r.format == "2021" and not wrong_cells(G21, r.cells)
    assert any(f.rule == "t3_subtotal_column" for f in r.findings)


@pytest.mark.parametrize("title", [
    "国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知",
    "中华人民共和国政府信息公开工作年度报告格式",
])
def test_format_notice_with_the_blank_template_is_not_a_report(title):
    """The notice prints the statutory tables with empty cells: rows, but no numbers."""
    empty = {k: None for k in G21}
    r = extract(_official(empty, "2021", title, blank=""), filename="x.html")
    assert r.format == "not_a_report" and not r.cells


def test_report_issued_by_a_关于印发_notice_is_a_report():
    """关于印发…年度报告的通知 whose body is the report with its numbers: the numbers decide."""
    r = extract(_official(G21, "2021", "关于印发某某局2023年政府信息公开工作年度报告的通知"), filename="x.html")
    assert (r.format, r.meta["report_year"]) == ("2021", 2023) and not wrong_cells(G21, r.cells)
