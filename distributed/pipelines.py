"""Worker side of the item path: tag each item with where it came from, push it to Redis.

Why an idempotency key: a request of a killed worker is fetched again by another worker; if
the dead one had already pushed its items, the writer must store them once. The same holds for
the copies a request leaves behind when its worker dies at the wrong moment (a retry or a
hand-back already queued, the original requeued by the reaper). So the key names *what* was
fetched, not which copy: the job's run id, the request fingerprint (scrapy-redis's: method,
canonical URL, body) and the item's position in the callback output. Processing the same page
twice in one run yields the same keys and the writer skips the second copy; within a run the
dupefilter already allows one fetch per fingerprint, so nothing legitimate is skipped.

The push pipeline runs last, after whatever pipelines stay on workers (extraction: the CPU-heavy
part scales with the workers) and replaces those that write SQLite (they run in the writer).
It waits while the stream holds more than ``NIANBAO_ITEMS_BACKLOG`` entries, so a slow writer
slows the crawl down instead of filling Redis's memory with snapshots.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.python import global_object_name
from scrapy_redis import connection

from .keys import Keys
from scrapy_redis.dupefilter import RFPDupeFilter
from .serialize import dumps_item

logger = logging.getLogger(__name__)

ORIGIN_ATTR = "_nianbao_origin"


def set_origin(item: Any, key: str) -> None:
    if isinstance(item, dict):
        item[ORIGIN_ATTR] = key
    else:
        try:
            object.__setattr__(item, ORIGIN_ATTR, key)
        except (AttributeError, TypeError):
            pass


def pop_origin(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.pop(ORIGIN_ATTR, None)
    return getattr(item, ORIGIN_ATTR, None)


class ItemOriginMiddleware:
    """Spider middleware: key the items of each callback output by run, fingerprint, position."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.df = RFPDupeFilter(None, key="")  # only its fingerprint function is used

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ItemOriginMiddleware":
        if not crawler.settings.getbool("NIANBAO_DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    def _prefix(self, response: Any) -> str | None:
        request = getattr(response, "request", None)
        run = getattr(self.crawler, "nianbao_run_id", None)
        if request is None or run is None:
            return None
        return f"{run}:{self.df.request_fingerprint(request)}"

    def _tag(self, prefix: str | None, out: Any, counter: list[int]) -> Any:
        if prefix and not isinstance(out, Request):
            set_origin(out, f"{prefix}:{counter[0]}")
            counter[0] += 1
        return out

    def process_spider_output(self, response: Any, result: Iterable[Any], spider: Any = None) -> Iterable[Any]:
        prefix, counter = self._prefix(response), [0]
        for out in result:
            yield self._tag(prefix, out, counter)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        prefix, counter = self._prefix(response), [0]
        async for out in result:
            yield self._tag(prefix, out, counter)


class RedisItemPipeline:
    def __init__(self, server: Any, keys: Keys, backlog: int) -> None:
        self.server = server
        self.keys = keys
        self.backlog = backlog
        self._room = 0  # pushes allowed before the stream length is asked again

    @classmethod
    def from_crawler(cls, crawler: Any) -> "RedisItemPipeline":
        s = crawler.settings
        if not s.getbool("NIANBAO_DISTRIBUTED"):
            raise NotConfigured
        return cls(connection.get_redis_from_settings(s),
                   Keys(s.get("NIANBAO_REDIS_PREFIX") or "nianbao"), s.getint("NIANBAO_ITEMS_BACKLOG", 500))

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        key = pop_origin(item) or f"noorigin:{uuid.uuid4().hex}"
        data = dumps_item(item, key, global_object_name(type(item)))
        while True:
            try:
                if self.backlog > 0 and self._room <= 0:
                    self._room = (self.backlog - int(self.server.xlen(self.keys.items))) // 4
                if self.backlog <= 0 or self._room > 0:
                    self.server.xadd(self.keys.items, {"d": data})
                    self._room -= 1
                    return item
                await asyncio.sleep(0.2)
            except Exception as exc:  # Redis restarting: the item must not be lost, so wait
                logger.warning("cannot push item to Redis (%s); retrying", exc)
                await asyncio.sleep(1.0)
