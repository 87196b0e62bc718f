"""Worker registry, heartbeats, the reaper and the "is the whole crawl done?" check.

Why: scrapy-redis has no notion of a worker. A worker that dies mid-crawl would keep its popped
requests forever, and a worker whose own queue view is empty would stop although another worker
is about to discover more pages. Each worker therefore

* registers itself (hash ``workers``: id -> job) and beats from a *thread* (so a long extraction
  in the reactor thread does not make a live worker look dead) by renewing a key with a TTL;
* on every tick, and when idle, reaps: a registered worker whose heartbeat key is gone gets its
  in-flight requests put back in the job queue, atomically (one Lua script re-checks the
  heartbeat, moves the requests and deregisters the worker, so two reapers cannot double-queue);
* decides that the crawl is over only when, in one atomic look, the job queue is empty and no
  worker of the job holds an in-flight request (a request is acknowledged only after its
  callback's new requests were queued, so "queue empty and nothing in flight" cannot be true
  while work remains).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from typing import Any

from .keys import Keys

logger = logging.getLogger(__name__)

_REAP = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local vals = redis.call('HVALS', KEYS[2])
for _, v in ipairs(vals) do
  local i = string.find(v, '|', 1, true)
  redis.call('ZADD', KEYS[3], string.sub(v, 1, i - 1), string.sub(v, i + 1))
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[4], ARGV[1])
return #vals
"""

# Total outstanding work of a job (queued + in flight at any of its workers) in one atomic read;
# the registry is read inside the script so a worker registering meanwhile cannot be missed.
# ARGV[1] is the key prefix: the in-flight key is built as Keys.inflight() builds it.
_OUTSTANDING = """
local n = redis.call('ZCARD', KEYS[1])
local w = redis.call('HGETALL', KEYS[2])
for i = 1, #w, 2 do
  if w[i + 1] == ARGV[2] then n = n + redis.call('HLEN', ARGV[1] .. ':inflight:' .. w[i]) end
end
return n
"""


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WorkerRegistry:
    def __init__(self, server: Any, keys: Keys, job: str, worker_id: str, ttl: float) -> None:
        self.server = server
        self.keys = keys
        self.job = job
        self.worker_id = worker_id
        self.ttl_ms = max(int(ttl * 1000), 1000)
        self._reap = server.register_script(_REAP)
        self._outstanding = server.register_script(_OUTSTANDING)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle
    def register(self) -> None:
        self.beat()
        self.server.hset(self.keys.workers, self.worker_id, self.job)

    def start_heartbeat(self, interval: float) -> None:
        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.beat()
                except Exception as exc:  # Redis down: keep trying, the TTL decides
                    logger.warning("heartbeat failed: %s", exc)
        self._thread = threading.Thread(target=run, name="nianbao-heartbeat", daemon=True)
        self._thread.start()

    def beat(self) -> None:
        pipe = self.server.pipeline()
        pipe.set(self.keys.alive(self.worker_id), b"1", px=self.ttl_ms)
        pipe.hset(self.keys.workers, self.worker_id, self.job)  # re-register if we were reaped
        pipe.execute()

    def deregister(self) -> int:
        """Leave cleanly: anything still in flight goes back to the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.server.delete(self.keys.alive(self.worker_id))
        return self.reap_one(self.worker_id)

    # --- reaping and global state
    def job_workers(self) -> list[str]:
        return [w.decode() if isinstance(w, bytes) else w
                for w, j in self.server.hgetall(self.keys.workers).items()
                if (j.decode() if isinstance(j, bytes) else j) == self.job]

    def reap_one(self, worker: str) -> int:
        n = self._reap(keys=[self.keys.alive(worker), self.keys.inflight(worker),
                             self.keys.queue(self.job), self.keys.workers], args=[worker])
        return int(n)

    def reap_dead(self) -> int:
        """Requeue the in-flight requests of every worker of this job whose heartbeat expired."""
        total = 0
        for worker in self.job_workers():
            if worker == self.worker_id:
                continue
            n = self.reap_one(worker)
            if n >= 0:
                logger.warning("worker %s is gone: %d in-flight request(s) requeued", worker, n)
                total += n
        return total

    def outstanding(self) -> int:
        """Queued plus in-flight requests of the whole job, read atomically."""
        return int(self._outstanding(keys=[self.keys.queue(self.job), self.keys.workers],
                                     args=[self.keys.prefix, self.job]))

    def live_workers(self) -> list[str]:
        return [w for w in self.job_workers() if self.server.exists(self.keys.alive(w))]
