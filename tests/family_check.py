"""Crawl one family imitation site from its home page and compare with its manifest.

Shared by ``tests/test_family_*.py``. The crawl runs in a subprocess (``tests/crawl_run.py``)
with only the archive pipeline: these tests measure discovery (which articles the spider finds
and how it classifies them), not extraction, and stay fast.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from demo_portal.imitations import ImitationServer
from spiders.urls import canonicalize
from tests.crawl_run import CrawlResult, crawl

ARCHIVE_ONLY = {"ITEM_PIPELINES": json.dumps({"pipelines.archive.ArchivePipeline": 100})}


@dataclass
class FamilyRun:
    manifest: dict
    result: CrawlResult
    requests: list[tuple[str, str, str, int]]     # (host, method, path with query, status)

    @property
    def captures(self):
        return self.result.captures()

    def found_reports(self) -> set[str]:
        return {c["url"] for c in self.captures if c["role"] == "article" and c["classification"] == "report"}

    def expected_reports(self) -> set[str]:
        return {canonicalize(r["url"]) for r in self.manifest["reports"]}


def run_site(site_cls, tmp_path: Path, settings: dict | None = None) -> FamilyRun:
    with ImitationServer([site_cls]) as server:
        site = next(iter(server.sites.values()))
        manifest = site.manifest()
        (tmp_path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        result = crawl([manifest["home"]], tmp_path / "crawl.db", resolve=server.resolve_map(),
                       settings={**ARCHIVE_ONLY, **(settings or {})}, timeout=150)
        requests = list(server.requests)
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log[result.log.find("Traceback") - 500:][:4000]
    return FamilyRun(manifest, result, requests)


def assert_exact_reports(run: FamilyRun) -> None:
    """Recall 100% and precision 100% against the manifest, with the misses named.

    A report served at several URLs (``aliases``) counts once, whichever URL was fetched, and
    must not be fetched twice.
    """
    identity = {}
    for r in run.manifest["reports"]:
        for url in (r["url"], *r.get("aliases", [])):
            identity[canonicalize(url)] = canonicalize(r["url"])
    found = run.found_reports()
    decoys = {canonicalize(d["url"]): d for d in run.manifest["decoys"]}
    wrong = sorted(u for u in found if u not in identity)
    assert not wrong, f"{len(wrong)} non-reports taken: {[(u, decoys.get(u, {}).get('title')) for u in wrong[:5]]}"
    per_report = Counter(identity[u] for u in found)
    missed = sorted(run.expected_reports() - set(per_report))
    assert not missed, f"missed {len(missed)}/{len(run.expected_reports())} reports: {missed[:5]}"
    assert max(per_report.values()) == 1, [u for u, n in per_report.items() if n > 1]
    # the same report listed in two columns is fetched and recorded once
    per_url = Counter(c["url"] for c in run.captures if c["role"] == "article")
    assert max(per_url.values()) == 1, [u for u, n in per_url.items() if n > 1]


def assert_attachments(run: FamilyRun) -> None:
    """Every report published as an attachment had its file fetched and archived (status 200)."""
    wanted = {canonicalize(r["attachment"]) for r in run.manifest["reports"] if r.get("attachment")}
    assert wanted, "the site must publish some reports as attachments"
    got = {c["url"] for c in run.captures if c["role"] == "attachment" and c["status"] == 200}
    assert wanted <= got, sorted(wanted - got)[:5]


def assert_no_offsite(run: FamilyRun) -> None:
    host = run.manifest["host"]
    hosts = {c["url"].split("/")[2].split(":")[0] for c in run.captures}
    assert hosts == {host}, hosts


def assert_family(run: FamilyRun, name: str) -> None:
    """The adapter was chosen from the page (no family pinned): list pages carry its name."""
    families = Counter(c["family"] for c in run.captures if c["role"] == "list")
    assert families[name] >= 3, families
