"""Look-alikes, old reports, bad input and the ``scrapy extract`` command line."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extract_render import random_cells, render_html
from extraction import extract
from extraction.encoding import decode

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("title,body", [
    ("某某市人民政府2023年政府网站工作年度报表",
     "<table><tr><td>网站名称</td><td>某某市人民政府</td></tr><tr><td>总访问量</td><td>12345</td></tr></table>"),
    ("我市发布2023年政府信息公开工作年度报告",
     "<p>近日，某某市2023年政府信息公开工作年度报告正式发布，全年主动公开政府信息12345条。</p>"),
    ("关于印发中华人民共和国政府信息公开工作年度报告格式的通知", "<p>各省、自治区、直辖市人民政府办公厅：</p>"),
    ("关于某某县2022年政府信息公开工作年度报告的解读", "<p>一图读懂年度报告。</p>"),
], ids=["website_report", "news", "format_notice", "interpretation"])
def test_look_alikes_are_not_reports(title, body):
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    r = extract(page.encode(), filename="x.html")
    assert r.format == "not_a_report"
    assert not r.cells


def test_old_free_form_report_is_pre2019():
    page = ("<html><head><title>某县人民政府2016年政府信息公开工作年度报告</title></head><body>"
            "<h1>某县人民政府2016年政府信息公开工作年度报告</h1><p>一、概述</p><p>2016年主动公开信息1234条，"
            "受理依申请公开56件。</p><p>二、主动公开政府信息情况</p><p>全年公开信息1234条。</p></body></html>")
    r = extract(page.encode(), filename="x.html")
    assert r.format == "pre2019"
    assert r.meta["report_year"] == 2016
    assert not r.cells


def test_chinese_numeral_year_in_title():
    cells = random_cells("2021", random.Random(1))
    page = render_html(cells, "2021", "某某局二〇二三年政府信息公开工作年度报告")
    r = extract(page.encode(), filename="x.html")
    assert r.meta["report_year"] == 2023 and r.format == "2021"


@pytest.mark.parametrize("name,data,filename", [
    ("empty", b"", "x.html"),
    ("junk", bytes(random.Random(1).getrandbits(8) for _ in range(4000)), "x.bin"),
    ("junk_text", bytes(random.Random(2).getrandbits(8) for _ in range(4000)).replace(b"\x00", b"a"), "x.txt"),
    ("deep", b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000, "x.html"),
    ("spans", b"<table>" + b"<tr><td rowspan=99999 colspan=99999>1</td></tr>" * 300 + b"</table>", "x.html"),
    ("tags_only", b"<html><body><table><tr><td></td></tr></table></body></html>", "x.html"),
    ("long_line", b"<html><body><p>" + b"?" * 400_000 + "年度报告".encode() + b"</p></body></html>", "x.html"),
    ("long_text_line", "政府信息公开".encode() * 100_000 + b"\n1 2 3\n", "x.txt"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 and not v.startswith("x.") else "")
def test_bad_input_gives_a_result_not_an_exception(name, data, filename):
    t0 = time.perf_counter()
    r = extract(data, filename=filename)
    assert r.format in ("not_a_report", "unknown", "pre2019")
    assert time.perf_counter() - t0 < 10


def test_truncated_report_is_partial_with_findings():
    cells = random_cells("2021", random.Random(4), null_rate=0)
    page = render_html(cells, "2021", "某某局2023年政府信息公开工作年度报告").encode()
    cut = page[: page.index("（五）不予处理".encode())]
    r = extract(cut, filename="x.html")
    assert r.format == "2021"
    assert r.cells["t3.new.total"] == cells["t3.new.total"]
    assert r.cells["t4.review.total"] is None
    assert any(f.rule == "missing_cell" for f in r.findings)


def test_table_with_a_row_missing_keeps_the_others_in_place():
    cells = random_cells("2021", random.Random(6), null_rate=0)
    page = render_html(cells, "2021", "某某局2023年政府信息公开工作年度报告")
    start = page.index("<tr><td>3.危及")
    end = page.index("</tr>", start) + 5
    r = extract((page[:start] + page[end:]).encode(), filename="x.html")
    assert r.cells["t3.denied.security_stability.total"] is None
    assert r.cells["t3.denied.third_party.total"] == cells["t3.denied.third_party.total"]
    assert r.cells["t3.denied.law_forbidden.total"] == cells["t3.denied.law_forbidden.total"]


def test_encoding_prefers_the_bytes_over_a_lying_declaration():
    text = "<meta charset=\"gbk\"><p>沭阳县政府信息公开</p>"
    d = decode(text.encode("utf-8"))
    assert "沭阳县" in d.text and d.encoding == "utf-8"
    d = decode(text.replace("gbk", "utf-8").encode("gb18030"))
    assert "沭阳县" in d.text and any(f.rule == "charset_mismatch" for f in d.findings)
    d = decode(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert d.text.startswith("<meta")
    d = decode("政府信息公开".encode("gbk"), transport="gbk", markup=False)
    assert d.text == "政府信息公开"


def test_cli_prints_one_json_line_per_file_and_fails_for_unreadable(tmp_path):
    cells = random_cells("2019", random.Random(8))
    good = tmp_path / "r.html"
    good.write_bytes(render_html(cells, "2019", "某某局2020年政府信息公开工作年度报告").encode("gbk"))
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    missing = tmp_path / "nope.html"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "extract", str(good), str(junk), str(missing)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert [x["source"] for x in lines] == [str(good), str(junk), str(missing)]
    first = lines[0]
    assert first["format"] == "2019" and first["meta"]["report_year"] == 2020
    assert set(first["cells"]) >= {c for c in cells}
    assert all(first["cells"][c] == v or abs(first["cells"][c] - v) < 1e-6
               for c, v in cells.items() if v is not None)
    assert lines[2]["findings"][0]["rule"] == "unreadable_file"
    assert proc.returncode != 0
