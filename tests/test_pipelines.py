"""ArchivePipeline → ExtractPipeline → StorePipeline fed FetchedItems directly (real SQLite, real extraction)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from archive.db import Archive
from archive.snapshots import sha256_hex
from archive.store import SourceDoc, mark_gone, store_document
from items import FetchedItem
from pipelines.archive import ArchivePipeline
from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


class Chain:
    """The three pipelines of settings.ITEM_PIPELINES around one crawler (no network involved)."""

    def __init__(self, db: Path) -> None:
        self.crawler = get_crawler(Spider, {"NIANBAO_DB": str(db), "NIANBAO_EXTRACT_THREADED": False})
        self.crawler.spider = self.crawler._create_spider("test")
        self.pipes = [ArchivePipeline.from_crawler(self.crawler), ExtractPipeline.from_crawler(self.crawler),
                      StorePipeline.from_crawler(self.crawler)]
        for p in self.pipes:
            p.open_spider()
        self.archive: Archive = self.pipes[0].session.archive

    def feed(self, **fields) -> FetchedItem:
        base = {"method": "GET", "status": 200, "headers": {}, "fetched_at": "2026-01-01T00:00:00Z"}
        item = FetchedItem(**{**base, **fields})
        for p in self.pipes:
            out = p.process_item(item)
            item = asyncio.run(out) if asyncio.iscoroutine(out) else out
        return item

    def close(self) -> None:
        self.pipes[0].session.close()


@pytest.fixture()
def chain(tmp_path):
    c = Chain(tmp_path / "p.db")
    yield c
    c.close()


def html_report() -> bytes:
    return (CORPUS / "shuyang-fgj-2023" / "source.html").read_bytes()


def test_article_report_stored_once_and_rerun_adds_only_captures(chain):
    body = html_report()
    url = "http://portal.test/art/2024/1/1/art_1.html"
    item = chain.feed(url=url, body=body, role="article", classification="report", content_type="text/html",
                      portal="demo", listed_title="2023年政府信息公开工作年度报告")
    assert item["sha256"] == sha256_hex(body) and item["extraction"].format in ("2019", "2021")
    a = chain.archive
    (report,) = list(a.iter_reports())
    assert report["url"] == report["page_url"] == url and report["sha256"] == sha256_hex(body)
    assert report["format"] == item["extraction"].format and report["version"] == 1
    stored = {c: r["value"] for c, r in a.report_cells(report["id"]).items()}
    assert stored == item["extraction"].cells and len(stored) >= 198
    assert [f["rule"] for f in a.report_findings(report["id"])] == [f.rule for f in item["extraction"].findings]
    counts = a.counts()
    again = chain.feed(url=url, body=body, role="article", classification="report", content_type="text/html",
                       portal="demo")
    assert again["extraction"].cells == item["extraction"].cells
    after = a.counts()
    assert after["captures"] == counts["captures"] + 1
    assert {k: v for k, v in after.items() if k != "captures"} == {k: v for k, v in counts.items() if k != "captures"}
    assert a.crawl(a.capture(again["capture_id"])["crawl_id"])["spider"] == "test"


def test_volatile_parts_do_not_make_a_version_but_content_does(chain):
    body = html_report()
    url = "http://portal.test/art_2.html"
    marker = b"</body>"
    assert marker in body
    v1 = body.replace(marker, "<div>访问量：1234 今天是2026年1月1日 星期四</div>".encode("utf-8") + marker, 1)
    v2 = body.replace(marker, "<div>访问量：1301 今天是2026年1月2日 星期五</div>".encode("utf-8") + marker, 1)
    chain.feed(url=url, body=v1, role="article", classification="report", content_type="text/html")
    chain.feed(url=url, body=v2, role="article", classification="report", content_type="text/html")
    a = chain.archive
    (report,) = list(a.iter_reports())
    assert a.db["snapshots"].count == 2 and len(a.report_versions(report["id"])) == 1
    v3 = v2.replace(marker, "<p>更正说明：第三部分数据有误，已更正。</p>".encode("utf-8") + marker, 1)
    chain.feed(url=url, body=v3, role="article", classification="report", content_type="text/html")
    versions = a.report_versions(report["id"])
    assert [v["version"] for v in versions] == [1, 2] and a.report(report["id"])["version"] == 2
    assert a.report(report["id"])["sha256"] == sha256_hex(v3)


def test_decoys_and_list_pages_make_no_report(chain):
    chain.feed(url="http://portal.test/list.html", body=b"<html><a href='x'>x</a></html>", role="list")
    chain.feed(url="http://portal.test/decoy.html", body=html_report(), role="article", classification="decoy")
    chain.feed(url="http://portal.test/fail.html", status=None, body=b"", role="article", error="TimeoutError")
    a = chain.archive
    assert a.db["reports"].count == 0 and a.db["captures"].count == 3
    assert a.db["extractions"].count == 0


def test_attachment_supplies_the_tables_in_either_order(tmp_path):
    pdf = (CORPUS / "hongze-qzf-2023" / "source.pdf").read_bytes()
    article = ("<html><head><meta charset='utf-8'><title>洪泽区2023年政府信息公开工作年度报告</title></head><body>"
               "<h1>洪泽区2023年政府信息公开工作年度报告</h1><p>详见附件。</p>"
               "<a href='/files/report.pdf'>附件：年度报告.pdf</a></body></html>").encode("utf-8")
    page, att = "http://hz.test/art_9.html", "http://hz.test/files/report.pdf"
    states = []
    for order in ("article_first", "attachment_first"):
        c = Chain(tmp_path / f"{order}.db")
        items = [dict(url=page, body=article, role="article", classification="report", content_type="text/html"),
                 dict(url=att, body=pdf, role="attachment", classification="report", attachment_of=page,
                      content_type="application/pdf")]
        if order == "attachment_first":
            items.reverse()
        for it in items:
            c.feed(**it)
        a = c.archive
        (report,) = list(a.iter_reports())
        assert report["page_url"] == page and report["url"] == att and report["attachment_of"] == page
        assert report["sha256"] == sha256_hex(pdf) and report["format"] == "2021"
        assert len(a.report_versions(report["id"])) == 1
        states.append((report["format"], report["agency"], report["report_year"],
                       sorted((k, v["value"]) for k, v in a.report_cells(report["id"]).items())))
        c.close()
    assert states[0] == states[1] and len(states[0][3]) >= 200


def _result(cells, fmt="2021", **meta):
    return {"format": fmt, "meta": {"agency": "某县人民政府", "report_year": 2023, **meta}, "cells": cells,
            "raw": {k: str(v) for k, v in cells.items()}, "findings": [], "extractor_version": "t"}


def test_sources_disagree_and_cell_history(tmp_path):
    a = Archive(tmp_path / "s.db")
    crawl = a.start_crawl("t")
    page = "http://x.test/a.html"
    for url, role, body in ((page, "article", b"<html>a</html>"), ("http://x.test/a.pdf", "attachment", b"%PDF b")):
        cid = a.add_capture(url, status=200, body=body, crawl_id=crawl)
        cells = {"t3.new.total": 10, "t3.new.natural": 7} if role == "article" else {"t3.new.total": 11, "t3.new.natural": 7}
        store_document(a, SourceDoc(url=url, sha256=sha256_hex(body), role=role, capture_id=cid, crawl_id=crawl,
                                    attachment_of=page if role == "attachment" else None, classification="report",
                                    content_key=sha256_hex(body)), _result(cells), None)
    (report,) = list(a.iter_reports())
    assert report["url"] == page  # tie on cells: the article wins
    (finding,) = [f for f in a.report_findings(report["id"]) if f["rule"] == "sources_disagree"]
    assert "t3.new.total" in finding["detail"] and "t3.new.natural" not in finding["detail"]
    # next crawl: the portal corrects a number on the article page
    crawl2 = a.start_crawl("t")
    body = b"<html>a corrected</html>"
    cid = a.add_capture(page, status=200, body=body, crawl_id=crawl2)
    out = store_document(a, SourceDoc(url=page, sha256=sha256_hex(body), role="article", capture_id=cid,
                                      crawl_id=crawl2, classification="report", content_key=sha256_hex(body)),
                         _result({"t3.new.total": 11, "t3.new.natural": 7}), None)
    assert out.action == "version" and out.changed_cells == ["t3.new.total"]
    assert a.report_cells(report["id"])["t3.new.total"]["value"] == 11
    assert not [f for f in a.report_findings(report["id"]) if f["rule"] == "sources_disagree"]
    hist = list(a.db.query("SELECT * FROM report_history"))
    assert [(h["code"], h["old_value"], h["new_value"], h["to_version"]) for h in hist] == [("t3.new.total", 10, 11, 2)]
    # a crawl that no longer sees the report marks it gone, never deletes it
    crawl3 = a.start_crawl("t")
    assert mark_gone(a, crawl3) == [report["id"]]
    assert a.report(report["id"])["status"] == "gone" and len(a.report_cells(report["id"])) == 2
    a.close()


def test_truncated_or_garbage_page_keeps_the_good_reading(chain):
    body = html_report()
    url = "http://portal.test/art_7.html"
    chain.feed(url=url, body=body, role="article", classification="report", content_type="text/html")
    a = chain.archive
    (report,) = list(a.iter_reports())
    good = {c: r["value"] for c, r in a.report_cells(report["id"]).items()}
    assert any(v is not None for v in good.values())
    for bad in (body[: len(body) // 5], b"<html><body>\xff\xfe garbage \x00</body>"):
        chain.feed(url=url, body=bad, role="article", classification="report", content_type="text/html")
        assert {c: r["value"] for c, r in a.report_cells(report["id"]).items()} == good
        assert a.report(report["id"])["version"] == 1 and a.report(report["id"])["sha256"] == report["sha256"]
        assert any(f["rule"] == "source_degraded" for f in a.report_findings(report["id"]))
        assert a.snapshot_bytes(a.last_capture(url)["sha256"]) == bad          # the bad bytes are archived too
    chain.feed(url=url, body=body, role="article", classification="report", content_type="text/html")
    assert not any(f["rule"] == "source_degraded" for f in a.report_findings(report["id"]))
