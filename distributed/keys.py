"""Names of every Redis key nianbao uses, in one place.

Why: workers on several machines, the writer and the tests must agree on key names byte for
byte; scattering f-strings would make a typo a silent split-brain. Keys of a crawl are grouped
under its *job* name so that two different crawls can share one Redis server; the item stream,
the worker registry and the per-host politeness state are shared by all jobs (one archive, and
one politeness budget per host whatever crawl asks).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "nianbao"

    # --- shared by every job
    @property
    def items(self) -> str:
        """Stream of items waiting for the archive writer."""
        return f"{self.prefix}:items"

    @property
    def dead_items(self) -> str:
        """Stream of items the writer could not store (with the error), kept for a human."""
        return f"{self.prefix}:items:dead"

    @property
    def workers(self) -> str:
        """Hash worker id -> job name of every registered worker."""
        return f"{self.prefix}:workers"

    def alive(self, worker: str) -> str:
        """Heartbeat key of a worker; it expires when the worker stops beating."""
        return f"{self.prefix}:alive:{worker}"

    def inflight(self, worker: str) -> str:
        """Hash token -> "score|request" of requests a worker popped and has not finished."""
        return f"{self.prefix}:inflight:{worker}"

    def host_leases(self, host: str) -> str:
        return f"{self.prefix}:host:{host}:leases"

    def host_next(self, host: str) -> str:
        return f"{self.prefix}:host:{host}:next"

    def robots(self, site: str) -> str:
        """"status\nbody" of a site's robots.txt, fetched once for all workers."""
        return f"{self.prefix}:robots:{site}"

    def robots_lock(self, site: str) -> str:
        return f"{self.prefix}:robots:{site}:lock"

    # --- one job (one crawl)
    def queue(self, job: str) -> str:
        return f"{self.prefix}:{job}:requests"

    def dupefilter(self, job: str) -> str:
        return f"{self.prefix}:{job}:dupefilter"

    def run(self, job: str) -> str:
        """Id of the current run of a job: part of every item's idempotency key."""
        return f"{self.prefix}:{job}:run"

    def finished(self, job: str) -> str:
        """Set when every worker of the job agreed the crawl is complete."""
        return f"{self.prefix}:{job}:finished"
