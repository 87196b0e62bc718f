"""Scrapy items: what spiders hand to the pipelines.

A spider never writes to the archive itself (archiving lives in pipelines, never in spiders):
it yields one ``FetchedItem`` per response it wants kept, with the raw bytes as served and what it
knows about the page (its role, why it looks like a report, where it was listed). The pipelines
add what they compute (sha256, extraction) on the same item.
"""
from __future__ import annotations

import scrapy


class FetchedItem(scrapy.Item):
    # --- the exchange, exactly as it happened
    url = scrapy.Field()              # the URL requested (after redirects: the final URL)
    request_url = scrapy.Field()      # the URL first asked for, when a redirect happened
    method = scrapy.Field()
    request_headers = scrapy.Field()  # dict[str, list[str]]
    status = scrapy.Field()
    headers = scrapy.Field()          # dict[str, list[str]] of the response
    body = scrapy.Field()             # bytes, exactly as served (after transfer decoding)
    fetched_at = scrapy.Field()       # ISO 8601 UTC
    content_type = scrapy.Field()
    error = scrapy.Field()            # why the fetch failed (timeout, reset ...); status None then
    # --- what the spider knows about it
    role = scrapy.Field()             # "list" | "article" | "attachment" | "robots" | "other"
    family = scrapy.Field()           # CMS family of the site ("hanweb", "trs", "generic" ...)
    classification = scrapy.Field()   # "report" | "decoy" | "unknown"
    reason = scrapy.Field()           # why it was classified so (human-readable)
    listed_title = scrapy.Field()     # title as shown in the list that linked it
    listed_date = scrapy.Field()
    listed_on = scrapy.Field()        # URL of the list page that linked it
    attachment_of = scrapy.Field()    # article URL an attachment belongs to
    portal = scrapy.Field()           # registry name or start URL of the crawl
    # --- what an article page prints about itself (spiders/metadata.py)
    index_no = scrapy.Field()         # 索引号
    topic = scrapy.Field()            # 主题分类 / 分类
    publisher = scrapy.Field()        # 发布机构
    published = scrapy.Field()        # 公开日期 / 发布日期 (ISO when it parses)
    doc_no = scrapy.Field()           # 文号
    breadcrumb = scrapy.Field()       # 当前位置: names the body and the column
    # --- filled by pipelines
    sha256 = scrapy.Field()
    capture_id = scrapy.Field()
    revisit = scrapy.Field()          # body not downloaded again: "not-modified" (HTTP 304) or "archived"
    extraction = scrapy.Field()       # extraction.ExtractionResult
