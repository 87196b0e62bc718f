"""compare_results: where an article page and its attachment disagree."""
from extraction.compare import compare_results, richer
from extraction.result import ExtractionResult


def res(cells, fmt="2021", year=2024, prov=None):
    r = ExtractionResult(fmt, meta={"report_year": year}, cells=dict(cells))
    r.provenance = dict(prov or {})
    return r


def test_agreeing_sources_give_no_findings():
    assert compare_results(res({"t3.new.total": 5, "t2.fees.amount": 1.5}), res({"t3.new.total": 5.0, "t2.fees.amount": 1.5})) == []


def test_differing_cells_are_listed_with_both_values():
    f = compare_results(res({"t3.new.total": 5, "t3.new.natural": 4}), res({"t3.new.total": 6, "t3.new.natural": 4},
                                                                            prov={"t3.new.total": "ocr"}))
    assert [x.rule for x in f] == ["sources_disagree"]
    assert f[0].data["cells"] == [{"code": "t3.new.total", "article": 5, "attachment": 6, "provenance": "ocr"}]


def test_missing_tables_in_the_article_are_not_a_disagreement_unless_strict():
    a, b = res({}), res({"t3.new.total": 6})
    assert compare_results(a, b) == []
    assert [x.rule for x in compare_results(a, b, strict=True)] == ["sources_incomplete"]


def test_year_and_format_disagreements():
    rules = [x.rule for x in compare_results(res({"a": 1}, "2019", 2020), res({"a": 1}, "2021", 2021))]
    assert rules == ["sources_disagree_format", "sources_disagree_year"]


def test_richer_prefers_more_cells_then_typed_text():
    full, partial = res({"a": 1, "b": 2}), res({"a": 1})
    assert richer(partial, full) is full
    typed, ocr = res({"a": 1}), res({"a": 1}, prov={"a": "ocr"})
    assert richer(ocr, typed) is typed
