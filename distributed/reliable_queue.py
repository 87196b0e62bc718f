"""A scrapy-redis priority queue that never loses a popped request.

scrapy-redis pops requests destructively (``ZRANGE`` + ``ZREMRANGEBYRANK``): a worker killed
between the pop and the end of the callback takes the request with it. Here every pop moves the
request, in one Lua script, from the shared queue into the worker's *in-flight* hash; the worker
acknowledges it once the engine has fully processed it (callback output scheduled, items
pushed), and a reaper puts the in-flight requests of a worker whose heartbeat expired back in
the queue (:mod:`distributed.workers`).

Enqueueing is atomic too: the fingerprint check (``SADD`` on the dupefilter set, as
scrapy-redis's ``RFPDupeFilter`` does) and the ``ZADD`` run in one script, so a worker dying
between them cannot leave a URL marked seen but never queued.

Queue members are ``token (32 hex bytes) + serialized request``; the token identifies one
scheduled request across pops, reaps and re-fetches, and becomes the idempotency key of the
items it produces.
"""
from __future__ import annotations

import uuid
from typing import Any

from scrapy import Request
from scrapy_redis.queue import Base

TOKEN_META = "nianbao_token"
TOKEN_LEN = 32

_PUSH = """
if ARGV[2] == '1' then
  if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"""

_POP = """
local r = redis.call('ZPOPMIN', KEYS[1])
if #r == 0 then return false end
redis.call('HSET', KEYS[2], string.sub(r[1], 1, 32), r[2] .. '|' .. r[1])
return r[1]
"""


class ReliablePriorityQueue(Base):
    """Priority queue (sorted set) with atomic dedupe+push and pop-into-in-flight."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None,
                 dupefilter_key: str = "", inflight_key: str = "") -> None:
        super().__init__(server, spider, key, serializer)
        self.dupefilter_key = dupefilter_key
        self.inflight_key = inflight_key
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request, fingerprint: str = "", filter_dupes: bool = False) -> bool:
        """Queue *request* unless its fingerprint was seen; returns whether it was queued."""
        token = uuid.uuid4().hex
        request.meta[TOKEN_META] = token
        member = token.encode() + self._encode_request(request)
        added = self._push(keys=[self.dupefilter_key, self.key],
                           args=[fingerprint, "1" if filter_dupes else "0", -request.priority, member])
        return bool(added)

    def pop(self, timeout: int = 0) -> Request | None:
        member = self._pop(keys=[self.key, self.inflight_key])
        if not member:
            return None
        request = self._decode_request(member[TOKEN_LEN:])
        request.meta[TOKEN_META] = member[:TOKEN_LEN].decode()
        return request
