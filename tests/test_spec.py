"""The project's copy of the spec tables and the rules module agree with the corpus gold."""
from __future__ import annotations

import pytest

from extraction import rules, spec
from extraction.values import parse_amount_wan_yuan, parse_count, parse_signed
from conftest import corpus_entries, load_gold


def test_cell_counts_match_spec():
    assert len(spec.codes("2019")) == 198
    assert len(spec.codes("2021")) == 200
    assert len(spec.codes("2021", include_optional=True)) == 207


@pytest.mark.parametrize("entry", corpus_entries(), ids=lambda p: p.name)
def test_gold_breaks_only_documented_rules(entry):
    gold = load_gold(entry)
    found = sorted((f.rule, f.data.get("group") or f.data.get("row") or f.data.get("column"))
                   for f in rules.check(gold["cells"]))
    documented = sorted((i["rule"], i["detail"].split(":")[0]) for i in gold.get("source_inconsistencies") or [])
    assert [r for r, _ in found] == [r for r, _ in documented]


@pytest.mark.parametrize("text,value", [
    ("12", 12), ("１２", 12), ("1,234", 1234), ("", None), ("/", None), ("—", None), ("无", None),
    ("\xa0", None), ("3件", 3), ("abc", None),
])
def test_parse_count(text, value):
    assert parse_count(text).value == value


@pytest.mark.parametrize("text,value", [
    ("+9", 9), ("-3", -3), ("－3", -3), ("减少3", -3), ("增加4", 4), ("0", 0), ("", None), ("+", None),
])
def test_parse_signed(text, value):
    assert parse_signed(text).value == value


@pytest.mark.parametrize("text,unit,value,notes", [
    ("2596.4955万元", None, 2596.4955, ()), ("251000元", None, 25.1, ()), ("8040", None, 8040, ("unit_assumed",)),
    ("96171.6", "万元", 96171.6, ()), ("394432.52元", None, 39.443252, ()), ("", None, None, ()),
])
def test_parse_amount(text, unit, value, notes):
    p = parse_amount_wan_yuan(text, unit)
    assert p.value == (pytest.approx(value) if value is not None else None)
    assert p.notes == notes
