"""The distributed switch, as a Scrapy add-on: one setting turns a crawl into a worker.

Why an add-on: behaviour comes from settings (style.md §4), and an add-on sees the final
settings, ``-s`` flags included, before any component is built. With the add-on listed in
``ADDONS`` (``settings.py`` does), ``-s NIANBAO_DISTRIBUTED=1`` (or just ``-s REDIS_URL=...``)
makes the process a *worker*:

* scheduler: :class:`distributed.scheduler.DistributedScheduler` (scrapy-redis, persistent,
  crash-safe), fingerprints in scrapy-redis's ``RFPDupeFilter`` set;
* politeness: :class:`distributed.politeness.GlobalPolitenessMiddleware` enforces the project's
  per-host concurrency and delay across all workers; the per-process delay and AutoThrottle are
  turned off; robots.txt is fetched once per host for all workers
  (:class:`distributed.robots.SharedRobotsTxtMiddleware`);
* items: extraction runs on the worker (``NIANBAO_WORKER_REPLACEMENTS``), the components that
  open the SQLite archive (``NIANBAO_SQLITE_COMPONENTS``) are removed, and
  :class:`distributed.pipelines.RedisItemPipeline` pushes every item to Redis.

``scrapy archive-writer`` sets ``NIANBAO_ROLE=writer``: the same add-on then keeps the project's
pipelines but records the extraction that came with each item instead of extracting again
(``NIANBAO_WRITER_REPLACEMENTS``).
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

logger = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

#: components that open the SQLite archive: never on a worker (prefixes match whole modules)
SQLITE_COMPONENTS = [
    "pipelines.archive",
    "pipelines.store",
    "pipelines.extract",
    "middlewares.incremental",
    "extensions.crawl_history",
    "archive.scheduler",
]
#: on workers: ExtractPipeline's CPU work without its cache (the cache row is the writer's)
WORKER_REPLACEMENTS = {"pipelines.extract.ExtractPipeline": "distributed.extract.WorkerExtractPipeline"}
#: in the writer: the extraction came with the item; record it instead of extracting again
WRITER_REPLACEMENTS = {"pipelines.extract.ExtractPipeline": "distributed.extract.PrecomputedExtractPipeline"}

_COMPONENT_SETTINGS = ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS")
_CMDLINE = SETTINGS_PRIORITIES["cmdline"]


def _set(settings: BaseSettings, name: str, value: Any) -> None:
    """Set unless the user gave this very setting on the command line."""
    if (settings.getpriority(name) or 0) < _CMDLINE:
        settings.set(name, value, priority="cmdline")


def _default(settings: BaseSettings, name: str, value: Any) -> None:
    if settings.get(name) in (None, ""):
        settings.set(name, value, priority="addon")


def _components(settings: BaseSettings, name: str) -> dict[str, Any]:
    return {str(k): v for k, v in settings.getdict(name).items()}


def _change(settings: BaseSettings, name: str, changes: dict[str, Any]) -> None:
    """Rewrite a component dict whole (a higher-priority ``set`` replaces it); None disables."""
    if changes:
        settings.set(name, {**_components(settings, name), **changes}, priority="cmdline")


def _replace(settings: BaseSettings, replacements: dict[str, str]) -> None:
    """Put each replacement at the order of the component it replaces."""
    for name in _COMPONENT_SETTINGS:
        comps = _components(settings, name)
        changes: dict[str, Any] = {}
        for old, order in comps.items():
            if old in replacements and order is not None:
                changes[old] = None
                changes[replacements[old]] = order
        _change(settings, name, changes)


def _remove(settings: BaseSettings, paths: list[str]) -> None:
    for name in _COMPONENT_SETTINGS:
        comps = _components(settings, name)
        _change(settings, name, {p: None for p, order in comps.items() if order is not None
                                 and any(p == x or p.startswith(x + ".") for x in paths)})


def _add(settings: BaseSettings, name: str, path: str, order: int) -> None:
    _change(settings, name, {path: order})


def enabled(settings: BaseSettings) -> bool:
    return settings.getbool("NIANBAO_DISTRIBUTED") or bool(settings.get("REDIS_URL"))


class DistributedAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not enabled(settings):
            return
        _set(settings, "NIANBAO_DISTRIBUTED", True)
        _default(settings, "REDIS_URL", DEFAULT_REDIS_URL)
        if settings.get("NIANBAO_ROLE") == "writer":
            _replace(settings, settings.getdict("NIANBAO_WRITER_REPLACEMENTS") or WRITER_REPLACEMENTS)
            # a writer run is not a complete crawl of any portal (it may start mid-crawl or stop
            # before the workers finish): it must not conclude that unseen reports are gone
            _set(settings, "NIANBAO_MARK_GONE", False)
            return
        # --- a worker
        _set(settings, "SCHEDULER", "distributed.scheduler.DistributedScheduler")
        _set(settings, "DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter")
        _set(settings, "SCHEDULER_PERSIST", True)
        _default(settings, "NIANBAO_HOST_CONCURRENCY", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2))
        _default(settings, "NIANBAO_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY", 0.0))
        _set(settings, "DOWNLOAD_DELAY", 0)
        _set(settings, "AUTOTHROTTLE_ENABLED", False)
        _replace(settings, settings.getdict("NIANBAO_WORKER_REPLACEMENTS") or WORKER_REPLACEMENTS)
        _remove(settings, settings.getlist("NIANBAO_SQLITE_COMPONENTS") or SQLITE_COMPONENTS)
        _add(settings, "DOWNLOADER_MIDDLEWARES", "distributed.politeness.GlobalPolitenessMiddleware", 990)
        if settings.getbool("ROBOTSTXT_OBEY"):
            _change(settings, "DOWNLOADER_MIDDLEWARES", {
                "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                "distributed.robots.SharedRobotsTxtMiddleware": 100})
        _add(settings, "SPIDER_MIDDLEWARES", "distributed.pipelines.ItemOriginMiddleware", 5)
        _add(settings, "ITEM_PIPELINES", "distributed.pipelines.RedisItemPipeline", 10_000)
