"""DOCX reader: python-docx-written reports (real gold values, official layout, real merges)."""
from __future__ import annotations

import io

import pytest

from conftest import CORPUS, load_gold
from doccheck import compare, extract_wrong, find_tables
import docgen
from extraction.api import ExtractOptions, extract, read_document
from extraction.docx import read_docx, read_docx_direct

SLUGS = ["huaian-szf-2024", "hongze-qzf-2023", "shanghai-bgt-2025", "shuyang-xzf-2025"]


@pytest.mark.parametrize("slug", SLUGS)
def test_docx_cells_in_place(slug):
    path = docgen.docx_fixture(slug)
    doc = read_docx(path.read_bytes(), ExtractOptions())
    gold = load_gold(CORPUS / slug)
    checked, wrong = compare(doc, gold)
    assert checked >= 180 and wrong == []
    assert doc.title == gold["meta"]["title"]
    assert doc.source_kind == "docx"


E2E_SLUGS = SLUGS + ["shanghai-stcsm-2024", "shuyang-fgj-2023", "hongze-qzf-2024",
                     "taicang-zrzy-2020", "shanghai-bgt-2019"]  # the last two in the 2019 layout


@pytest.mark.parametrize("slug", E2E_SLUGS)
def test_docx_through_extract_matches_gold(slug):
    """Reader + interpreter: every cell of the format, nulls included, format and year."""
    path = docgen.docx_fixture(slug)
    gold = load_gold(CORPUS / slug)
    result = extract(path.read_bytes(), filename=path.name)
    assert result.source_kind == "docx"
    assert result.format == gold["meta"]["format"]
    assert result.meta.get("report_year") == gold["meta"]["report_year"]
    assert extract_wrong(result, gold) == []
    assert result.provenance == {}


def test_merges_become_spans():
    doc = read_docx_direct(docgen.docx_fixture("huaian-szf-2024").read_bytes())
    t3 = find_tables(doc)[3]
    spans = {c.text: (c.rowspan, c.colspan) for row in t3.rows for c in row}
    assert spans["三、本年度办理结果"] == (22, 1)          # vMerge restart + 21 continuations
    assert spans["（三）不予公开"] == (8, 1)
    assert spans["申请人情况"] == (1, 7)                  # gridSpan
    assert spans[docgen.T3_NOTE] == (3, 3)                # both at once
    # every row of the expanded grid is 10 slots wide: no cell shifted
    assert {len(r) for r in t3.grid()} == {10}


def test_body_order_paragraphs_and_tables():
    doc = read_docx_direct(docgen.docx_fixture("huaian-szf-2024").read_bytes())
    tables = find_tables(doc)
    for head, n in (("二、主动公开政府信息情况", 2), ("三、收到和处理政府信息公开申请情况", 3),
                    ("四、政府信息公开行政复议、行政诉讼情况", 4)):
        at = doc.blocks.index(head)
        assert doc.blocks[at + 1] is tables[n]
    assert doc.blocks[0] == load_gold(CORPUS / "huaian-szf-2024")["meta"]["title"]


def test_nested_table_in_layout_frame():
    doc = read_docx_direct(docgen.docx_fixture("huaian-szf-2024", nested=True).read_bytes())
    gold = load_gold(CORPUS / "huaian-szf-2024")
    checked, wrong = compare(doc, gold)
    assert wrong == []
    assert "表二" in doc.blocks  # the frame's own text survives, before the nested table
    assert doc.blocks.index("表二") < doc.blocks.index(find_tables(doc)[2])


def test_nested_table_in_a_data_table_follows_its_parent():
    import docx
    d = docx.Document()
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "信息内容", "本年处理决定数量"
    t.cell(1, 0).text = "行政许可"
    inner = t.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "12", "件"
    d.add_paragraph("after")
    buf = io.BytesIO()
    d.save(buf)
    doc = read_docx_direct(buf.getvalue())
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Table", "Table", "str"]
    assert [[c.text for c in r] for r in doc.blocks[1].rows] == [["12", "件"]]
    assert any(f.rule == "docx_nested_table" for f in doc.findings)


def test_docx_through_api_with_a_lying_extension():
    data = docgen.docx_fixture("hongze-qzf-2024").read_bytes()
    doc = read_document(data, ExtractOptions(filename="report.pdf", content_type="application/pdf"))
    assert doc.source_kind == "docx"
    assert len(find_tables(doc)) == 3
