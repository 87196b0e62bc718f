"""Every gold cell of every real report in the corpus, through the public ``extract()``."""
from __future__ import annotations

import pytest

from conftest import corpus_entries, load_gold, source_of
from extraction import extract

ENTRIES = corpus_entries()


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


@pytest.fixture(scope="module")
def results():
    cache: dict = {}

    def get(entry):
        if entry.name not in cache:
            src = source_of(entry)
            cache[entry.name] = extract(src.read_bytes(), filename=src.name)
        return cache[entry.name]
    return get


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_corpus_report(entry, results):
    gold = load_gold(entry)
    if source_of(entry).suffix == ".pdf":
        pytest.importorskip("pdfplumber")
    r = results(entry)
    assert r.format == gold["meta"]["format"]
    assert r.meta["report_year"] == gold["meta"]["report_year"]
    wrong = {c: (v, r.cells.get(c, "MISSING")) for c, v in gold["cells"].items()
             if not (c in r.cells and _same(r.cells[c], v))}
    assert not wrong, f"{len(wrong)} wrong cells: {dict(list(wrong.items())[:8])}"
    # the title as printed (OCR slips aside), and printed metadata where the gold records it
    if "title_as_printed" not in gold["meta"]:
        assert r.meta["title"] == gold["meta"]["title"]
    for key in ("index_no", "published"):
        if key in gold["meta"]:
            assert r.meta.get(key) == gold["meta"][key], key
    # rules the source itself breaks are reported, never fixed
    rules = {f.rule for f in r.findings}
    for inc in gold.get("source_inconsistencies") or []:
        assert inc["rule"] in rules
    if any("layout_hybrid" in q for q in gold.get("quirks", [])):
        assert "layout_hybrid" in rules
    # every non-null cell keeps the text it was read from
    for c, v in r.cells.items():
        if v is not None:
            assert r.raw.get(c), c


def test_raw_keeps_printed_text(results):
    entry = next(e for e in ENTRIES if e.name == "taicang-zrzy-2020")
    r = results(entry)
    assert r.raw["t2.licensing.change"] == "+9"
    assert r.raw["t2.procurement.amount"] == "2596.4955万元"
    assert r.cells["t2.procurement.amount"] == pytest.approx(2596.4955)


def test_shattered_tables_say_order_was_used(results):
    entry = next(e for e in ENTRIES if e.name == "shanghai-stcsm-2024")
    rules = {f.rule for f in results(entry).findings}
    assert "order_fallback" in rules
