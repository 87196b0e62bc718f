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
scheduled request across pops and reaps, so that a worker acknowledges exactly what it popped.
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

# KEYS: inflight hash, queue. ARGV: tokens the worker knows. Requeues every other entry.
_ORPHANS = """
local known = {}
for _, t in ipairs(ARGV) do known[t] = true end
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 1, #all, 2 do
  if not known[all[i]] then
    local v = all[i + 1]
    local j = string.find(v, '|', 1, true)
    redis.call('ZADD', KEYS[2], string.sub(v, 1, j - 1), string.sub(v, j + 1))
    redis.call('HDEL', KEYS[1], all[i])
    n = n + 1
  end
end
return n
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
        self._orphans = server.register_script(_ORPHANS)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request, fingerprint: str = "", filter_dupes: bool = False,
             token: str | None = None) -> bool:
        """Queue *request* unless its fingerprint was seen; returns whether it was queued.

        Pass the same *token* when retrying after a lost reply: the member is then identical and
        the ``ZADD`` a no-op if the first attempt did go through."""
        token = token or uuid.uuid4().hex
        request.meta[TOKEN_META] = token
        member = token.encode() + self._encode_request(request)
        added = self._push(keys=[self.dupefilter_key, self.key],
                           args=[fingerprint, "1" if filter_dupes else "0", -request.priority, member])
        return bool(added)

    def requeue_orphans(self, known: set[str]) -> int:
        """Put back in-flight entries this worker does not know about: a pop whose reply was
        lost (Redis killed between running the script and answering) left one behind."""
        return int(self._orphans(keys=[self.inflight_key, self.key], args=list(known)))

    def pop(self, timeout: int = 0) -> Request | None:
        member = self._pop(keys=[self.key, self.inflight_key])
        if not member:
            return None
        request = self._decode_request(member[TOKEN_LEN:])
        request.meta[TOKEN_META] = member[:TOKEN_LEN].decode()
        return request
