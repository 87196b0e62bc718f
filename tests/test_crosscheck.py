"""Cross-report findings on real consecutive years and synthetic neighbours of real reports.

Each scenario plants specific mismatches in neighbours derived from gold values and asserts the
exact set of cross findings: every planted mismatch is found and nothing else is flagged.
"""
from __future__ import annotations

import pytest

from agencies import crosscheck, store
from agencies.crosscheck import ReportData
from tests.agencies_fixtures import add, cross, gold, min_db, neighbour


@pytest.fixture
def db(tmp_path):
    return min_db(tmp_path / "archive.db")


def test_real_hongze_pair_is_one_body_and_clean(db):
    a = add(db, gold("hongze-qzf-2023"))
    b = add(db, gold("hongze-qzf-2024"))
    store.compute(db, overrides_path=db_path_none(db))
    assert len({r["body_id"] for r in db["report_body"].rows}) == 1
    assert cross(db) == set()
    years = {r["year"]: r for r in db["body_years"].rows}
    assert years[2023]["current_report_id"] == a and years[2024]["current_report_id"] == b


def db_path_none(db) -> str:
    """An overrides path that does not exist: the tests must not depend on the shipped file."""
    return str(db.conn.execute("PRAGMA database_list").fetchone()[2]) + ".no-overrides.csv"


def test_hongze_2022_neighbour_carried_over_and_unit_slip(db):
    g23 = gold("hongze-qzf-2023")
    c = g23["cells"]
    # consistent with 2023 except: 3 carried into 2023 by natural persons (2023 says 0), and the
    # fee amount printed in 元 under the 万元 header (10000x)
    syn = neighbour("hongze-qzf-2023", 2022, {
        "t3.carried_next.natural": 3, "t3.carried_next.total": 3,
        "t2.normative_docs.in_force": c["t2.normative_docs.in_force"] + c["t2.normative_docs.repealed"]
        - c["t2.normative_docs.issued"],
        "t2.fees.amount": c["t2.fees.amount"] * 10000,
    }, agency="洪泽区政府")
    s = add(db, syn)
    a = add(db, g23)
    add(db, gold("hongze-qzf-2024"))
    store.compute(db, overrides_path=db_path_none(db))
    assert len({r["body_id"] for r in db["report_body"].rows}) == 1
    assert cross(db) == {
        (a, "x.carried_over", "natural"), (a, "x.carried_over", "total"),
        (a, "x.jump", "t2.fees.amount"),
    }
    assert s not in {r for r, _, _ in cross(db)}


def test_taicang_2019_format_prev_count_gap_and_rename(db):
    g20 = gold("taicang-zrzy-2020")
    c = g20["cells"]
    prev = {}
    for item in ("licensing", "other_services", "penalty", "fees"):
        prev[f"t2.{item}.change"] = c[f"t2.{item}.change"]
        prev[f"t2.{item}.prev_count"] = c[f"t2.{item}.prev_count"] - c[f"t2.{item}.change"]
    prev["t2.coercion.change"], prev["t2.coercion.prev_count"] = 0, c["t2.coercion.prev_count"]
    prev["t2.penalty.prev_count"] += 7  # planted: 2019's year-end penalty items ≠ 2020's 上一年项目数量
    y2019 = add(db, neighbour("taicang-zrzy-2020", 2019, prev, published="2020-01-20"))
    y2020 = add(db, g20)
    # 2021 in the 2021 format: no prev_count any more; cells that exist in both formats agree
    g21 = neighbour("hongze-qzf-2024", 2021, {
        "t2.licensing.decisions": c["t2.licensing.decisions"], "t2.penalty.decisions": c["t2.penalty.decisions"],
        "t2.coercion.decisions": c["t2.coercion.decisions"], "t2.fees.amount": 5,
        **{k: v for k, v in c.items() if k.startswith("t3.") and k.split(".")[1] in ("new", "total")},
    }, agency="太仓市资源规划局", publisher="太仓市资源规划局", index_no="014184867/2022-00001")
    y2021 = add(db, g21)
    # 2023 after a gap, under the short name; 2018 free-form under the pre-reform name
    g23 = neighbour("taicang-zrzy-2020", 2023, dict(g21["cells"]), agency="太仓市资源规划局", format="2021")
    y2023 = add(db, g23)
    pre = {"meta": {"agency": "太仓市国土资源局", "report_year": 2018, "format": "pre2019",
                    "title": "太仓市国土资源局2018年政府信息公开工作年度报告"}, "cells": {}}
    y2018 = add(db, pre)
    store.compute(db, overrides_path=db_path_none(db))
    bodies = {r["report_id"]: r["body_id"] for r in db["report_body"].rows}
    assert len(set(bodies.values())) == 1, bodies
    assert cross(db) == {(y2020, "x.prev_count", "penalty"), (y2023, "x.missing_year", "2022")}
    names = {(r["name"], r["years"]) for r in db["body_names"].rows if r["source"] == "agency"}
    assert names == {("太仓市国土资源局", "2018"), ("太仓市自然资源和规划局", "2019,2020"),
                     ("太仓市资源规划局", "2021,2023")}
    assert {y2019, y2021, y2018}.isdisjoint({r for r, _, _ in cross(db)})


def test_duplicate_year_renditions_are_not_duplicates(db):
    g = gold("shuyang-fgj-2023")
    page = "http://127.0.0.1/sygfj/gknb/202401/a.shtml"
    first = add(db, g, url=page)
    # the same report as a PDF attachment of the page, and an image version without a text layer
    add(db, g, url="http://127.0.0.1/sygfj/a.pdf", attachment_of=page, sha256="pdf")
    add(db, {"meta": dict(g["meta"]), "cells": {}}, url="http://127.0.0.1/sygfj/a-img.pdf", sha256="img")
    # a corrected re-publication weeks later: one cell differs
    fixed = neighbour("shuyang-fgj-2023", 2023, {"t2.normative_docs.issued": 9}, published="2024-02-20")
    second = add(db, fixed, url="http://127.0.0.1/sygfj/gknb/202402/b.shtml")
    store.compute(db, overrides_path=db_path_none(db))
    assert len({r["body_id"] for r in db["report_body"].rows}) == 1
    assert cross(db) == {(first, "x.duplicate_year", "")}
    row = next(db.query("SELECT data FROM cross_findings"))
    assert f'"current": {second}' in row["data"]
    assert next(db.query("SELECT current_report_id FROM body_years"))["current_report_id"] == second


def test_jumps_within_the_factor_are_not_flagged(db):
    g24 = gold("huaian-szf-2024")
    c = g24["cells"]
    syn = neighbour("huaian-szf-2024", 2023, {
        "t3.carried_next.natural": c["t3.carried_over.natural"], "t3.carried_next.total": c["t3.carried_over.total"],
        "t3.new.total": 31,  # planted: 3119 applications in 2024 vs 31 (two digits lost), ~98x
        "t2.licensing.decisions": c["t2.licensing.decisions"] // 20,  # 20x: within the decisions factor 50
        "t2.normative_docs.in_force": c["t2.normative_docs.in_force"] - c["t2.normative_docs.issued"]
        + c["t2.normative_docs.repealed"],
        "t2.regulations.in_force": c["t2.regulations.in_force"] - c["t2.regulations.issued"]
        + c["t2.regulations.repealed"] + 1,  # planted: one regulation vanished without being repealed
    })
    add(db, syn)
    b = add(db, g24)
    store.compute(db, overrides_path=db_path_none(db))
    assert cross(db) == {(b, "x.jump", "t3.new.total"), (b, "x.in_force", "regulations")}


def test_missing_years_between_real_reports(db):
    add(db, gold("shanghai-bgt-2019"))
    last = add(db, gold("shanghai-bgt-2025"))
    store.compute(db, overrides_path=db_path_none(db))
    assert cross(db) == {(last, "x.missing_year", str(y)) for y in range(2020, 2025)}
    statuses = {r["year"]: r["status"] for r in db["body_years"].rows}
    assert statuses == {2019: "present", 2025: "present", **{y: "missing" for y in range(2020, 2025)}}


def test_check_pair_skips_what_is_not_printed():
    c = gold("shanghai-bgt-2019")["cells"]  # carried_next: natural 72, other columns blank
    prev = ReportData(1, 2019, "2019", dict(c))
    nxt = dict(c)
    nxt.update({k: None for k in nxt if k.startswith("t3.carried_over.")})
    nxt["t3.carried_over.commercial"] = 4  # last year left it blank: nothing to compare with
    assert [f for f in crosscheck.check_pair(prev, ReportData(2, 2020, "2019", nxt))
            if f.rule == "x.carried_over"] == []
    nxt["t3.carried_over.natural"] = 70
    found = [f.data["column"] for f in crosscheck.check_pair(prev, ReportData(2, 2020, "2019", nxt))
             if f.rule == "x.carried_over"]
    assert found == ["natural"]


def test_adaptive_factor_from_the_archive():
    checks = [crosscheck.JumpCheck("t3.new.total", "requests", 10, 20)]
    import math
    # a well-behaved archive: 40 pairs within ±30%
    calm = {"requests": [math.log(1 + (i % 7 - 3) / 10) for i in range(40)]}
    f = crosscheck.jump_factors(calm, checks)["requests"]
    assert f.source == "archive" and f.factor == crosscheck.MIN_FACTOR
    # too few pairs: the documented default
    assert crosscheck.jump_factors({"requests": [0.1] * 5}, checks)["requests"].factor == 10
    # a wild archive widens the factor
    wild = {"requests": [math.log(k) for k in (1, 2, 5, 20, 50) * 8]}
    assert crosscheck.jump_factors(wild, checks)["requests"].factor > 10


def test_a_report_gone_from_the_portal_is_not_current():
    c = gold("shuyang-fgj-2023")["cells"]
    old = ReportData(1, 2023, "2021", dict(c), published="2024-03-01", status="gone")
    new = ReportData(2, 2023, "2021", {**c, "t2.normative_docs.issued": 9}, published="2024-01-17",
                     status="current")
    current, found = crosscheck.current_by_year([old, new])
    assert current[2023] is new
    assert [(f.report_id, f.rule) for f in found] == [(1, "x.duplicate_year")]
    assert "gone from the portal" in found[0].detail
