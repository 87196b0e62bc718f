"""``scrapy archive-writer``: store what distributed workers pushed to Redis in the archive.

Run exactly one per archive (it owns ``NIANBAO_DB``); workers anywhere run
``scrapy crawl annual_reports -s REDIS_URL=...``. See docs/distributed.md.
"""
from __future__ import annotations

import argparse

from scrapy.commands import ScrapyCommand

from distributed.writer import ArchiveWriterSpider


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = True

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Store items pushed to Redis by distributed workers in the SQLite archive"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--exit-when-idle", type=float, default=None, metavar="SECONDS",
                            help="stop once no item arrived and no worker was alive for SECONDS "
                                 "(default: run until Ctrl-C)")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        self.settings.set("NIANBAO_ROLE", "writer", priority="cmdline")
        self.settings.set("NIANBAO_DISTRIBUTED", True, priority="cmdline")
        addons = self.settings.getdict("ADDONS")
        addons.setdefault("distributed.addon.DistributedAddon", 0)
        self.settings.set("ADDONS", addons, priority="cmdline")
        if opts.exit_when_idle is not None:
            self.settings.set("NIANBAO_WRITER_IDLE_EXIT", opts.exit_when_idle, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process is not None
        self.crawler_process.crawl(ArchiveWriterSpider)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
