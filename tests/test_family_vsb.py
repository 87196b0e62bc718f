"""VSB / 博达: column page plus older pages ``<col>/<N>.htm`` numbered backwards."""
from __future__ import annotations

import re

import pytest

from demo_portal.imitations.vsb import VsbSite
from tests.family_check import assert_attachments, assert_exact_reports, assert_family, assert_no_offsite, run_site


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_site(VsbSite, tmp_path_factory.mktemp("vsb"))


@pytest.mark.slow
def test_every_report_and_no_decoy(run):
    assert_exact_reports(run)
    assert_attachments(run)
    assert_no_offsite(run)
    assert_family(run, "vsb")


@pytest.mark.slow
def test_every_backwards_numbered_page_fetched_once(run):
    pages = [p for _h, _m, p, s in run.requests if re.fullmatch(r"/xxgk/zfxxgknb/\d+\.htm", p)]
    assert sorted(pages) == ["/xxgk/zfxxgknb/1.htm", "/xxgk/zfxxgknb/2.htm", "/xxgk/zfxxgknb/3.htm"], pages
    assert not [p for _h, _m, p, s in run.requests if s == 404]
