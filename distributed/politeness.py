"""Global per-host politeness: the limits hold across all workers, not per worker.

Why: Scrapy's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` are enforced inside one
process; four workers would hit a portal four times as hard. This downloader middleware takes,
before each download, a *lease* for the request's host from Redis (one Lua script, using the
Redis server's clock so machines with skewed clocks still agree):

* at most ``NIANBAO_HOST_CONCURRENCY`` leases per host exist at once (a sorted set of lease
  tokens scored by expiry; leases of a killed worker expire after ``NIANBAO_HOST_LEASE_TTL``);
* two downloads from one host start at least ``NIANBAO_HOST_DELAY`` seconds apart.

The lease is released when the response (or the error) comes back. A request whose host has no
free slot waits at most ``NIANBAO_HOST_PATIENCE`` seconds (doubling each time it is handed back,
up to 2 s); then it goes back to the shared queue and this worker's download slot takes other
work. Waiting instead would let a worker's whole capacity sit on one busy host while other hosts
go idle (head-of-line blocking), which is what kept 4 workers far from 4× in the scale bench.
So the per-host bound on
throughput is ``min(concurrency / latency, 1 / delay)`` requests per second, whatever the number
of workers. The add-on sets these from the project's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and
``DOWNLOAD_DELAY`` and turns the per-process delay and AutoThrottle off (they would only add a
second, uncoordinated delay on top of the global one).
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis import connection

from .keys import Keys

logger = logging.getLogger(__name__)

LEASE_META = "_nianbao_host_lease"
DEFERRED_META = "nianbao_host_deferred"   # times this request was handed back for a busy host
REQUEUE_META = "nianbao_requeue"          # tells the scheduler not to filter it as a duplicate

# KEYS: leases zset, next-start key. ARGV: token, max concurrency, delay ms, lease ttl ms.
# Returns 0 when the lease is granted, else how many ms to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
local d = tonumber(ARGV[3])
if d > 0 then redis.call('SET', KEYS[2], now + d, 'PX', d + 1000) end
return 0
"""


def host_of(request: Request) -> str:
    """The politeness key: the download slot if a spider set one, else the host name."""
    return str(request.meta.get("download_slot") or urlparse_cached(request).hostname or "")


class GlobalPolitenessMiddleware:
    def __init__(self, server: Any, keys: Keys, concurrency: int, delay: float,
                 lease_ttl: float, poll: float, patience: float = 0.0, crawler: Any = None) -> None:
        self.server = server
        self.patience = patience
        self.crawler = crawler
        self.keys = keys
        self.concurrency = max(1, concurrency)
        self.delay_ms = int(delay * 1000)
        self.lease_ttl_ms = int(lease_ttl * 1000)
        self.poll = poll
        self._acquire = server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "GlobalPolitenessMiddleware":
        s = crawler.settings
        if not s.getbool("NIANBAO_DISTRIBUTED"):
            raise NotConfigured
        lease_ttl = s.getfloat("NIANBAO_HOST_LEASE_TTL") or (s.getfloat("DOWNLOAD_TIMEOUT", 180) + 30)
        return cls(connection.get_redis_from_settings(s), Keys(s.get("NIANBAO_REDIS_PREFIX") or "nianbao"),
                   s.getint("NIANBAO_HOST_CONCURRENCY", 2), s.getfloat("NIANBAO_HOST_DELAY", 1.0),
                   lease_ttl, s.getfloat("NIANBAO_HOST_POLL", 0.02), s.getfloat("NIANBAO_HOST_PATIENCE", 0.1),
                   crawler)

    def try_acquire(self, host: str, token: str) -> int:
        return int(self._acquire(keys=[self.keys.host_leases(host), self.keys.host_next(host)],
                                 args=[token, self.concurrency, self.delay_ms, self.lease_ttl_ms]))

    def release(self, request: Request) -> None:
        lease = request.meta.pop(LEASE_META, None)
        if lease:
            host, token = lease
            try:
                self.server.zrem(self.keys.host_leases(host), token)
            except Exception as exc:  # the lease expires by itself
                logger.warning("could not release host lease for %s: %s", host, exc)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        host = host_of(request)
        if not host:
            return None
        self.release(request)  # a retry/redirect copy carries its parent's (released) lease
        token = uuid.uuid4().hex
        deferred = int(request.meta.get(DEFERRED_META, 0))
        give_up = time.monotonic() + min(self.patience * 2 ** deferred, 2.0)
        while True:
            try:
                wait_ms = self.try_acquire(host, token)
            except Exception as exc:  # Redis unreachable: wait, never bypass the limit
                logger.warning("politeness store unreachable (%s); waiting", exc)
                wait_ms = 1000
            if wait_ms == 0:
                break
            if wait_ms < 0 and self.patience > 0 and self.crawler is not None and time.monotonic() >= give_up:
                self.hand_back(request, deferred)
            # -1: all slots taken; poll soon, with jitter so waiting workers do not move in step
            wait = self.poll if wait_ms < 0 else wait_ms / 1000
            await asyncio.sleep(wait * random.uniform(1.0, 1.5))
        request.meta[LEASE_META] = (host, token)
        return None

    def hand_back(self, request: Request, deferred: int) -> None:
        """Queue a copy for any worker (before dropping this one: a crash in between costs at
        most a second fetch, never the request) and free this download slot."""
        again = request.copy()
        again.meta[DEFERRED_META] = deferred + 1
        again.meta[REQUEUE_META] = True
        self.crawler.engine.crawl(again)
        self.crawler.stats.inc_value("nianbao/host_busy_handed_back")
        raise IgnoreRequest("host at its global concurrency limit: handed back to the shared queue")

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        self.release(request)
        return None
