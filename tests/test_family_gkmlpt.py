"""广东 gkmlpt: category tree in a script, lists and bodies as JSON, departments under a prefix."""
from __future__ import annotations

import pytest

from demo_portal.imitations.gkmlpt import GkmlptSite
from tests.family_check import assert_attachments, assert_exact_reports, assert_family, assert_no_offsite, run_site


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_site(GkmlptSite, tmp_path_factory.mktemp("gkmlpt"))


@pytest.mark.slow
def test_every_report_and_no_decoy(run):
    assert_exact_reports(run)
    assert_attachments(run)
    assert_no_offsite(run)
    assert_family(run, "gkmlpt")


@pytest.mark.slow
def test_api_pages_and_department_apps(run):
    api = {p for _h, _m, p, s in run.requests if "/gkmlpt/api/all/" in p and s == 200}
    assert {f"/gkmlpt/api/all/2911?page={n}" for n in (1, 2, 3, 4)} <= api, sorted(api)
    prefixes = {p.split("/gkmlpt/")[0] for p in api}
    assert len(prefixes) == 6, prefixes          # the city and five sub-bodies
