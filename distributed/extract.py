"""Extraction split across the two roles: the CPU on the workers, the cache row in the writer.

Why: extraction is the expensive part of an item (a PDF can take seconds), so it should scale
with the workers, while the project's ``ExtractPipeline`` keeps its cache in the SQLite archive
that only the writer may open. So:

* :class:`WorkerExtractPipeline` (workers) runs the same library call as ``ExtractPipeline``
  (``pipelines.extract.run_extract`` on the same candidates, same options) and puts the result on
  the item, which travels to Redis with it;
* :class:`PrecomputedExtractPipeline` (writer, in ``ExtractPipeline``'s place) records a result
  that came with the item in the archive's extraction cache, exactly as ``ExtractPipeline`` would
  have, and falls back to extracting itself for an item that came without one.
"""
from __future__ import annotations

from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from archive.store import result_json
from extraction.api import EXTRACTOR_VERSION
from items import FetchedItem
from pipelines.extract import ExtractPipeline, is_candidate, options_key, run_extract


class WorkerExtractPipeline(ExtractPipeline):
    def open_spider(self, spider: Any = None) -> None:  # no archive on a worker
        pass

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, FetchedItem) or not is_candidate(item):
            return item
        opts = self.options(item)
        args = (bytes(item["body"]), item["url"], item.get("content_type"), opts)
        if self.threaded:
            result = await maybe_deferred_to_future(threads.deferToThread(run_extract, *args))
        else:
            result = run_extract(*args)
        item["extraction"] = result
        self.stats.inc_value("nianbao/extracted")
        self.stats.inc_value(f"nianbao/extracted_format/{result.format}")
        return item


class PrecomputedExtractPipeline(ExtractPipeline):
    async def process_item(self, item: Any, spider: Any = None) -> Any:
        result = item.get("extraction") if isinstance(item, FetchedItem) else None
        if result is None or not item.get("sha256"):
            return await super().process_item(item)
        archive = self.session.archive
        key = options_key(self.options(item))
        version = result.extractor_version or EXTRACTOR_VERSION
        if archive.cached_extraction(item["sha256"], version, key) is None:
            archive.save_extraction(item["sha256"], result_json(result), key)
        self.stats.inc_value("nianbao/extract_precomputed")
        return item
