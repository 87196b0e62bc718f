"""CrawlHistory: one ``crawls`` row per crawl process — what was asked, when, what came of it.

Why an extension: the history belongs to the run, not to any page. At ``spider_opened`` it makes
sure the crawl row exists (so even a crawl that fetches nothing is on record); at
``spider_closed`` it writes the finish time, Scrapy's stats and the outcome (the close reason:
``finished``, ``shutdown`` for Ctrl-C, ``closespider_*`` ...). A crawl killed with ``kill -9``
keeps outcome ``running`` until the next crawl of its job marks it ``interrupted``.

Marking reports gone: when a run *finished* normally, reports of the portals it covered that no
crawl of the run saw (fetched, or revisited with a 304) are marked ``gone`` — never deleted. A run
cut short (Ctrl-C, a page budget, ``CLOSESPIDER_*``) saw only part of the portal and declares
nothing gone. The portals a run covered are those of its successful list-page captures, which
the spider names on every item (``portal``); ``NIANBAO_MARK_GONE = False`` turns this off.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.runtime import session_for
from archive.store import mark_gone

logger = logging.getLogger(__name__)


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}


class CrawlHistory:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.mark_gone = crawler.settings.getbool("NIANBAO_MARK_GONE", True)

    @classmethod
    def from_crawler(cls, crawler) -> "CrawlHistory":
        if not crawler.settings.getbool("NIANBAO_CRAWL_HISTORY", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        session = session_for(self.crawler)
        spider.nianbao_crawl_id = session.crawl_id

    def covered_portals(self, crawl_id: int) -> set[str]:
        archive = session_for(self.crawler).archive
        ids = archive.run_crawl_ids(crawl_id)
        marks = ",".join("?" * len(ids))
        rows = archive.db.execute(
            f"SELECT DISTINCT portal FROM captures WHERE crawl_id IN ({marks}) AND role = 'list' "
            "AND status IN (200, 304) AND portal IS NOT NULL", ids).fetchall()
        return {r[0] for r in rows}

    def spider_closed(self, spider, reason: str) -> None:
        if getattr(self.crawler, "nianbao_refused", None):
            return   # this process was refused (job locked): it did not crawl, so no history
        session = session_for(self.crawler)
        crawl_id = session.crawl_id
        stats = self.crawler.stats
        truncated = any(k.startswith("nianbao/budget_exhausted") or k == "nianbao/list_page_cap"
                        for k in stats.get_stats())
        if self.mark_gone and reason == "finished" and not truncated:
            portals = self.covered_portals(crawl_id)
            gone = mark_gone(session.archive, crawl_id, portals) if portals else []
            stats.set_value("nianbao/reports_gone", len(gone))
            if gone:
                logger.info("%d reports no longer listed: marked gone (ids %s)", len(gone), gone[:20])
        session.archive.finish_crawl(crawl_id, reason, _jsonable(stats.get_stats()))
