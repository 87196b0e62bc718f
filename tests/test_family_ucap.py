"""UCAP (太仓): channel tree from getChannelList, column lists by POST to the list API."""
from __future__ import annotations

import pytest

from demo_portal.imitations.ucap import UcapSite
from tests.family_check import assert_attachments, assert_exact_reports, assert_family, assert_no_offsite, run_site


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_site(UcapSite, tmp_path_factory.mktemp("ucap"))


@pytest.mark.slow
def test_every_report_and_no_decoy(run):
    assert_exact_reports(run)
    assert_attachments(run)
    assert_no_offsite(run)
    assert_family(run, "ucap")


@pytest.mark.slow
def test_list_api_paged_by_post_and_tree_walked(run):
    posts = [p for _h, m, p, s in run.requests if m == "POST" and p.startswith("/appsearch/tcapi/list") and s == 200]
    # six bodies' columns (city, 3 departments, 2 towns) and the city's later pages
    assert len({p.split("pid=")[1] for p in posts}) == 6, posts
    assert any("currentPage=3" in p for p in posts), posts
    assert not [p for _h, m, p, s in run.requests if p.startswith("/appsearch/") and m == "GET"]
    assert any(p.startswith("/szinf/getChannelList") for _h, _m, p, _s in run.requests)


@pytest.mark.slow
def test_report_under_two_unit_paths_fetched_once(run):
    (aliased,) = [r for r in run.manifest["reports"] if r["aliases"]]
    paths = {r["url"].split("/", 3)[3] for r in [aliased]} | {a.split("/", 3)[3] for a in aliased["aliases"]}
    fetched = [p for _h, _m, p, s in run.requests if p.lstrip("/") in paths]
    assert len(fetched) == 1, fetched
    assert run.result.stats().get("nianbao/same_article_other_url") == 1
