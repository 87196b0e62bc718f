"""The archive writer: the one process that owns the SQLite file in a distributed crawl.

Why one writer: SQLite serialises writers anyway, and a file shared over a network file system
is how archives get corrupted. Workers push items to a Redis stream; the writer reads it with a
consumer group and runs each item through the project's own item pipelines (archive → store;
extraction already ran on the worker), inside a normal Scrapy crawler so that the pipelines,
extensions and stats work exactly as in a single-process crawl.

Exactly-once storage, even across crashes of any process:

* an entry is acknowledged (``XACK`` + ``XDEL``) only after its item went through every pipeline
  (the pipelines commit per item) and its idempotency key was recorded in the archive's
  ``distributed_receipts`` table; a writer killed before that gets the entry again on restart
  (it reads its own pending entries first);
* an item whose key is already in ``distributed_receipts`` is skipped: that is the second copy of
  a page a killed worker had already pushed before another worker fetched it again;
* an item that cannot be decoded or whose pipelines raise goes to the ``items:dead`` stream
  with the error (nothing is silently dropped, and one bad item does not block the rest).

A Redis restart costs nothing stored: SQLite is never written from Redis state except item by
item, each in its own transaction; the writer reconnects and re-creates its consumer group.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
import scrapy
from scrapy import signals
from scrapy.utils.misc import load_object
from scrapy_redis import connection

from .keys import Keys
from .serialize import loads_item

logger = logging.getLogger(__name__)

GROUP = "archive-writer"
CONSUMER = "writer"


class Receipts:
    """Idempotency keys of stored items, kept in the archive file itself."""

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS distributed_receipts ("
            " key TEXT PRIMARY KEY, stream_id TEXT, stored_at TEXT)")

    def seen(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM distributed_receipts WHERE key = ?", (key,)).fetchone() is not None

    def add(self, key: str, stream_id: str) -> None:
        self.conn.execute("INSERT OR IGNORE INTO distributed_receipts VALUES (?, ?, ?)",
                          (key, stream_id, datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def close(self) -> None:
        self.conn.close()


class ItemStream:
    """The consumer-group side of the item stream (blocking calls: run them in a thread)."""

    def __init__(self, server: Any, keys: Keys) -> None:
        self.server = server
        self.keys = keys
        self.ensure_group()

    def ensure_group(self) -> None:
        try:
            self.server.xgroup_create(self.keys.items, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read(self, last_id: str, count: int, block_ms: int | None) -> list[tuple[str, bytes]]:
        """``last_id`` "0"-based ids replay this consumer's pending entries, ">" reads new ones."""
        try:
            res = self.server.xreadgroup(GROUP, CONSUMER, {self.keys.items: last_id},
                                         count=count, block=block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):  # Redis lost its data (restart without persistence)
                raise
            self.ensure_group()
            return []
        out = []
        for _stream, entries in res or []:
            for sid, fields in entries:
                sid = sid.decode() if isinstance(sid, bytes) else sid
                out.append((sid, (fields or {}).get(b"d") or (fields or {}).get("d")))
        return out

    def ack(self, sid: str) -> None:
        pipe = self.server.pipeline()
        pipe.xack(self.keys.items, GROUP, sid)
        pipe.xdel(self.keys.items, sid)
        pipe.execute()

    def dead(self, sid: str, data: bytes | None, error: str) -> None:
        self.server.xadd(self.keys.dead_items, {"d": data or b"", "error": error[:4000], "id": sid})
        self.ack(sid)

    def backlog(self) -> int:
        return int(self.server.xlen(self.keys.items))

    def live_workers(self) -> int:
        return sum(1 for w in self.server.hkeys(self.keys.workers)
                   if self.server.exists(self.keys.alive(w.decode() if isinstance(w, bytes) else w)))


def build_item(class_path: str, fields: dict[str, Any]) -> Any:
    cls = load_object(class_path) if class_path else dict
    if isinstance(cls, type) and issubclass(cls, scrapy.Item):
        return cls(**{k: v for k, v in fields.items() if k in cls.fields})
    return dict(fields)


class ArchiveWriterSpider(scrapy.Spider):
    """Not a crawler: its ``start()`` yields the items workers pushed to Redis."""

    name = "archive-writer"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "ArchiveWriterSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.keys = Keys(s.get("NIANBAO_REDIS_PREFIX") or "nianbao")
        spider.server = connection.get_redis_from_settings(s)
        spider.receipts = Receipts(s.get("NIANBAO_DB"))
        spider.idle_exit = s.getfloat("NIANBAO_WRITER_IDLE_EXIT", 0.0)
        spider.max_pending = max(1, s.getint("NIANBAO_WRITER_MAX_PENDING", 16))
        spider.pending: dict[int, tuple[str, str, Any]] = {}
        spider.pending_keys: set[str] = set()
        crawler.signals.connect(spider._stored, signal=signals.item_scraped)
        crawler.signals.connect(spider._stored, signal=signals.item_dropped)
        crawler.signals.connect(spider._failed, signal=signals.item_error)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # --- acknowledgements
    def _stored(self, item: Any, **_: Any) -> None:
        entry = self.pending.pop(id(item), None)
        if entry is None:
            return
        sid, key, _item = entry
        self.receipts.add(key, sid)  # after the pipelines' own commits, before the XACK
        self.pending_keys.discard(key)
        self._ack(sid)
        self.crawler.stats.inc_value("writer/stored")

    def _failed(self, item: Any, failure: Any = None, **_: Any) -> None:
        entry = self.pending.pop(id(item), None)
        if entry is None:
            return
        sid, key, _item = entry
        self.pending_keys.discard(key)
        logger.error("item %s could not be stored: %s", key, failure.getErrorMessage() if failure else "?")
        self._retrying(lambda: self.stream.dead(sid, self._raw.pop(sid, None), repr(failure.value if failure else "")))
        self.crawler.stats.inc_value("writer/dead")

    def _ack(self, sid: str) -> None:
        self._raw.pop(sid, None)
        self._retrying(lambda: self.stream.ack(sid))

    def _retrying(self, call: Any, attempts: int = 30) -> None:
        """Acks survive a short Redis restart; if Redis stays away the entry is replayed later
        and its receipt makes the replay a no-op."""
        for i in range(attempts):
            try:
                call()
                return
            except redis.RedisError as exc:
                if i == attempts - 1:
                    logger.warning("giving up on a Redis ack (%s); the entry will be replayed", exc)
                    return
                time.sleep(0.5)

    def _closed(self, spider: Any, reason: str) -> None:
        self.receipts.close()

    # --- the item source
    async def start(self) -> AsyncIterator[Any]:
        self._raw: dict[str, bytes | None] = {}
        self.stream = await self._connect()
        last_id = "0"            # first replay what a previous writer got but did not ack
        idle_since: float | None = None
        while True:
            try:
                entries = await asyncio.to_thread(
                    self.stream.read, last_id, self.max_pending, None if last_id != ">" else 1000)
            except redis.RedisError as exc:
                logger.warning("item stream unreachable (%s); retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if last_id != ">":
                if not entries:
                    last_id = ">"
                    continue
                last_id = entries[-1][0]
                self.crawler.stats.inc_value("writer/replayed", len(entries))
            for sid, data in entries:
                idle_since = None
                decoded = self._decode(sid, data)
                if decoded is None:
                    continue
                key, item = decoded
                # a second copy of an item still in the pipelines waits for the first one's
                # outcome: stored → skipped as a duplicate; failed → this copy gets its chance
                while key in self.pending_keys:
                    await asyncio.sleep(0.01)
                if self.receipts.seen(key):
                    self.crawler.stats.inc_value("writer/duplicates_skipped")
                    self._ack(sid)
                    continue
                self.pending[id(item)] = (sid, key, item)
                self.pending_keys.add(key)
                self._raw[sid] = data
                yield item
                while len(self.pending) >= self.max_pending:
                    await asyncio.sleep(0.005)
            if not entries and self.idle_exit > 0 and await self._drained():
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= self.idle_exit:
                    logger.info("no item and no live worker for %.0fs: the writer stops", self.idle_exit)
                    while self.pending:
                        await asyncio.sleep(0.05)
                    return
            elif not entries:
                idle_since = None

    async def _connect(self) -> ItemStream:
        while True:
            try:
                return ItemStream(self.server, self.keys)
            except redis.RedisError as exc:
                logger.warning("Redis unreachable (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def _drained(self) -> bool:
        try:
            return not self.pending and await asyncio.to_thread(
                lambda: self.stream.backlog() == 0 and self.stream.live_workers() == 0)
        except redis.RedisError:
            return False

    def _decode(self, sid: str, data: bytes | None) -> tuple[str, Any] | None:
        try:
            if not data:
                raise ValueError("empty stream entry")
            fields, key, class_path = loads_item(data)
            item = build_item(class_path, fields)
        except Exception as exc:
            logger.error("stream entry %s cannot be decoded: %s", sid, exc)
            self._retrying(lambda: self.stream.dead(sid, data, f"decode: {exc!r}"))
            self.crawler.stats.inc_value("writer/dead")
            return None
        return key, item
