"""BodiesRefresh: after a crawl, regroup the archive's reports into bodies and cross-check years.

Why an extension and not a command the user must remember: identities and cross-report findings
(``agencies``) depend on every report in the archive, so they are stale after each crawl that
adds or changes one. At ``spider_closed`` (the pipelines have flushed by then) this runs the same
``agencies.store.compute`` that ``scrapy agencies`` runs. A failure is logged, never fatal: the
crawl's data is already stored, and ``scrapy agencies`` can be run again by hand.

Off with ``-s NIANBAO_BODIES_ON_CLOSE=0``; off on distributed workers, which do not own the
archive (the writer's operator runs ``scrapy agencies``).
"""
from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class BodiesRefresh:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> "BodiesRefresh":
        s = crawler.settings
        if not s.getbool("NIANBAO_BODIES_ON_CLOSE", True):
            raise NotConfigured
        if s.getbool("NIANBAO_DISTRIBUTED") or s.get("REDIS_URL"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        if getattr(self.crawler, "nianbao_refused", None):
            return
        from agencies import overrides, store
        from archive.runtime import session_for

        try:
            archive = session_for(self.crawler).archive
            if not archive.db["reports"].exists() or not archive.db["reports"].count:
                return
            result = store.compute(archive.db)
        except overrides.OverrideError as exc:
            logger.error("bodies not refreshed: %s (fix the overrides file, then run `scrapy agencies`)", exc)
            return
        except Exception:  # the crawl is stored; identities can be recomputed by hand
            logger.exception("bodies not refreshed; run `scrapy agencies` to retry")
            return
        self.crawler.stats.set_value("nianbao/bodies", len(result.resolution.bodies))
        self.crawler.stats.set_value("nianbao/cross_findings", len(result.findings))
        logger.info("bodies: %d reports in %d bodies, %d cross-report findings",
                    result.n_reports, len(result.resolution.bodies), len(result.findings))
