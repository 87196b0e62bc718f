"""StorePipeline: an extracted document → its report, cells, findings and history (``archive.store``).

Thin on purpose: what a report is, which source wins and when a report changed is decided in
``archive.store`` so that ``scrapy reextract`` and ``scrapy import-warc`` decide it the same way.
A document with nothing new to extract (a 304 of a known report page) still marks its report seen
in this crawl, which is what keeps it from being marked ``gone``.
"""
from __future__ import annotations

import logging
from typing import Any

from archive.runtime import session_for
from archive.store import SourceDoc, result_json, store_document, touch_report
from archive.volatile import content_key
from extraction.api import EXTRACTOR_VERSION
from items import FetchedItem
from pipelines.extract import OK_STATUS, options_key

logger = logging.getLogger(__name__)


def source_doc(item: FetchedItem, crawl_id: int | None) -> SourceDoc:
    return SourceDoc(
        url=item["url"], sha256=item["sha256"], role=item.get("role"), capture_id=item.get("capture_id"),
        crawl_id=crawl_id, attachment_of=item.get("attachment_of"), classification=item.get("classification"),
        portal=item.get("portal"), listed_title=item.get("listed_title"), listed_date=item.get("listed_date"),
        listed_on=item.get("listed_on"),
        content_key=content_key(bytes(item.get("body") or b""), item.get("content_type")),
    )


class StorePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.ocr = crawler.settings.getbool("NIANBAO_OCR", False)

    @classmethod
    def from_crawler(cls, crawler) -> "StorePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.session = session_for(self.crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedItem) or not item.get("sha256"):
            return item
        archive = self.session.archive
        crawl_id = self.session.crawl_id
        result = item.get("extraction")
        if result is None:
            if item.get("status") in OK_STATUS and item.get("role") in ("article", "attachment"):
                touch_report(archive, item["url"], crawl_id)
            return item
        data = result_json(result)
        cached = archive.cached_extraction(item["sha256"], data.get("extractor_version") or EXTRACTOR_VERSION,
                                           "ocr" if self.ocr else "")
        outcome = store_document(archive, source_doc(item, crawl_id), data, cached["id"] if cached else None)
        if outcome.report_id is not None:
            self.stats.inc_value(f"nianbao/reports_{outcome.action}")
        return item
