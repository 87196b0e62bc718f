"""The same four families with other markup details (demo_portal/imitations/variants.py).

One crawl over the four variant sites: every report found, nothing else, attachments fetched,
and each site read by its own family's adapter — the adapters follow the families' shapes, not
the markup of their first imitation.
"""
from __future__ import annotations

from collections import Counter

import pytest

from demo_portal.imitations import ImitationServer
from demo_portal.imitations.variants import variant_sites
from spiders.urls import canonicalize
from tests.crawl_run import crawl
from tests.family_check import ARCHIVE_ONLY


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("variants")
    with ImitationServer(variant_sites()) as server:
        manifests = {host: site.manifest() for host, site in server.sites.items()}
        result = crawl([m["home"] for m in manifests.values()], tmp / "c.db", resolve=server.resolve_map(),
                       settings=ARCHIVE_ONLY, timeout=170)
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log[result.log.find("Traceback") - 300:][:3000]
    return manifests, result.captures()


@pytest.mark.slow
@pytest.mark.parametrize("family", ["ucap", "vsb", "gkmlpt", "hanweb_xxgk"])
def test_variant_site_exact(crawled, family):
    manifests, captures = crawled
    (m,) = [m for m in manifests.values() if m["family"] == family]
    mine = [c for c in captures if f"//{m['host']}:" in c["url"]]
    identity = {canonicalize(u): canonicalize(r["url"]) for r in m["reports"] for u in (r["url"], *r.get("aliases", []))}
    found = [c["url"] for c in mine if c["role"] == "article" and c["classification"] == "report"]
    assert not [u for u in found if u not in identity], [u for u in found if u not in identity][:5]
    per_report = Counter(identity[u] for u in found)
    assert set(per_report) == set(identity.values()), sorted(set(identity.values()) - set(per_report))[:5]
    assert max(per_report.values()) == 1
    files = {canonicalize(r["attachment"]) for r in m["reports"] if r.get("attachment")}
    assert files <= {c["url"] for c in mine if c["role"] == "attachment" and c["status"] == 200}
    lists = Counter(c["family"] for c in mine if c["role"] == "list")
    assert lists[family] >= 3, lists
