"""ArchivePipeline: every fetched response → one capture row, its body → one content-addressed snapshot.

Runs first, before anything interprets the page, so the raw exchange is kept even when extraction
later fails. A failed fetch (status ``None`` and an ``error``) is a capture without a snapshot; a
``304 Not Modified`` turned back into the stored body by the incremental middleware is a capture
with status 304 whose ``sha256`` is the earlier snapshot and whose ``revisit_of`` is the capture
that downloaded it. One transaction per item (``Archive.add_capture``).
"""
from __future__ import annotations

import logging
from typing import Any

from items import FetchedItem
from archive.runtime import session_for

logger = logging.getLogger(__name__)

#: FetchedItem fields copied to the capture row as they are
_COPY = ("role", "classification", "reason", "portal", "family", "listed_on", "listed_title",
         "listed_date", "attachment_of", "request_url", "error")


class ArchivePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler) -> "ArchivePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.session = session_for(self.crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedItem) or not item.get("url"):
            return item
        archive = self.session.archive
        body = item.get("body")
        status = item.get("status")
        extra: dict[str, Any] = {k: item.get(k) for k in _COPY if item.get(k) is not None}
        sha = None
        if item.get("revisit") == "archived" and item.get("sha256"):
            # replayed from the archive without any request: nothing was fetched, nothing to record
            self.stats.inc_value("nianbao/replayed_from_archive")
            return item
        if status == 304 and item.get("sha256"):
            # a revisit: the body is the stored one; point at it instead of storing it again
            sha = item["sha256"]
            body = None
            earlier = archive.last_full_capture(item["url"], sha)
            if earlier is not None:
                extra["revisit_of"] = earlier["id"]
        elif not body:
            body = b"" if status is not None and item.get("error") is None else None
        capture_id = archive.add_capture(
            item["url"], status=status, body=body, sha256=sha, headers=item.get("headers"),
            request_headers=item.get("request_headers"), method=item.get("method") or "GET",
            fetched_at=item.get("fetched_at"), crawl_id=self.session.crawl_id,
            content_type=item.get("content_type"), **extra)
        row = archive.capture(capture_id)
        item["capture_id"] = capture_id
        item["sha256"] = row["sha256"]
        self.stats.inc_value("nianbao/captures")
        if status == 304:
            self.stats.inc_value("nianbao/captures_revisit")
        return item
