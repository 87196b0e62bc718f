"""Crawl progress in the log: pages, reports found, rate, and an ETA where one can be known.

Why beside Scrapy's LogStats: a scheduled crawl of a big portal runs for hours, and the person
reading the Scrapyd log wants "how far, how fast, how long still", in terms of what nianbao is
for (reports found), not just pages and items. The ETA is the requests still waiting in the
scheduler divided by the recent page rate; a crawl discovers pages as it goes, so it is a lower
bound, and it is printed only when the scheduler can say how many requests wait.

Settings: ``NIANBAO_PROGRESS_INTERVAL`` (seconds, default 30; 0 turns it off).
The figures are also kept in the stats (``nianbao/progress/*``) so ``crawls.stats`` records them.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from exporting.progress import format_duration
from extraction import spec

logger = logging.getLogger(__name__)

#: extraction formats that mean "this document is an annual report"
REPORT_FORMATS = frozenset((*spec.FORMATS, "pre2019"))


class CrawlProgress:
    def __init__(self, crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.started = time.monotonic()
        self.pages = 0
        self.reports = 0
        self._window: list[tuple[float, int]] = []  # (time, pages) samples for the recent rate

    @classmethod
    def from_crawler(cls, crawler) -> "CrawlProgress":
        interval = crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 30.0)
        if not interval:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        return ext

    # ------------------------------------------------------------------ signals
    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        self._window = [(self.started, 0)]
        try:
            from scrapy.utils.asyncio import create_looping_call
            self.task = create_looping_call(self.log)
        except ImportError:  # older Scrapy
            from twisted.internet.task import LoopingCall
            self.task = LoopingCall(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log(final=True)

    def response_received(self, response, request, spider) -> None:
        self.pages += 1

    def item_scraped(self, item, response, spider) -> None:
        if is_report(item):
            self.reports += 1

    # ------------------------------------------------------------------ figures
    def pending(self) -> int | None:
        """Requests waiting in the scheduler, when the scheduler can tell."""
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        scheduler = getattr(slot, "scheduler", None)
        if scheduler is None:
            return None
        try:
            return int(len(scheduler))
        except (TypeError, NotImplementedError):
            return None

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        now = time.monotonic() if now is None else now
        self._window.append((now, self.pages))
        horizon = now - max(5 * self.interval, 60.0)
        while len(self._window) > 2 and self._window[0][0] < horizon:
            self._window.pop(0)
        t0, p0 = self._window[0]
        elapsed = max(now - self.started, 1e-9)
        recent = (self.pages - p0) / (now - t0) if now > t0 else 0.0
        pending = self.pending()
        eta = pending / recent if pending is not None and recent > 0 else None
        return {"pages": self.pages, "reports": self.reports, "elapsed": elapsed,
                "pages_per_min": 60.0 * self.pages / elapsed, "recent_pages_per_min": 60.0 * recent,
                "pending": pending, "eta": eta}

    def log(self, final: bool = False, now: float | None = None) -> None:
        s = self.snapshot(now)
        stats = self.crawler.stats
        for key in ("pages", "reports", "pending"):
            if s[key] is not None:
                stats.set_value(f"nianbao/progress/{key}", s[key])
        stats.set_value("nianbao/progress/pages_per_min", round(s["pages_per_min"], 1))
        parts = [f"{s['pages']:,} pages", f"{s['reports']:,} reports found",
                 f"{s['recent_pages_per_min']:,.0f} pages/min (avg {s['pages_per_min']:,.0f})",
                 f"elapsed {format_duration(s['elapsed'])}"]
        if not final and s["pending"] is not None:
            parts.append(f"{s['pending']:,} requests queued")
            if s["eta"] is not None:
                parts.append(f"ETA ≥ {format_duration(s['eta'])}")
        logger.info("%s: %s", "Done" if final else "Progress", ", ".join(parts))


def is_report(item: Any) -> bool:
    """An item whose extraction found an annual report (statutory tables, or a pre-2019 report)."""
    try:
        result = item.get("extraction")
    except AttributeError:
        return False
    if result is None:
        return False
    fmt = result.get("format") if isinstance(result, dict) else getattr(result, "format", None)
    return fmt in REPORT_FORMATS
