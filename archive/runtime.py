"""The archive as one crawl process sees it: one open ``Archive`` and one ``crawls`` row per crawler.

Why a shared session: the scheduler (resume state), the incremental middleware, the three item
pipelines and the crawl-history extension all need the same database connection and the same
crawl id, and Scrapy opens them in an order that is not theirs to choose (scheduler, then
pipelines, then ``spider_opened``). Whoever asks first creates the session; the crawl row is
created on first use, so a resumed job can say which crawl it continues.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any

from scrapy import signals

from .db import Archive, open_archive

logger = logging.getLogger(__name__)

_ATTR = "_nianbao_session"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def spider_arguments(spider: Any) -> dict[str, Any]:
    """What the crawl was asked to do: the command line and the spider's simple attributes."""
    attrs = {}
    cls_attrs = set(dir(type(spider)))
    for key, value in vars(spider).items():
        if key.startswith("_") or key in cls_attrs or key in ("crawler", "settings"):
            continue
        if isinstance(value, (str, int, float, bool)) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            attrs[key] = value
    return {"argv": sys.argv[1:], "spider": attrs}


class CrawlSession:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = settings.get("NIANBAO_DB", "data/nianbao.db")
        self.archive: Archive = open_archive(
            self.db_path, timeout=settings.getfloat("NIANBAO_DB_TIMEOUT", 60.0),
            zstd_level=settings.getint("NIANBAO_ZSTD_LEVEL", 9))
        self.job: str | None = None
        self.resuming = False
        self._crawl_id: int | None = None
        self.closed = False
        crawler.signals.connect(self.close, signal=signals.engine_stopped)

    @property
    def crawl_id(self) -> int:
        if self._crawl_id is None:
            spider = self.crawler.spider
            resumed_from = None
            if self.job:
                prev = self.archive.last_unfinished_crawl(self.job)
                if prev is not None:
                    if prev["outcome"] == "running" and not _pid_alive(prev["pid"]):
                        self.archive.finish_crawl(prev["id"], "interrupted", {})
                    # the job's last run never finished (killed, Ctrl-C, cut short): this continues it
                    resumed_from = prev["id"]
            self._crawl_id = self.archive.start_crawl(
                getattr(spider, "name", "?"), spider_arguments(spider) if spider else {},
                job=self.job, resumed_from=resumed_from)
            logger.info("archive %s: crawl #%s%s", self.db_path, self._crawl_id,
                        f" (resumes #{resumed_from})" if resumed_from else "")
        return self._crawl_id

    @property
    def has_crawl(self) -> bool:
        return self._crawl_id is not None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.archive.close()


def session_for(crawler) -> CrawlSession:
    session = getattr(crawler, _ATTR, None)
    if session is None or session.closed:
        session = CrawlSession(crawler)
        setattr(crawler, _ATTR, session)
    return session
