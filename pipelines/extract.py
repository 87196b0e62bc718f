"""ExtractPipeline: report candidates (articles, attachments) → ``ExtractionResult`` on the item.

Why a cache keyed by (snapshot sha256, extractor version, options): an incremental re-crawl sees
the same bodies again (304 revisits, unchanged attachments); extracting them again would cost the
CPU the conditional requests saved on the network. The result is also what ``scrapy reextract``
compares a newer extractor against. Extraction runs in a worker thread so a slow PDF does not
stall downloads; the library bounds each document (``NIANBAO_EXTRACT_TIMEOUT``, OCR only with
``NIANBAO_OCR``) and turns bad input into findings, never exceptions.
"""
from __future__ import annotations

import logging
import posixpath
from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from archive.runtime import session_for
from archive.store import result_json
from extraction import ExtractOptions, extract
from extraction.api import EXTRACTOR_VERSION
from extraction.findings import Finding
from extraction.result import ExtractionResult
from items import FetchedItem

logger = logging.getLogger(__name__)

#: roles whose documents may be reports
CANDIDATE_ROLES = ("article", "attachment")
OK_STATUS = (200, 203, 304)


def filename_of(url: str) -> str | None:
    """Last path segment of a URL, for readers that go by extension (``.pdf``, ``.docx``)."""
    name = posixpath.basename(unquote(urlsplit(url).path))
    return name or None


def charset_of(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def options_key(opts: ExtractOptions) -> str:
    """The options that change results; part of the cache key."""
    return "ocr" if opts.ocr else ""


def is_candidate(item: FetchedItem) -> bool:
    if item.get("status") not in OK_STATUS or not item.get("body"):
        return False
    if item.get("classification") == "decoy":
        return False
    return item.get("role") in CANDIDATE_ROLES or item.get("classification") == "report"


def result_from_json(data: dict[str, Any]) -> ExtractionResult:
    """A stored result back into the library's type (what the item carries)."""
    findings = [Finding(f.get("rule", ""), f.get("detail", ""), f.get("data") or {})
                for f in data.get("findings") or []]
    return ExtractionResult(
        data.get("format") or "unknown", meta=dict(data.get("meta") or {}), cells=dict(data.get("cells") or {}),
        raw=dict(data.get("raw") or {}), findings=findings, provenance=dict(data.get("provenance") or {}),
        source_kind=data.get("source_kind") or "", extractor_version=data.get("extractor_version") or "")


def run_extract(body: bytes, url: str, content_type: str | None, opts: ExtractOptions) -> ExtractionResult:
    """One document through the library; a library bug becomes a finding, not a lost item."""
    try:
        return extract(body, filename=filename_of(url), content_type=content_type, options=opts)
    except Exception as exc:  # noqa: BLE001 - the crawl must go on
        result = ExtractionResult("unknown")
        result.add("extract_error", f"{type(exc).__name__}: {exc}"[:500])
        result.extractor_version = EXTRACTOR_VERSION
        return result


class ExtractPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        s = crawler.settings
        self.ocr = s.getbool("NIANBAO_OCR", False)
        self.timeout = s.getfloat("NIANBAO_EXTRACT_TIMEOUT", 60.0)
        self.threaded = s.getbool("NIANBAO_EXTRACT_THREADED", True)

    @classmethod
    def from_crawler(cls, crawler) -> "ExtractPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.session = session_for(self.crawler)

    def options(self, item: FetchedItem) -> ExtractOptions:
        return ExtractOptions(ocr=self.ocr, timeout=self.timeout,
                              declared_encoding=charset_of(item.get("content_type")))

    def same_content_result(self, item: FetchedItem, key: str) -> ExtractionResult | None:
        """The result already extracted from this URL's earlier bytes when only volatile parts
        (visit counters, today's date ...) differ: a page re-rendered per request is not re-read."""
        from archive.volatile import content_key

        rows = list(self.session.archive.db.query(
            "SELECT e.result FROM report_sources s JOIN extractions e ON e.id = s.extraction_id "
            "WHERE s.url = ? AND s.content_key = ? AND e.extractor_version = ? AND e.options = ? LIMIT 1",
            [item["url"], content_key(bytes(item["body"]), item.get("content_type")), EXTRACTOR_VERSION, key]))
        if not rows:
            return None
        import json
        return result_from_json(json.loads(rows[0]["result"]))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedItem) or not is_candidate(item) or not item.get("sha256"):
            return item
        archive = self.session.archive
        opts = self.options(item)
        key = options_key(opts)
        cached = archive.cached_extraction(item["sha256"], EXTRACTOR_VERSION, key)
        if cached is not None:
            item["extraction"] = result_from_json(cached["result"])
            self.stats.inc_value("nianbao/extract_cached")
            return item
        same = self.same_content_result(item, key)
        if same is not None:
            item["extraction"] = same
            self.stats.inc_value("nianbao/extract_same_content")
            return item
        args = (bytes(item["body"]), item["url"], item.get("content_type"), opts)
        if self.threaded:
            d = threads.deferToThread(run_extract, *args)
            result = await maybe_deferred_to_future(d)
        else:
            result = run_extract(*args)
        archive.save_extraction(item["sha256"], result_json(result), key)
        item["extraction"] = result
        self.stats.inc_value("nianbao/extracted")
        self.stats.inc_value(f"nianbao/extracted_format/{result.format}")
        return item
