"""Round trips: random cell values rendered into the real-world shapes, extracted back exactly.

Each listed input shape has a test with known truth: Word-pasted HTML with rowspans and split
labels, tables split across ``<table>``s with repeated headers, GBK bytes under a lying
``<meta charset>``, UTF-8 with BOM, JS-escaped markup, one cell per line, a row per line,
markdown with lost labels, label variants, hybrid layouts, 2019 layouts in 2021 reports.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract_render import (Style, random_cells, render_html, render_markdown, render_one_cell_per_line,
                            render_row_per_line, wrong_cells)
from extraction import extract, spec


def _title(fmt: str, year: int | None = None) -> str:
    year = year or (2020 if fmt == "2019" else 2023)
    return f"某某县某某局{year}年政府信息公开工作年度报告"


def _check(truth: dict, data: bytes, filename: str, fmt: str):
    r = extract(data, filename=filename)
    assert r.format == fmt
    wrong = wrong_cells(truth, r.cells)
    assert not wrong, f"{len(wrong)} wrong: {dict(list(wrong.items())[:6])}"
    return r


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), fmt=st.sampled_from(spec.FORMATS), word=st.booleans(),
       split=st.booleans(), numbering=st.sampled_from(["official", "ascii", "none"]),
       quotes=st.booleans(), short=st.booleans(), blank=st.sampled_from(["", "&nbsp;", "/", "—"]),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]), lie=st.booleans())
def test_html_round_trip(seed, fmt, word, split, numbering, quotes, short, blank, enc, lie):
    rng = random.Random(seed)
    cells = random_cells(fmt, rng)
    style = Style(word_markup=word, split_tables=split, numbering=numbering, quotes=quotes,
                  short_normative=short, blank=blank, amount_unit=rng.choice(["万元", "元"]))
    declared = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gbk": "gbk", "gb18030": "gb18030"}[enc]
    if lie:
        declared = "utf-8" if declared != "utf-8" else "gbk"
    page = render_html(cells, fmt, _title(fmt), style, charset=declared)
    data = page.encode(enc)
    r = _check(cells, data, "report.html", fmt)
    assert r.meta["report_year"] == (2020 if fmt == "2019" else 2023)
    assert r.meta["index_no"] == "014314799/2024-00002"
    assert r.meta["published"] == "2024-01-17"
    if lie and enc in ("gbk", "gb18030"):
        assert any(f.rule == "charset_mismatch" for f in r.findings)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_one_cell_per_line(fmt):
    cells = random_cells(fmt, random.Random(7), null_rate=0)  # blanks cannot survive this layout
    _check(cells, render_one_cell_per_line(cells, fmt, _title(fmt)).encode("utf-8"), "r.txt", fmt)


@pytest.mark.parametrize("sep", [" ", "\t", "    "], ids=["space", "tab", "layout"])
@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_row_per_line_gb18030(fmt, sep):
    cells = random_cells(fmt, random.Random(11))
    blank = "" if sep == "\t" else "—"
    text = render_row_per_line(cells, fmt, _title(fmt), Style(blank=blank, numbering="ascii"), sep=sep)
    _check(cells, text.encode("gb18030"), "r.txt", fmt)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_markdown_with_lost_labels_uses_order(fmt):
    rng = random.Random(5)
    cells = random_cells(fmt, rng, null_rate=0)
    lost = {"t3.partial", "t3.denied.law_forbidden", "t3.unable.unclear", "t3.not_processed.confirm"}
    r = _check(cells, render_markdown(cells, fmt, _title(fmt), drop_labels=lost).encode(), "r.md", fmt)
    fb = [f for f in r.findings if f.rule == "order_fallback"]
    assert fb and set(fb[0].data["rows"]) == lost


def test_hybrid_layout_fills_single_other_row():
    cells = random_cells("2021", random.Random(3), hybrid=True)
    page = render_html(cells, "2021", _title("2021"), hybrid=True)
    r = _check(cells, page.encode(), "r.html", "2021")
    assert any(f.rule == "layout_hybrid" for f in r.findings)
    for sub in ("no_correction", "no_fee", "other"):
        assert r.cells[f"t3.other.{sub}.total"] is None


def test_2019_layout_in_a_2021_report_is_2019():
    """The format comes from the labels: a 2021 report printed in the old layout stays 2019."""
    cells = random_cells("2019", random.Random(9))
    r = _check(cells, render_html(cells, "2019", _title("2019", 2021)).encode(), "r.html", "2019")
    assert r.meta["report_year"] == 2021
    assert any(f.rule == "format_year_mismatch" for f in r.findings)


def test_js_escaped_markup():
    cells = random_cells("2019", random.Random(13))
    page = render_html(cells, "2019", _title("2019"), meta_table=False)
    body = page.split("<body>", 1)[1].split("</body>", 1)[0]
    js = ("let menu = [{\"id\": \"1\", \"name\": \"首页\"}];\nlet content = \""
          + body.replace("\\", "\\\\").replace('"', '\\"') + "\";\n")
    _check(cells, ("//字典项\n" * 300 + js).encode(), "app.txt", "2019")


def test_header_and_data_colspans_disagree():
    """本年增/减 spans two columns in the header, the first value spans two in the data row."""
    hdr = ('<tr><td>信息内容</td><td>上一年项目数量</td><td colspan="2">本年增/减</td><td>处理决定数量</td></tr>')
    row = ('<tr><td>行政许可</td><td colspan="2">12</td><td>-3</td><td>40</td></tr>')
    page = ("<html><body><h1>某局2020年政府信息公开工作年度报告</h1><p>二、主动公开政府信息情况</p>"
            f"<table><tr><td colspan=5>第二十条第（五）项</td></tr>{hdr}{row}</table>"
            "<p>三、收到和处理政府信息公开申请情况</p><table><tr><td>一、本年新收政府信息公开申请数量</td>"
            + "<td>1</td>" * 7 + "</tr></table></body></html>")
    r = extract(page.encode(), filename="r.html")
    assert r.format == "2019"
    assert (r.cells["t2.licensing.prev_count"], r.cells["t2.licensing.change"],
            r.cells["t2.licensing.decisions"]) == (12, -3, 40)


def test_unit_assumed_for_bare_2019_amount():
    cells = random_cells("2019", random.Random(17), null_rate=0)
    cells["t2.procurement.amount"] = 8040
    page = render_html(cells, "2019", _title("2019")).replace(">8040万元<", ">8040<")
    r = _check(cells, page.encode(), "r.html", "2019")
    assert any(f.rule == "unit_assumed" for f in r.findings)


def test_broken_rules_are_findings_not_fixes():
    cells = random_cells("2021", random.Random(19), null_rate=0)
    cells["t4.review.total"] = cells["t4.review.upheld"] + 1000
    r = _check(cells, render_html(cells, "2021", _title("2021")).encode(), "r.html", "2021")
    assert r.cells["t4.review.total"] == cells["t4.review.total"]
    assert any(f.rule == "t4.total" and f.data.get("group") == "review" for f in r.findings)


def test_json_api_content_with_unicode_escaped_markup():
    """gkmlpt-style JSON: the article HTML sits in a string with \\u003c escapes."""
    import json
    cells = random_cells("2021", random.Random(21))
    body = render_html(cells, "2021", "某某局关于2023年度政府信息公开工作情况的报告").split("<body>", 1)[1]
    data = json.dumps({"id": 1, "content": body}).replace("<", "\\u003c").replace(">", "\\u003e")
    r = _check(cells, data.encode(), "post.json", "2021")
    assert r.meta["report_year"] == 2023 and r.meta["agency"] == "某某局"


def test_subtotal_rows_of_groups_are_skipped():
    """Some reports print a subtotal on the （三）不予公开 group row; it is not a statutory row."""
    cells = random_cells("2021", random.Random(23), null_rate=0)
    page = render_html(cells, "2021", _title("2021"))
    sub = "<tr><td colspan=\"2\">（三）不予公开</td>" + "<td>999</td>" * 7 + "</tr>"
    at = page.index("<tr><td rowspan=\"8\">（三）不予公开")
    r = _check(cells, (page[:at] + sub + page[at:]).encode(), "r.html", "2021")
    assert not any(v == 999 for v in r.cells.values())


def test_table4_with_outcomes_as_rows():
    cells = random_cells("2021", random.Random(25), null_rate=0)
    page = render_html(cells, "2021", _title("2021"))
    start = page.index("<p><br/>四、")
    end = page.index("<p>五、")
    outcomes = [("结果维持", "upheld"), ("结果纠正", "corrected"), ("其他结果", "other"),
                ("尚未审结", "pending"), ("总计", "total")]
    t4 = "<table><tr><td></td><td>行政复议</td><td>未经复议直接起诉</td><td>复议后起诉</td></tr>" + "".join(
        f"<tr><td>{lab}</td>" + "".join(f"<td>{cells[f't4.{g}.{o}']}</td>" for g in
                                      ("review", "litigation_direct", "litigation_after_review")) + "</tr>"
        for lab, o in outcomes) + "</table>"
    page = page[:start] + "<p>四、政府信息公开行政复议、行政诉讼情况</p>" + t4 + page[end:]
    r = _check(cells, page.encode(), "r.html", "2021")
    assert any(f.rule == "t4_transposed" for f in r.findings)


def test_annotated_values_and_padded_rows():
    cells = random_cells("2021", random.Random(27), null_rate=0)
    page = render_html(cells, "2021", _title("2021"))
    v = cells["t3.new.natural"]
    page = page.replace(f"<td>一、本年新收政府信息公开申请数量</td>", "<td>一、本年新收政府信息公开申请数量</td>", 1)
    row_start = page.index("一、本年新收政府信息公开申请数量")
    cell_at = page.index(f"<td>{v}</td>", row_start)
    page = page[:cell_at] + f"<td>{v}<br/>（含网上申请2件）</td>" + page[cell_at + len(f"<td>{v}</td>"):]
    lic = cells["t2.licensing.decisions"]
    at = page.index("<td>行政许可</td>")
    page = page[:at] + "<td>行政许可</td><td></td>" + page[at + len("<td>行政许可</td>"):]
    r = _check(cells, page.encode(), "r.html", "2021")
    assert r.cells["t2.licensing.decisions"] == lic
    assert any(f.rule == "value_annotated" for f in r.findings)


def test_text_with_several_rows_of_numbers_on_one_line():
    cells = random_cells("2021", random.Random(29), null_rate=0)
    text = render_row_per_line(cells, "2021", _title("2021"))
    lines = text.splitlines()
    # the three （五） sub-rows lose their labels and share one line of 21 numbers
    idx = [i for i, ln in enumerate(lines) if ln.startswith(("1.信访", "2.重复申请", "3.要求提供"))]
    nums = " ".join(" ".join(lines[i].split()[1:]) for i in idx)
    lines[idx[0]] = nums
    for i in idx[1:][::-1]:
        del lines[i]
    r = _check(cells, "\n".join(lines).encode(), "r.txt", "2021")
    assert any(f.rule == "row_split" for f in r.findings)


def test_reduced_2019_table3_with_three_columns():
    """Some 2019 reports print only 自然人 | 法人或其他组织 | 总计: natural and total are read."""
    cells = random_cells("2019", random.Random(31), null_rate=0)
    page = render_html(cells, "2019", _title("2019"))
    import re
    def shrink(m):
        tds = re.findall(r"<td[^>]*>.*?</td>", m.group(0))
        labels, vals = tds[:-7], tds[-7:]
        org = sum(int(re.sub(r"<[^>]+>", "", v)) for v in vals[1:6])
        return "<tr>" + "".join(labels) + vals[0] + f"<td>{org}</td>" + vals[6] + "</tr>"
    start, end = page.index("<p>三、"), page.index("<p><br/>四、")
    t3 = re.sub(r"<tr>(?:(?!</tr>).)*</tr>", lambda m: shrink(m) if m.group(0).count("<td") >= 8 else m.group(0),
                page[start:end])
    r = extract((page[:start] + t3 + page[end:]).encode(), filename="r.html")
    assert r.format == "2019"
    for code in ("t3.new", "t3.granted", "t3.denied.third_party", "t3.total", "t3.carried_next"):
        assert r.cells[f"{code}.natural"] == cells[f"{code}.natural"]
        assert r.cells[f"{code}.total"] == cells[f"{code}.total"]
        assert r.cells[f"{code}.commercial"] is None
    assert any(f.rule == "t3_columns_reduced" for f in r.findings)


def test_tables_printed_twice_are_read_once_and_reported():
    cells = random_cells("2021", random.Random(33), null_rate=0)
    page = render_html(cells, "2021", _title("2021"))
    body = page.split("<body>", 1)[1].split("</body>", 1)[0]
    r = _check(cells, page.replace("</body>", body + "</body>").encode(), "r.html", "2021")
    assert any(f.rule == "duplicate_table" for f in r.findings)


def test_section_headings_in_the_narrative_do_not_capture_rows():
    """Section 一 reuses the table headings as sub-headings and has a statistics table of its own."""
    cells = random_cells("2021", random.Random(35), null_rate=0)
    page = render_html(cells, "2021", _title("2021"))
    prose = ("<p>（一）主动公开政府信息情况</p><p>全年主动公开信息1200条。</p>"
             "<p>（三）收到和处理政府信息公开申请情况</p><p>全年收到申请56件。</p>"
             "<p>（四）政府信息公开行政复议、行政诉讼情况</p>"
             "<table><tr><td>类别</td><td>一月</td><td>二月</td><td>三月</td><td>四月</td></tr>"
             + "".join(f"<tr><td>第{i}类</td>" + "<td>7</td>" * 4 + "</tr>" for i in range(5)) + "</table>"
             "<p>五、存在的主要问题及改进情况</p>")
    at = page.index("<p>二、主动公开政府信息情况</p>")
    r = _check(cells, (page[:at] + prose + page[at:]).encode(), "r.html", "2021")
    assert r.cells["t4.review.upheld"] == cells["t4.review.upheld"]


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_label_spellings_seen_in_real_reports(fmt):
    """Every row-label spelling of ``label_variants.csv`` replaces the official label in a page."""
    import re
    cells = random_cells(fmt, random.Random(37), null_rate=0)
    page = render_html(cells, fmt, _title(fmt))
    used = 0
    for v in spec.label_variants():
        m = re.fullmatch(r"(t3\.[a-z_]+(?:\.[a-z_]+)?)\.\*", v["code"])
        if v["format"] != fmt or not m or m.group(1) not in spec.rows(fmt, 3, include_optional=True):
            continue
        variant = re.sub(r"\s*\[.*?\]$", "", v["variant"]).replace("\\n", "<br/>")
        official = next(c for c in spec.cells(fmt, include_optional=True) if c.row == m.group(1))
        leaf = official.row_label.split(" [")[0].split("/")[-1]
        if f">{leaf}<" in page:
            page = page.replace(f">{leaf}<", f">{variant}<", 1)
            used += 1
    _check(cells, page.encode(), "r.html", fmt)
    if fmt == "2021":
        assert used >= 5
