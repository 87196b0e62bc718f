"""The two places where nianbao reaches into Scrapy 2.19's engine, kept in one module.

Why: a popped request may be acknowledged (removed from the worker's in-flight hash in Redis)
only once the engine is completely done with it: downloaded, callback run, new requests
scheduled, items through the pipelines. Scrapy has no signal for that moment, but the engine
keeps exactly that set (``_slot.inprogress``: a request leaves it after its scrape finished).
And an idle worker should notice new requests queued by *other* workers within a fraction of a
second, not at the engine's 5-second heartbeat; ``_slot.nextcall.schedule()`` is what the engine
itself calls when it has news.

scrapy-redis 0.9.1 itself works with Scrapy 2.19 (its scheduler passes the engine's duck-typed
``BaseScheduler`` check and its request (de)serialisation uses ``Request.to_dict``), but it has
neither of these: that is what :mod:`distributed.scheduler` adds. If a Scrapy upgrade removes
these attributes, :func:`check_engine` fails loudly at start instead of losing requests.
"""
from __future__ import annotations

from typing import Any

from scrapy import Request


def check_engine(engine: Any) -> None:
    slot = getattr(engine, "_slot", None)
    if slot is None or not isinstance(getattr(slot, "inprogress", None), set) \
            or not hasattr(getattr(slot, "nextcall", None), "schedule"):
        raise RuntimeError(
            "nianbao.distributed needs Scrapy's engine slot (inprogress, nextcall); "
            "this Scrapy version changed it: see distributed/compat.py")


def inprogress_requests(engine: Any) -> list[Request]:
    slot = getattr(engine, "_slot", None)
    return list(slot.inprogress) if slot is not None else []


def wake(engine: Any) -> None:
    """Ask the engine to pull from the scheduler now (cheap, coalesced by CallLaterOnce)."""
    slot = getattr(engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()
