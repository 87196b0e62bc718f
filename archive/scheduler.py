"""Resumable crawls: a Scrapy scheduler over ``archive.frontier`` and the middleware that says "done".

Name a crawl and it can be resumed after anything, ``kill -9`` included, by running the same
command again::

    scrapy crawl annual_reports -a portal=NAME -a job=nightly      # state in data/jobs/nightly/
    scrapy crawl annual_reports -a portal=NAME -s JOBDIR=/some/dir  # Scrapy's own convention

Without a job the stock Scrapy scheduler runs unchanged (in memory). With one, requests live in
``<jobdir>/frontier.sqlite``; a request is done only when its response was handled and every
item it produced left the item pipelines (``FrontierSpiderMiddleware`` counts them through the
``item_scraped``/``item_dropped``/``item_error`` signals) — so a crash can repeat work but never
skip it. A job directory is locked while its crawl runs: a second process on the same job is
refused with a clear message (the archive database itself is shared safely: WAL, busy timeout,
one transaction per item). A run that finishes clears its frontier, so the next run of the job
is a fresh crawl (an incremental one, thanks to the archive).
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, AsyncIterator, Iterable

from itemadapter import is_item
from scrapy import Request, signals
from scrapy.core.scheduler import BaseScheduler, Scheduler
from scrapy.utils.request import request_from_dict

from .frontier import Frontier, JobLock, JobLocked
from .runtime import session_for

logger = logging.getLogger(__name__)

FRONTIER_FILE = "frontier.sqlite"
META_KEY = "_frontier_id"
_SAFE_JOB = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")

__all__ = ["ResumableScheduler", "FrontierSpiderMiddleware", "JobLocked", "resolve_job"]


def resolve_job(crawler, spider) -> tuple[str | None, Path | None]:
    """(job name, job directory) from ``-a job=NAME``, ``NIANBAO_JOB`` or ``JOBDIR``; (None, None) if unnamed."""
    settings = crawler.settings
    name = getattr(spider, "job", None) or settings.get("NIANBAO_JOB")
    if name:
        if not _SAFE_JOB.match(str(name)):
            raise ValueError(f"job name {name!r}: use letters, digits, '.', '_' or '-'")
        return str(name), Path(settings.get("NIANBAO_JOBS_DIR", "data/jobs")) / str(name)
    jobdir = settings.get("JOBDIR")
    if jobdir:
        return str(jobdir), Path(jobdir)
    return None, None


class ResumableScheduler(BaseScheduler):
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.stock: Scheduler | None = None
        self.frontier: Frontier | None = None
        self.lock: JobLock | None = None
        self.inflight: dict[int, tuple[int, int]] = {}
        self.memory: list[Request] = []   # requests that cannot be serialised (logged, not resumable)
        self._pending = 0

    @classmethod
    def from_crawler(cls, crawler) -> "ResumableScheduler":
        return cls(crawler)

    # ------------------------------------------------------------------ lifecycle
    def open(self, spider):
        self.spider = spider
        job, jobdir = resolve_job(self.crawler, spider)
        if jobdir is None:
            self.stock = Scheduler.from_crawler(self.crawler)
            return self.stock.open(spider)
        lock = JobLock(jobdir)
        try:
            lock.acquire(f"job {job!r}")
        except JobLocked as exc:
            self.crawler.nianbao_refused = str(exc)   # the crawl history records nothing for it
            logger.error("%s", exc)
            raise
        self.lock = lock
        self.frontier = Frontier(jobdir / FRONTIER_FILE)
        resuming = self.frontier.has_state()
        recovered = self.frontier.recover()
        self._pending = self.frontier.pending()
        session = session_for(self.crawler)
        session.job, session.resuming = job, resuming
        session.scheduler = self
        self.fingerprinter = self.crawler.request_fingerprinter
        if resuming:
            self.stats.set_value("nianbao/resume/pending", self._pending)
            self.stats.set_value("nianbao/resume/recovered_inflight", recovered)
            logger.info("job %r: resuming with %d pending requests (%d were in flight when it stopped)",
                        job, self._pending, recovered)
        else:
            logger.info("job %r: new crawl, state in %s", job, jobdir)
        return None

    def close(self, reason: str):
        if self.stock is not None:
            return self.stock.close(reason)
        if self.frontier is None:     # refused at open: nothing of ours to close
            return None
        if reason == "finished" and self._pending == 0 and not self.memory:
            self.frontier.reset()
        else:
            logger.info("job state kept for resume (%s): %s", reason, self.frontier.counts())
        self.frontier.close()
        if self.lock:
            self.lock.release()
        return None

    # ------------------------------------------------------------------ queue
    def has_pending_requests(self) -> bool:
        if self.stock is not None:
            return self.stock.has_pending_requests()
        return self._pending > 0 or bool(self.memory)

    def __len__(self) -> int:
        if self.stock is not None:
            return len(self.stock)
        return self._pending + len(self.memory)

    def enqueue_request(self, request: Request) -> bool:
        if self.stock is not None:
            return self.stock.enqueue_request(request)
        assert self.frontier is not None
        previous = request.meta.get(META_KEY)
        supersedes = None
        if previous in self.inflight:
            retries, redirects = self.inflight[previous]
            if (request.meta.get("retry_times", 0) > retries
                    or request.meta.get("redirect_times", 0) > redirects):
                supersedes = previous   # a retry or redirect takes the place of its original
        fp = None if request.dont_filter else self.fingerprinter.fingerprint(request).hex()
        try:
            data = request.to_dict(spider=self.spider)
            data.get("meta", {}).pop(META_KEY, None)
            row = self.frontier.push(data, fp, request.priority, request.url, supersedes)
        except Exception as exc:  # unpicklable meta or callback: keep it, but in memory only
            logger.warning("request %s cannot be saved for resume (%s); kept in memory", request, exc)
            self.stats.inc_value("nianbao/resume/unsaved_requests")
            self.memory.append(request)
            return True
        if supersedes is not None:
            self.inflight.pop(supersedes, None)
        if row is None:
            self.stats.inc_value("dupefilter/filtered")
            return False
        self._pending += 1
        self.stats.inc_value("scheduler/enqueued/frontier")
        return True

    def next_request(self) -> Request | None:
        if self.stock is not None:
            return self.stock.next_request()
        assert self.frontier is not None
        if self.memory:
            return self.memory.pop()
        popped = self.frontier.pop()
        if popped is None:
            self._pending = 0
            return None
        row_id, data = popped
        self._pending = max(0, self._pending - 1)
        request = request_from_dict(data, spider=self.spider)
        request.meta[META_KEY] = row_id
        self.inflight[row_id] = (request.meta.get("retry_times", 0), request.meta.get("redirect_times", 0))
        self.stats.inc_value("scheduler/dequeued/frontier")
        return request

    def mark_done(self, row_id: int) -> None:
        if self.frontier is not None and row_id in self.inflight:
            self.frontier.done(row_id)
            self.inflight.pop(row_id, None)


class FrontierSpiderMiddleware:
    """Marks a frontier request done once its callback output and all its items are through."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.outstanding: dict[int, int] = {}
        self.exhausted: set[int] = set()
        self.owner: dict[int, int] = {}

    @classmethod
    def from_crawler(cls, crawler) -> "FrontierSpiderMiddleware":
        mw = cls(crawler)
        for sig in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(mw.item_finished, signal=sig)
        return mw

    def _scheduler(self) -> ResumableScheduler | None:
        session = getattr(self.crawler, "_nianbao_session", None)
        return getattr(session, "scheduler", None) if session is not None else None

    def _start(self, response) -> int | None:
        meta = getattr(response, "meta", None) if response is not None else None
        try:
            fid = meta.get(META_KEY) if meta is not None else None
        except AttributeError:  # a response without a request
            return None
        if fid is not None:
            self.outstanding.setdefault(fid, 0)
        return fid

    def _seen(self, fid: int | None, obj: Any) -> None:
        if fid is not None and is_item(obj):
            self.outstanding[fid] = self.outstanding.get(fid, 0) + 1
            self.owner[id(obj)] = fid

    def _finish(self, fid: int | None) -> None:
        if fid is not None:
            self.exhausted.add(fid)
            self._maybe_done(fid)

    def _maybe_done(self, fid: int) -> None:
        if fid in self.exhausted and self.outstanding.get(fid, 0) <= 0:
            self.exhausted.discard(fid)
            self.outstanding.pop(fid, None)
            scheduler = self._scheduler()
            if scheduler is not None:
                scheduler.mark_done(fid)

    def item_finished(self, item: Any, **kwargs: Any) -> None:
        fid = self.owner.pop(id(item), None)
        if fid is not None:
            self.outstanding[fid] = self.outstanding.get(fid, 0) - 1
            self._maybe_done(fid)

    def process_spider_output(self, response, result: Iterable[Any]) -> Iterable[Any]:
        fid = self._start(response)
        try:
            for obj in result:
                self._seen(fid, obj)
                yield obj
        finally:
            self._finish(fid)

    async def process_spider_output_async(self, response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        fid = self._start(response)
        try:
            async for obj in result:
                self._seen(fid, obj)
                yield obj
        finally:
            self._finish(fid)
