"""``scrapy restore FILE``: put a backup made by ``scrapy backup`` back as the archive.

    scrapy restore backups/nianbao-2026-11-30.db [--db PATH] [--force]

The backup is checked first (``PRAGMA integrity_check``); then its pages are copied into the
target with SQLite's backup API. Stop crawls writing the target before restoring. See
``commands/backup.py`` for why and how.
"""
from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from commands.backup import BackupError, restore_archive


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "FILE [--db PATH] [--force]"

    def short_desc(self) -> str:
        return "Restore the archive from a backup made by `scrapy backup` (checked first)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", dest="db", help="archive to restore into (default: the NIANBAO_DB setting)")
        parser.add_argument("--force", action="store_true", help="replace an existing archive")

    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            raise UsageError("usage: scrapy restore FILE [--db PATH] [--force]")
        db = opts.db or self.settings.get("NIANBAO_DB")
        try:
            counts = restore_archive(args[0], db, force=opts.force)
        except BackupError as exc:
            print(f"restore: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(f"restored {db} from {args[0]} (integrity ok): " + ", ".join(f"{n} {t}" for t, n in counts.items()))
