"""The distributed scheduler: scrapy-redis's ``Scheduler`` made crash-safe and job-aware.

What it adds to ``scrapy_redis.scheduler.Scheduler`` (see the module docs of
:mod:`distributed.reliable_queue` and :mod:`distributed.workers` for why):

* atomic dedupe+enqueue and pop-into-in-flight (:class:`ReliablePriorityQueue`), with
  fingerprints from scrapy-redis's ``RFPDupeFilter`` in the job's dupefilter set;
* acknowledgement of a request only when the engine finished it, a heartbeat, and a reaper that
  requeues the in-flight requests of dead workers;
* a worker stays open while *any* worker of the job still has work (it may discover pages), and
  the crawl ends when the whole job is done;
* start requests are de-duplicated across workers: every worker runs the spider's ``start()``,
  but only the first copy of each start URL is crawled (``dont_filter`` is ignored for start
  requests that are not retries);
* the queue always persists (a killed worker resumes the job); a job that finished is reset when
  a worker starts it again, so running the same command twice re-crawls, as a single process
  does.
"""
from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from . import compat
from .keys import Keys
from .politeness import REQUEUE_META
from .reliable_queue import TOKEN_META, ReliablePriorityQueue
from .workers import WorkerRegistry, new_worker_id

logger = logging.getLogger(__name__)

# KEYS: finished, queue, dupefilter, run. A finished job starts afresh, with a new run id.
_RESET_IF_FINISHED = """
local reset = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  reset = 1
end
redis.call('SET', KEYS[4], ARGV[1], 'NX')
return {reset, redis.call('GET', KEYS[4])}
"""


class DistributedScheduler(Scheduler):
    crawler: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DistributedScheduler":
        s = crawler.settings
        server = connection.get_redis_from_settings(s)
        server.ping()
        serializer = s.get("SCHEDULER_SERIALIZER")
        if isinstance(serializer, str):
            serializer = load_object(serializer)
        inst = cls(server=server, persist=True, serializer=serializer)
        inst.crawler = crawler
        inst.stats = crawler.stats
        inst.keys = Keys(s.get("NIANBAO_REDIS_PREFIX") or "nianbao")
        inst.worker_id = s.get("NIANBAO_WORKER_ID") or new_worker_id()
        inst.ttl = s.getfloat("NIANBAO_WORKER_TTL", 10.0)
        inst.redis_patience = s.getfloat("NIANBAO_REDIS_PATIENCE", 300.0)
        inst.tick_interval = s.getfloat("NIANBAO_TICK_INTERVAL", 0.05)
        inst._popped: set[str] = set()
        inst._tick: task.LoopingCall | None = None
        inst._ticks = 0
        inst._next_reap = 0.0
        inst._pop_failed = False
        inst._next_idle_check = 0.0
        crawler.signals.connect(inst._on_idle, signal=signals.spider_idle)
        return inst

    # --- life cycle
    def open(self, spider: Any) -> None:
        self.spider = spider
        s = self.crawler.settings
        self.job = s.get("NIANBAO_JOB") or spider.name
        k = self.keys
        reset = self.server.register_script(_RESET_IF_FINISHED)
        was_reset, run_id = reset(keys=[k.finished(self.job), k.queue(self.job), k.dupefilter(self.job),
                                        k.run(self.job)], args=[uuid.uuid4().hex[:12]])
        if was_reset:
            logger.info("job %r had finished: starting it afresh", self.job)
        self.run_id = run_id.decode() if isinstance(run_id, bytes) else str(run_id)
        self.crawler.nianbao_run_id = self.run_id  # read by ItemOriginMiddleware
        self.df = RFPDupeFilter(self.server, key=k.dupefilter(self.job),
                                debug=s.getbool("DUPEFILTER_DEBUG"))
        self.queue = ReliablePriorityQueue(
            self.server, spider, key=k.queue(self.job), serializer=self.serializer,
            dupefilter_key=k.dupefilter(self.job), inflight_key=k.inflight(self.worker_id))
        self.registry = WorkerRegistry(self.server, k, self.job, self.worker_id, self.ttl)
        self.registry.register()
        self.registry.start_heartbeat(min(1.0, self.ttl / 4))
        requeued = self.registry.reap_dead()
        logger.info("worker %s joined job %r (%d queued, %d requeued from dead workers)",
                    self.worker_id, self.job, len(self.queue), requeued)
        self._tick = task.LoopingCall(self._on_tick)
        self._tick.start(self.tick_interval, now=False)

    def close(self, reason: str) -> None:
        if self._tick is not None and self._tick.running:
            self._tick.stop()
        self._with_retry("acknowledging", self._ack_done)
        left = self._with_retry("leaving the job", self.registry.deregister)
        if left:
            logger.info("worker %s leaves %d unfinished request(s) to the others", self.worker_id, left)
        try:
            if reason == "finished" and self.registry.outstanding() == 0:
                self.server.set(self.keys.finished(self.job), b"1", ex=7 * 24 * 3600)
        except redis.RedisError as exc:  # the next run then resumes instead of restarting
            logger.warning("could not mark job %r finished: %s", self.job, exc)

    # --- the scheduler interface
    def _with_retry(self, what: str, call: Any) -> Any:
        """Run a Redis call that must not be skipped, waiting out a Redis restart.

        Blocking the reactor here is deliberate: a new request that is not queued is lost (its
        parent gets acknowledged), and nothing useful can happen while Redis is away."""
        deadline = time.monotonic() + self.redis_patience
        while True:
            try:
                return call()
            except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as exc:
                if time.monotonic() >= deadline:
                    raise
                logger.warning("Redis unavailable while %s (%s); retrying", what, exc)
                time.sleep(0.5)

    def enqueue_request(self, request: Request) -> bool:
        meta = request.meta
        start_copy = bool(meta.get("is_start_request")) and not meta.get("retry_times")
        filter_dupes = (not request.dont_filter or start_copy) and not meta.pop(REQUEUE_META, False)
        fp = self.df.request_fingerprint(request)
        token = uuid.uuid4().hex  # one token across retries: a repeated ZADD is a no-op
        if not self._with_retry("queueing a request", lambda: self.queue.push(request, fp, filter_dupes, token)):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        try:
            request = self.queue.pop()
        except redis.RedisError as exc:  # the tick wakes the engine again once Redis is back
            logger.warning("cannot pop a request (%s)", exc)
            self._pop_failed = True  # the pop may have happened without us hearing of it
            return None
        if request is None:
            return None
        self._popped.add(request.meta[TOKEN_META])
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return len(self.queue) > 0
        except redis.RedisError:
            return True  # unknown: do not let the engine conclude it is idle

    # --- acknowledgements, reaping, waking
    def _ack_done(self) -> None:
        engine = self.crawler.engine
        busy = {r.meta.get(TOKEN_META) for r in compat.inprogress_requests(engine)}
        done = [t for t in self._popped if t not in busy]
        if done:
            self.server.hdel(self.keys.inflight(self.worker_id), *done)
            self._popped.difference_update(done)

    def _on_tick(self) -> None:
        """Every ``NIANBAO_TICK_INTERVAL``: acknowledge finished requests and wake the engine
        when other workers queued work; now and then reap dead workers and re-check idleness
        (those cost several Redis calls, so not on every tick)."""
        try:
            self._ticks += 1
            if self._ticks == 1:
                compat.check_engine(self.crawler.engine)
            self._ack_done()
            if self._pop_failed:
                n = self.queue.requeue_orphans(set(self._popped))
                self._pop_failed = False
                if n:
                    logger.warning("requeued %d request(s) popped while Redis was failing", n)
            now = time.monotonic()
            if now >= self._next_reap:
                self._next_reap = now + self.ttl / 2
                self.registry.reap_dead()
            if len(self.queue):
                compat.wake(self.crawler.engine)
            elif not self._popped and now >= self._next_idle_check:
                self._next_idle_check = now + 0.5
                compat.wake(self.crawler.engine)  # lets the engine ask _on_idle whether the job is over
        except Exception as exc:  # Redis restarting: retry next tick, never kill the loop
            logger.warning("scheduler tick failed: %s", exc)

    def _on_idle(self, spider: Any) -> None:
        """Keep this worker while the job has work anywhere; others may discover pages."""
        try:
            self._ack_done()
            outstanding = self.registry.outstanding()
            if outstanding and not len(self.queue):
                now = time.monotonic()
                if now >= self._next_reap:  # the work left may belong to a dead worker
                    self._next_reap = now + self.ttl / 2
                    self.registry.reap_dead()
        except Exception as exc:
            logger.warning("cannot reach Redis to decide whether the crawl is over: %s", exc)
            raise DontCloseSpider from exc
        if outstanding:
            raise DontCloseSpider
