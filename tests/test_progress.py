"""Progress figures: exports (done/total, rate, ETA) and the crawl extension (pages, reports, ETA)."""
from __future__ import annotations

import io
import logging
from types import SimpleNamespace

from scrapy.statscollectors import MemoryStatsCollector

from extensions.progress import CrawlProgress, is_report
from exporting.progress import Progress
from extraction.result import ExtractionResult


def test_export_progress_line_has_rate_and_eta():
    out = io.StringIO()
    p = Progress(200, stream=out, interval=0)
    p.started -= 10  # ten seconds in
    p.advance(50)
    line = out.getvalue().strip()
    assert line.startswith("export: 50/200 reports (25%)")
    assert "5 reports/s" in line and "ETA 0:00:30" in line
    p.advance(150)
    p.finish()
    assert "ETA" not in out.getvalue().strip().splitlines()[-1]


def test_export_progress_without_total_and_disabled():
    out = io.StringIO()
    p = Progress(None, stream=out, interval=0)
    p.advance(3)
    assert "3 reports" in out.getvalue() and "ETA" not in out.getvalue()
    quiet = io.StringIO()
    q = Progress(10, stream=quiet, enabled=False)
    q.advance(10)
    q.finish()
    assert quiet.getvalue() == "" and q.done == 10


class _Scheduler:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


def _crawler(pending: int | None):
    slot = SimpleNamespace(scheduler=_Scheduler(pending)) if pending is not None else None
    from scrapy.settings import Settings
    crawler = SimpleNamespace(engine=SimpleNamespace(_slot=slot), stats=None, settings=Settings())
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


def test_crawl_progress_counts_pages_reports_and_eta(caplog):
    ext = CrawlProgress(_crawler(pending=120), interval=10)
    ext.started = 1000.0
    ext._window = [(1000.0, 0)]
    for _ in range(60):
        ext.response_received(None, None, None)
    ext.item_scraped({"extraction": ExtractionResult(format="2021")}, None, None)
    ext.item_scraped({"extraction": {"format": "pre2019"}}, None, None)
    ext.item_scraped({"extraction": ExtractionResult(format="not_a_report")}, None, None)
    ext.item_scraped({"url": "list page, no extraction"}, None, None)
    s = ext.snapshot(now=1060.0)
    assert (s["pages"], s["reports"], s["pending"]) == (60, 2, 120)
    assert s["pages_per_min"] == 60 and s["eta"] == 120  # 120 queued at 1 page/s
    with caplog.at_level(logging.INFO, logger="extensions.progress"):
        ext.log(now=1060.0)
    assert "60 pages, 2 reports found" in caplog.text and "ETA" in caplog.text
    assert ext.crawler.stats.get_value("nianbao/progress/reports") == 2


def test_crawl_progress_without_a_countable_scheduler_gives_no_eta():
    ext = CrawlProgress(_crawler(pending=None), interval=10)
    ext.response_received(None, None, None)
    s = ext.snapshot()
    assert s["pending"] is None and s["eta"] is None


def test_is_report():
    assert is_report({"extraction": ExtractionResult(format="2019")})
    assert not is_report({"extraction": None}) and not is_report(object())
