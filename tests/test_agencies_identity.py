"""Identity resolution on real name variants: short names, renamed bodies, one body on two
portals, shared codes and columns — and the cases that must NOT merge."""
from __future__ import annotations

import pytest

from agencies import identity
from agencies.identity import ReportRef, org_code, org_code_valid
from agencies.overrides import Override


def bodies_of(refs, overrides=(), previous=None):
    res = identity.resolve(refs, overrides, previous)
    groups: dict[str, set] = {}
    for rid, bid in res.report_body.items():
        groups.setdefault(bid, set()).add(rid)
    return res, sorted(map(sorted, groups.values()))


@pytest.mark.parametrize("index_no,code", [
    ("014184867/2021-00001", "014184867"),   # 太仓市自然资源和规划局 (corpus)
    ("014314799/2024-00002", "014314799"),   # 沭阳县发展和改革局 (corpus)
    ("11320585014184867X/2021-00001", "014184867"),  # the same code inside a 统一社会信用代码
    ("０１４１８４８６７／2021-00001", "014184867"),  # full-width
    ("014184868/2021-00001", None),          # wrong check character
    ("SZ001/2021-00001", None),
    ("", None), (None, None),
])
def test_org_code(index_no, code):
    assert org_code(index_no) == code


def test_org_code_check_character():
    assert org_code_valid("014184867") and org_code_valid("014314799")
    assert not org_code_valid("014184860")


def test_corpus_name_variants_of_one_body():
    refs = [
        ReportRef(1, 2023, agency="洪泽区人民政府", publisher="淮安市洪泽区人民政府办公室"),
        ReportRef(2, 2024, agency="淮安市洪泽区人民政府", publisher="淮安市洪泽区人民政府办公室"),
        ReportRef(3, 2020, agency="太仓市自然资源和规划局", publisher="太仓市资源规划局",
                  index_no="014184867/2021-00001"),
        ReportRef(4, 2021, agency="太仓市资源规划局"),
        ReportRef(5, 2024, title="2024年上海市科委政府信息公开工作年度报告"),
        ReportRef(6, 2023, agency="上海市科学技术委员会"),
    ]
    res, groups = bodies_of(refs)
    assert groups == [[1, 2], [3, 4], [5, 6]]
    hz = res.bodies[res.report_body[1]]
    assert hz.region == "江苏省淮安市洪泽区" and hz.level == "county" and hz.name == "淮安市洪泽区人民政府"
    assert set(hz.names) >= {("洪泽区人民政府", "agency"), ("淮安市洪泽区人民政府", "agency")}


def test_same_organ_in_different_counties_never_merges():
    refs = [
        ReportRef(1, 2022, agency="洪泽区自然资源局", column="http://127.0.0.1/col/col1/index.html"),
        ReportRef(2, 2022, agency="沭阳县自然资源局", column="http://127.0.0.1/col/col1/index.html"),
        ReportRef(3, 2023, agency="沭阳县自然资源局"),
        ReportRef(4, 2023, agency="盱眙县自然资源局", column="http://127.0.0.1/col/col1/index.html"),
    ]
    _, groups = bodies_of(refs)
    assert groups == [[1], [2, 3], [4]]


def test_same_name_in_two_provinces_is_told_apart_by_the_portal():
    refs = [
        ReportRef(1, 2022, agency="鼓楼区人民政府", url="http://www.gl.gov.cn/a.html"),
        ReportRef(2, 2022, agency="南京市鼓楼区人民政府"),
        ReportRef(3, 2022, agency="福州市鼓楼区人民政府"),
    ]
    _, groups = bodies_of(refs)
    # without a portal hint the bare 鼓楼区 stays apart from both
    assert groups == [[1], [2], [3]]


def test_one_body_on_two_portals_joined_by_code():
    refs = [
        ReportRef(1, 2022, agency="沭阳县发展和改革局", index_no="014314799/2023-00002",
                  url="http://www.shuyang.gov.cn/sygfj/gknb/1.shtml"),
        # a city portal reprints it under a bare organ name
        ReportRef(2, 2023, agency="发展和改革局", index_no="014314799/2024-00002",
                  url="http://127.0.0.1:8080/xxgk/2.html"),
        ReportRef(3, 2023, agency="发展和改革局", index_no="014184867/2024-00001",
                  url="http://127.0.0.1:8080/xxgk/3.html"),
    ]
    res, groups = bodies_of(refs)
    assert groups == [[1, 2], [3]]
    assert "org:014314799" in res.bodies[res.report_body[1]].evidence


def test_shared_code_does_not_join_bodies_of_the_same_year():
    # a platform stamps one code on every unit's index number
    refs = [
        ReportRef(1, 2022, agency="沭阳县财政局", index_no="014314799/2023-00001"),
        ReportRef(2, 2022, agency="沭阳县审计局", index_no="014314799/2023-00002"),
    ]
    _, groups = bodies_of(refs)
    assert groups == [[1], [2]]


def test_own_column_joins_years_but_a_shared_column_does_not():
    col = "http://127.0.0.1/col/col77/index.html"
    city = "http://127.0.0.1/col/col1/index.html"
    refs = [
        ReportRef(1, 2021, agency="区发改委", column=col),          # unresolvable name, own column
        ReportRef(2, 2022, agency="洪泽区发展和改革委员会", column=col),
        ReportRef(3, 2021, agency="区财政局", column=city),
        ReportRef(4, 2022, agency="洪泽区审计局", column=city),
        ReportRef(5, 2022, agency="洪泽区商务局", column=city),
    ]
    _, groups = bodies_of(refs)
    assert groups == [[1, 2], [3], [4], [5]]


def test_rename_joins_predecessor_only_without_overlap():
    refs = [
        ReportRef(1, 2017, agency="太仓市国土资源局", format="pre2019", index_no="46628309X/2018-00001"),
        ReportRef(2, 2018, agency="太仓市国土资源局", format="pre2019"),
        ReportRef(3, 2019, agency="太仓市自然资源和规划局", index_no="014184867/2020-00001"),  # new code
        ReportRef(4, 2020, agency="太仓市自然资源和规划局"),
        # 沭阳: the old bureau still published in 2019 beside the new one → not the same body
        ReportRef(5, 2019, agency="沭阳县国土资源局"),
        ReportRef(6, 2019, agency="沭阳县自然资源局"),
        # 环境保护局 → 生态环境局, a different rename row
        ReportRef(7, 2018, agency="淮安市环境保护局"),
        ReportRef(8, 2019, agency="淮安市生态环境局"),
    ]
    res, groups = bodies_of(refs)
    assert groups == [[1, 2, 3, 4], [5], [6], [7, 8]]
    tc = res.bodies[res.report_body[1]]
    assert tc.names[("太仓市国土资源局", "agency")] == [2017, 2018]
    assert tc.name == "太仓市自然资源和规划局"


def test_overrides_merge_apart_pin_label():
    refs = [
        ReportRef(1, 2021, agency="淮安市洪泽区人民政府", url="http://127.0.0.1/a"),
        ReportRef(2, 2022, agency="洪泽区政府", url="http://127.0.0.1/b"),
        ReportRef(3, 2022, agency="洪泽湖管理委员会", url="http://127.0.0.1/c"),
        ReportRef(4, 2021, agency="沭阳县发展和改革局", index_no="014314799/2022-1"),
        ReportRef(5, 2022, agency="沭阳县物价局", index_no="014314799/2023-1"),
    ]
    _, groups = bodies_of(refs)
    assert groups == [[1, 2], [3], [4, 5]]  # 物价局 joined by the shared code
    ovr = [
        Override("merge", "洪泽湖管理委员会", "url:http://127.0.0.1/a"),
        Override("apart", "沭阳县物价局", "org:014314799"),
        Override("pin", "沭阳县发改局", "shuyang-fgj"),
        Override("label", "url:http://127.0.0.1/b", "洪泽区人民政府（含洪泽湖）"),
    ]
    res, groups = bodies_of(refs, ovr)
    # apart(物价局, the code) also separates 发改局, which carries that code: the user's word wins
    assert groups == [[1, 2, 3], [4], [5]]
    assert res.report_body[4] == "shuyang-fgj"
    assert res.bodies[res.report_body[1]].name == "洪泽区人民政府（含洪泽湖）"


def test_ids_are_carried_over_and_pinned_ids_survive_new_report_ids():
    refs = [ReportRef(1, 2023, agency="洪泽区人民政府", url="http://127.0.0.1/2023"),
            ReportRef(2, 2024, agency="淮安市洪泽区人民政府", url="http://127.0.0.1/2024")]
    first = identity.resolve(refs)
    (bid,) = set(first.report_body.values())
    assert bid == "320813:人民政府"
    previous = {first.resolved[i].ref.stable_key: b for i, b in first.report_body.items()}
    previous = {k: "hongze" for k in previous}  # say an earlier run had named it so
    # re-extraction gives new report ids; a new year arrives
    again = [ReportRef(11, 2023, agency="洪泽区人民政府", url="http://127.0.0.1/2023"),
             ReportRef(12, 2024, agency="淮安市洪泽区人民政府", url="http://127.0.0.1/2024"),
             ReportRef(13, 2025, agency="洪泽区人民政府", url="http://127.0.0.1/2025")]
    res = identity.resolve(again, previous=previous)
    assert set(res.report_body.values()) == {"hongze"}


def test_government_report_without_agency_comes_from_its_office():
    refs = [ReportRef(1, 2023, publisher="淮安市洪泽区人民政府办公室"),
            ReportRef(2, 2024, agency="洪泽区人民政府")]
    _, groups = bodies_of(refs)
    assert groups == [[1, 2]]


def test_rename_needs_the_predecessor_to_come_first():
    refs = [ReportRef(1, 2020, agency="淮安市环境保护局"),  # a stale name printed after the reform
            ReportRef(2, 2019, agency="淮安市生态环境局")]
    _, groups = bodies_of(refs)
    assert groups == [[1], [2]]


def test_shared_code_never_joins_unlike_names_even_in_different_years():
    refs = [
        ReportRef(1, 2021, agency="沭阳县财政局", index_no="014314799/2022-00001"),
        ReportRef(2, 2022, agency="沭阳县审计局", index_no="014314799/2023-00001"),
        # an abbreviation our tables do not know is still joined by the code
        ReportRef(3, 2023, agency="沭阳县财政局", index_no="014314799/2024-00001"),
        ReportRef(4, 2024, agency="沭阳县财局", index_no="014314799/2025-00001"),
    ]
    _, groups = bodies_of(refs)
    assert groups == [[1, 3, 4], [2]]


def test_one_report_reprinted_on_another_portal():
    refs = [
        ReportRef(1, 2020, agency="太仓市自然资源和规划局", url="http://www.taicang.gov.cn/taicang/zrzy03/1.shtml",
                  sha256="aa", index_no="014184867/2021-00001"),
        # the city portal keeps the same PDF under a bare short name
        ReportRef(2, 2020, agency="资源规划局", url="http://127.0.0.1:8081/col/col9/art_1.html", sha256="aa"),
        ReportRef(3, 2021, agency="太仓市资源规划局", url="http://www.taicang.gov.cn/taicang/zrzy03/2.shtml"),
    ]
    res, groups = bodies_of(refs)
    assert groups == [[1, 2, 3]]
    assert {("资源规划局", "agency"), ("太仓市资源规划局", "agency")} <= set(res.bodies[res.report_body[1]].names)


def test_pages_of_one_list_are_one_column():
    from agencies.identity import column_key

    assert column_key("http://x.gov.cn/xxgk/nb/index_2.html") == column_key("http://x.gov.cn/xxgk/nb/index.html")
    assert column_key("http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=11&endrecord=20&perpage=10") \
        == column_key("http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=10&perpage=10")
    assert column_key("http://x.gov.cn/col/col1/index.html") != column_key("http://x.gov.cn/col/col2/index.html")
    refs = [ReportRef(1, 2021, agency="区发改委", column="http://127.0.0.1/xxgk/fgw/index_1.html"),
            ReportRef(2, 2022, agency="洪泽区发展和改革委员会", column="http://127.0.0.1/xxgk/fgw/index.html")]
    _, groups = bodies_of(refs)
    assert groups == [[1, 2]]
