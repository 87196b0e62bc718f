"""PDF reader: the real corpus PDFs and LibreOffice-made PDFs, checked cell by cell."""
from __future__ import annotations

import pytest

from conftest import CORPUS, load_gold
from doccheck import compare, extract_wrong, find_tables
import docgen
from extraction.api import ExtractOptions, extract, read_document
from extraction.document import Table
from extraction.pdf import _Cell, _PTable, _merge, read_pdf, read_pdf_direct
from extraction.document import Document
from extraction.textnorm import is_page_number, join_wrapped, squeeze

PDF_SLUGS = ["hongze-qzf-2023", "hongze-qzf-2024", "huaian-szf-2024"]


@pytest.fixture(scope="module")
def corpus_docs() -> dict[str, Document]:
    return {s: read_pdf((CORPUS / s / "source.pdf").read_bytes(), ExtractOptions()) for s in PDF_SLUGS}


@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_corpus_pdf_cells_in_place(corpus_docs, slug):
    doc = corpus_docs[slug]
    checked, wrong = compare(doc, load_gold(CORPUS / slug))
    assert checked >= 180
    assert wrong == []


@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_corpus_pdf_tables_stitched_across_pages(corpus_docs, slug):
    doc = corpus_docs[slug]
    tables = find_tables(doc)
    assert set(tables) == {2, 3, 4}
    # table 3 runs over a page break in every one of these PDFs: one table, 3 header rows + data
    t3 = tables[3]
    rows = t3.grid()
    assert len(rows) >= 3 + 23  # 23 outcome rows in hybrid layouts, 25 in the full 2021 one
    assert any(f.rule == "pdf_table_continued" for f in doc.findings)
    # the vertical label is one cell spanning the outcome rows, its characters joined
    labels = [c for row in t3.rows for c in row if c.text == "三、本年度办理结果"]
    assert len(labels) == 1 and labels[0].rowspan >= 20
    # the label broken by the page break ('（四）无' / '法提供' in huaian) is one cell again
    assert [c.rowspan for row in t3.rows for c in row if c.text == "（四）无法提供"] == [3]


@pytest.mark.parametrize("slug", PDF_SLUGS)
def test_corpus_pdf_text_lines(corpus_docs, slug):
    doc = corpus_docs[slug]
    lines = [b for b in doc.blocks if isinstance(b, str)]
    assert not any(is_page_number(x, in_margin=False) for x in lines), "page numbers '- N -' must be removed"
    heads = ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
             "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    idx = [lines.index(h) for h in heads]
    assert idx == sorted(idx)
    # each statutory table sits right after its heading (reading order across blocks)
    for h, n in zip(heads[:3], (2, 3, 4)):
        at = doc.blocks.index(h)
        assert doc.blocks[at + 1] is find_tables(doc)[n]
    # white background boxes behind text lines are not tables
    assert all(len(t.grid()[0]) >= 2 for t in doc.tables())


def test_title_from_pdf_properties(corpus_docs):
    assert corpus_docs["hongze-qzf-2023"].title == "洪泽区人民政府2023年政府信息公开工作年度报告"


def test_squeeze_and_wrap():
    assert squeeze("2023 年 ， 电 话 ： 0517-87222589") == "2023年，电话：0517-87222589"
    assert squeeze("hello  world") == "hello world"
    assert join_wrapped(["三", "、", "本", "年"]) == "三、本年"
    assert join_wrapped(["商业", "企业"]) == "商业企业"
    assert join_wrapped(["Total", "count"]) == "Total count"
    assert is_page_number("- 3 -") and is_page_number("— 12 —") and is_page_number("第 3 页 共 9 页")
    assert not is_page_number("2023", in_margin=False)  # body text, not in a margin
    assert is_page_number("7", in_margin=True)


def _pt(rows, page):
    return _PTable([[_Cell(r, x0, x1, rs, text) for (x0, x1, rs, text) in row] for r, row in enumerate(rows)],
                   0, 300, 0, 100, 800, f"pdf page {page} table 1", [page])


def test_merge_repeated_header_and_split_label():
    head = [(0, 100, 1, "label"), (100, 200, 1, "A"), (200, 300, 1, "B")]
    prev = _pt([head,
                [(0, 100, 2, "（一）无"), (100, 200, 1, "1"), (200, 300, 1, "2")],
                [(100, 200, 1, "3"), (200, 300, 1, "4")]], 1)
    # the lower half of the merged label sits in the first row of the next page, header repeated
    nxt = _pt([head,
               [(0, 100, 2, "法提供"), (100, 200, 1, "5"), (200, 300, 1, "6")],
               [(100, 200, 1, "7"), (200, 300, 1, "8")],
               [(0, 100, 1, "（二）其他"), (100, 200, 1, "9"), (200, 300, 1, "10")]], 2)
    doc = Document("pdf")
    _merge(prev, nxt, doc)
    t = prev.to_table()
    grid = [[c.text for c in row] for row in t.grid()]
    assert grid == [["label", "A", "B"], ["（一）无法提供", "1", "2"], ["（一）无法提供", "3", "4"],
                    ["（一）无法提供", "5", "6"], ["（一）无法提供", "7", "8"], ["（二）其他", "9", "10"]]
    assert {f.rule for f in doc.findings} == {"pdf_header_repeated", "pdf_table_continued"}


def test_merge_row_broken_by_page():
    prev = _pt([[(0, 100, 1, "5.要求行政机关确认或重新出"), (100, 200, 1, "1"), (200, 300, 1, "2")]], 1)
    nxt = _pt([[(0, 100, 1, "具已获取信息"), (100, 200, 1, ""), (200, 300, 1, "")],
               [(0, 100, 1, "（六）其他处理"), (100, 200, 1, "0"), (200, 300, 1, "0")]], 2)
    _merge(prev, nxt, Document("pdf"))
    grid = [[c.text for c in row] for row in prev.to_table().grid()]
    assert grid == [["5.要求行政机关确认或重新出具已获取信息", "1", "2"], ["（六）其他处理", "0", "0"]]


def test_extension_lies_pdf_named_docx():
    data = (CORPUS / "huaian-szf-2024" / "source.pdf").read_bytes()
    doc = read_document(data, ExtractOptions(filename="report.docx"))
    assert doc.source_kind == "pdf" and len(find_tables(doc)) == 3


@pytest.mark.slow
@pytest.mark.parametrize("slug,repeat_header", [("huaian-szf-2024", True), ("hongze-qzf-2023", False)])
def test_libreoffice_pdf_cells(slug, repeat_header):
    """python-docx → LibreOffice PDF: table 3 runs over several pages (header repeated or not),
    table 4 is on a landscape page."""
    if not docgen.have("soffice"):
        pytest.skip("LibreOffice not installed")
    path = docgen.pdf_fixture(slug, repeat_header)
    doc = read_pdf(path.read_bytes(), ExtractOptions())
    checked, wrong = compare(doc, load_gold(CORPUS / slug))
    assert checked >= 180 and wrong == []
    assert doc.title == load_gold(CORPUS / slug)["meta"]["title"]
    continued = [f for f in doc.findings if f.rule == "pdf_table_continued"]
    assert continued, "table 3 must span pages in this fixture"
    assert any(f.rule == "pdf_header_repeated" for f in doc.findings) == repeat_header
    result = extract(path.read_bytes(), filename=path.name)
    assert result.format == "2021" and extract_wrong(result, load_gold(CORPUS / slug)) == []
    import pdfplumber
    with pdfplumber.open(str(path)) as pdf:
        assert any(p.width > p.height for p in pdf.pages), "fixture must have a landscape page"


def test_many_pages_are_capped(tmp_path):
    from badfiles import many_page_pdf
    data = many_page_pdf(120)
    doc = read_pdf(data, ExtractOptions(max_pages=10))
    f = [x for x in doc.findings if x.rule == "too_many_pages"]
    assert f and f[0].data["pages"] == 120
    assert sum(1 for b in doc.blocks if isinstance(b, str) and b.startswith("page")) == 10


@pytest.mark.slow
@pytest.mark.parametrize("slug,repeat_header", [("huaian-szf-2024", False), ("hongze-qzf-2023", True)])
def test_unruled_pdf_cells(slug, repeat_header):
    """Borders off: columns come from word positions; wrapped labels of two narrow label columns
    go back to the row of their values; table 3 continues over pages (header repeated or not)."""
    if not docgen.have("soffice"):
        pytest.skip("LibreOffice not installed")
    gold = load_gold(CORPUS / slug)
    path = docgen.pdf_fixture(slug, repeat_header, ruled=False)
    doc = read_pdf(path.read_bytes(), ExtractOptions())
    tables = find_tables(doc)
    assert {3, 4} <= set(tables)
    checked, wrong = compare(doc, gold)
    # table 2 prints as captioned sub-tables; its later parts are read by the interpreter
    assert [w for w in wrong if not w[0].startswith("t2.")] == []
    assert checked - len(wrong) >= 180
    labels = [[c.text for c in r if c is not None] for r in tables[3].grid()]
    assert any(r[:3] == ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"] for r in labels)
    assert any(r[:3] == ["三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"] for r in labels)
    result = extract(path.read_bytes(), filename=path.name)
    assert result.format == "2021" and extract_wrong(result, gold) == []


#: unruled layout variants (docgen.STYLES) and the t2 codes a variant may still miss: with 1.2 cm
#: label columns the 行政处罚 label wraps over the page break ("行政" / "处罚")
UNRULED_VARIANTS = [("narrow", False, {"t2.penalty.decisions", "t2.coercion.decisions"}),
                    ("wide", True, set()), ("centred", False, set()), ("landscape", False, set())]


@pytest.mark.slow
def test_unruled_pdf_layout_variants():
    """Borders off at other label widths, cells centred vertically (labels wrap above and below
    their values), every page landscape, page numbers in the footer: every value through
    extract() in its cell; top-aligned layouts also cell by cell at reader level."""
    if not docgen.have("soffice"):
        pytest.skip("LibreOffice not installed")
    slug = "huaian-szf-2024"
    gold = load_gold(CORPUS / slug)
    paths = docgen.pdf_fixtures([(slug, rh, False, style) for style, rh, _ in UNRULED_VARIANTS])
    for (style, _rh, may_miss), path in zip(UNRULED_VARIANTS, paths):
        data = path.read_bytes()
        result = extract(data, filename=path.name)
        wrong = extract_wrong(result, gold)
        assert result.format == "2021", style
        assert {w[0] for w in wrong} <= may_miss, (style, wrong)
        doc = read_pdf(data, ExtractOptions())
        tables = find_tables(doc)
        assert {3, 4} <= set(tables), style
        lines = [b for b in doc.blocks if isinstance(b, str)]
        assert not any(is_page_number(x, in_margin=False) for x in lines), style
        # centred: merged labels sit mid-group of their rows (rows right, spans not)
        if style != "centred":
            checked, bad = compare(doc, gold)
            assert [w for w in bad if not w[0].startswith("t2.")] == [], style


def _chars(x: float, top: float, text: str, size: float = 9.0) -> list[dict]:
    return [{"text": ch, "x0": x + i * size, "x1": x + (i + 1) * size, "top": top, "bottom": top + size,
             "size": size, "upright": True} for i, ch in enumerate(text)]


def test_unruled_columns_from_word_positions():
    """Two narrow label columns wrapped over three lines (top-aligned cells) and a label wrapped
    *above* its value line (centred cells): each piece lands in its row and column."""
    from extraction.pdf import _line_groups, _unruled
    rows = [  # (x, top, text) pieces; values at x >= 200
        (90, 100, "项目"), (200, 100, "甲类"), (250, 100, "乙类"), (300, 100, "合计"),
        (90, 130, "（三）"), (133, 130, "1.属于"), (200, 130, "2"), (250, 130, "0"), (300, 130, "2"),
        (90, 142, "不予公"), (133, 142, "国家秘"),
        (90, 154, "开"), (133, 154, "密"),
        (133, 180, "2.其他"), (200, 180, "30"), (250, 180, "1"), (300, 180, "31"),
        (133, 192, "法律"),
        (90, 218, "（四）总计"), (200, 224, "32"), (250, 224, "1"), (300, 224, "33"),
        (90, 230, "全部"),
    ]
    chars = [c for x, top, text in rows for c in _chars(x, top, text)]

    class Page:
        height = 800.0

    tables: list = []
    left = _unruled(_line_groups(chars), Page(), 1, tables)
    assert left == [] and len(tables) == 1
    grid = [[c.text if c else None for c in r] for r in tables[0].to_table().grid()]
    assert grid == [["项目", "", "甲类", "乙类", "合计"],
                    ["（三）不予公开", "1.属于国家秘密", "2", "0", "2"],
                    ["（三）不予公开", "2.其他法律", "30", "1", "31"],
                    ["（四）总计全部", "", "32", "1", "33"]]


def test_prose_with_numbers_is_not_a_table():
    from extraction.pdf import _line_groups, _unruled
    text = "2024年，本机关共收到申请3119件，办结3050件，结转103件，同比增长12%，较上年有所增加。"
    chars = [c for i in range(4) for c in _chars(90, 100 + 15 * i, text[i * 5:] + text[:i * 5])]
    chars += _chars(90, 200, "一、总体情况") + _chars(90, 215, "联系电话") + _chars(200, 215, "0517") + _chars(300, 215, "87222589")

    class Page:
        height = 800.0

    tables: list = []
    left = _unruled(_line_groups(chars), Page(), 1, tables)
    assert tables == [] and len(left) == 6


def test_running_header_does_not_block_stitching():
    """A header line repeated in every page's top margin is dropped, so the table continued on
    the next page is still joined to its first half."""
    from extraction.pdf import stitch, _drop_running_lines
    doc = Document("pdf")
    prev = _pt([[(0, 100, 1, "规章"), (100, 200, 1, "1"), (200, 300, 1, "2")]], 1)
    nxt = _pt([[(0, 100, 1, "行政规范性文件"), (100, 200, 1, "3"), (200, 300, 1, "4")]], 2)
    blocks = [(1, 10.0, "某某区政府信息公开年报 第1页"), (1, 100.0, prev), (2, 10.0, "某某区政府信息公开年报 第2页"), (2, 100.0, nxt)]
    margin = {(1, 10.0, "某某区政府信息公开年报 第1页"), (2, 10.0, "某某区政府信息公开年报 第2页")}
    out = stitch(_drop_running_lines(blocks, margin, doc), doc)
    assert len(out) == 1 and [[c.text for c in r] for r in out[0].rows] == [["规章", "1", "2"], ["行政规范性文件", "3", "4"]]
    assert {f.rule for f in doc.findings} >= {"pdf_running_lines", "pdf_table_continued"}
