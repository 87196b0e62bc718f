"""Hanweb 信息公开目录: search.jsp result pages paged by the hidden form's POST."""
from __future__ import annotations

import pytest

from demo_portal.imitations.hanweb_xxgk import HanwebXxgkSite
from tests.family_check import assert_attachments, assert_exact_reports, assert_family, assert_no_offsite, run_site


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_site(HanwebXxgkSite, tmp_path_factory.mktemp("xxgk"))


@pytest.mark.slow
def test_every_report_and_no_decoy(run):
    assert_exact_reports(run)
    assert_attachments(run)
    assert_no_offsite(run)
    assert_family(run, "hanweb_xxgk")


@pytest.mark.slow
def test_form_posted_for_later_pages(run):
    posts = [p for _h, m, p, s in run.requests if m == "POST" and p == "/module/xxgk/search.jsp" and s == 200]
    assert len(posts) == 2, run.requests          # the city's column: pages 2 and 3
