"""Name normalisation, regions and levels, checked against the corpus's gold meta."""
from __future__ import annotations

import pytest

from agencies import names, region
from tests.conftest import corpus_entries, load_gold

GOLD = {e.name: load_gold(e)["meta"] for e in corpus_entries()}


@pytest.mark.parametrize("slug", sorted(GOLD))
def test_region_and_level_match_gold(slug):
    m = GOLD[slug]
    p = names.parse(m["agency"])
    assert p.resolved
    assert p.match.text == m["region"]
    # the gold files a department either as ``department`` or by its region's tier
    # (太仓市自然资源和规划局: county); we give both, as level and region_level
    assert m["level"] in (p.level, p.match.level)
    if p.organ_canonical not in ("人民政府", "人民政府办公室"):
        assert p.level == "department"


@pytest.mark.parametrize("slug", sorted(GOLD))
def test_title_names_the_same_body(slug):
    m = GOLD[slug]
    assert names.parse(names.agency_from_title(m["title"])).key == names.parse(m["agency"]).key
    if "title_as_printed" in m:  # the OCR'd title misreads 沭阳 as 沐阳: a different, unknown place
        assert names.parse(names.agency_from_title(m["title_as_printed"])).key != names.parse(m["agency"]).key


def test_publisher_short_form_is_the_same_body():
    m = GOLD["taicang-zrzy-2020"]
    assert names.parse(m["publisher"]).key == names.parse(m["agency"]).key == "320585:自然资源规划局"


def test_government_spellings_fold():
    keys = {names.parse(n).key for n in ("洪泽区人民政府", "淮安市洪泽区人民政府", "洪泽区政府",
                                         "江苏省淮安市洪泽区人民政府", "淮安市 洪泽区 人民政府")}
    assert keys == {"320813:人民政府"}
    office = {names.parse(n).key for n in ("上海市人民政府办公厅", "上海市政府办公厅", "上海市政府办")}
    assert office == {"310000:人民政府办公室"}
    assert names.parse("上海市人民政府").key != names.parse("上海市人民政府办公厅").key


@pytest.mark.parametrize("a,b", [
    ("沭阳县发改局", "沭阳县发展和改革局"),
    ("沭阳县发展改革局", "沭阳县发展和改革局"),
    ("淮安市住建局", "淮安市住房和城乡建设局"),
    ("上海市科委", "上海市科学技术委员会"),
    ("太仓市自然资源规划局", "太仓市自然资源和规划局"),
])
def test_short_forms(a, b):
    assert names.parse(a).key == names.parse(b).key


@pytest.mark.parametrize("a,b", [
    ("洪泽区自然资源局", "沭阳县自然资源局"),        # same organ, different counties
    ("淮安市自然资源和规划局", "淮安市淮安区自然资源和规划局"),  # city vs its district
    ("太仓市自然资源和规划局", "太仓市国土资源局"),  # a rename is not a spelling (identity joins it)
    ("沭阳县人民政府", "沭阳县人民政府办公室"),
])
def test_different_bodies_have_different_keys(a, b):
    assert names.parse(a).key != names.parse(b).key


def test_townships():
    p = names.parse("洪泽区高良涧街道办事处")
    assert p.match.township == "高良涧街道" and p.level == "township"
    assert p.match.text == "江苏省淮安市洪泽区高良涧街道"
    assert p.display == "江苏省淮安市洪泽区高良涧街道办事处"
    t = names.parse("太仓市浏河镇人民政府")
    assert t.match.township == "浏河镇" and t.level == "township" and t.organ_canonical == "人民政府"
    # 乡 inside an organ name is not a township
    c = names.parse("淮安市住房和城乡建设局")
    assert c.match.township is None and c.level == "department"
    assert names.parse("浏河镇人民政府").key != names.parse("黄桥镇人民政府").key


def test_ambiguous_county_needs_a_hint():
    bare = names.parse("鼓楼区人民政府")
    assert not bare.resolved and len(bare.match.ambiguous) >= 2
    nanjing = region.table().find("江苏省南京市")
    assert names.parse("鼓楼区人民政府", nanjing).key == names.parse("南京市鼓楼区人民政府").key
    assert names.parse("南京市鼓楼区人民政府").key != names.parse("福州市鼓楼区人民政府").key


def test_portal_region_supplies_a_missing_prefix():
    hint = region.portal_region("https://stcsm.sh.gov.cn/zwgk/nb/index.html")
    assert hint is not None and hint.name == "上海市"
    assert names.parse("科学技术委员会", hint).key == names.parse("上海市科学技术委员会").key
    assert region.portal_region("http://127.0.0.1:8080/") is None


def test_levels():
    assert names.parse("江苏省人民政府").level == "province"
    assert names.parse("上海市人民政府").level == "province"
    assert names.parse("淮安市人民政府").level == "city"
    assert names.parse("沭阳县人民政府").level == "county"
    assert names.parse("江苏省自然资源厅").level == "department"


def test_region_table_shape():
    t = region.table()
    hz = t.by_code["320813"]
    assert [r.name for r in t.chain_of(hz)] == ["江苏省", "淮安市", "洪泽区"]
    assert len(t.by_code) > 3000
    assert all(r.parent in t.by_code for r in t.by_code.values() if r.parent)


def test_bracketed_second_name_is_ignored():
    assert names.parse("太仓市自然资源和规划局（太仓市林业局）").key == names.parse("太仓市自然资源和规划局").key


def test_portal_registry_rows_give_regions():
    row = {"name": "x", "start_urls": "http://www.example.gov.cn/", "allowed_domains": "example.gov.cn",
           "note": "淮安市洪泽区人民政府 — portal of the hongze samples; not crawled by tests"}
    assert region._registry_region(row) == "江苏省淮安市洪泽区"
    assert region._registry_region({"note": "bundled demo portal; TRS imitation"}) == ""
    assert region._registry_region({"region": "上海市", "note": "淮安市"}) == "上海市"
    # parent domains of a registered host inherit its region
    assert region.portal_region("http://xxgk.hongze.gov.cn/col/col1/index.html").adcode == "320813"


def test_former_county_names():
    # 洪泽县 became 洪泽区 in 2016, 吴江市 became 吴江区 in 2012: old reports print the old name
    assert names.parse("洪泽县人民政府").key == names.parse("淮安市洪泽区人民政府").key
    assert names.parse("苏州市吴江市人民政府").key == names.parse("苏州市吴江区人民政府").key
    assert not names.parse("沐阳县人民政府").resolved  # an OCR misreading is not a former name
    assert names.parse("淮安市市场监督管理局").organ_canonical == "市场监督管理局"
