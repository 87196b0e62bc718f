"""``scrapy reextract``: run the current extraction library over the archive's snapshots, offline.

    scrapy reextract [-s NIANBAO_DB=PATH] [--report ID ...] [--all] [--force] [--dry-run] [--ocr]

Prints one line per report that changed (format, cells, version, extractor version) and a
summary; ``--dry-run`` computes everything and stores nothing; ``--all`` also tries stored
articles and attachments that are not part of any report yet. No network access.
"""
from __future__ import annotations

from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.db import Archive
from archive.reextract import reextract
from extraction import ExtractOptions
from extraction.api import EXTRACTOR_VERSION


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Re-extract stored snapshots with the current extractor (offline) and print what changed"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--report", type=int, action="append", default=None, metavar="ID",
                            help="only this report (repeatable)")
        parser.add_argument("--all", action="store_true", help="also stored documents not yet in a report")
        parser.add_argument("--force", action="store_true", help="ignore results cached for this extractor version")
        parser.add_argument("--dry-run", action="store_true", help="show the changes, store nothing")
        parser.add_argument("--ocr", action="store_true", help="OCR documents without a text layer")
        parser.add_argument("--verbose", action="store_true", help="also list unchanged reports")

    def run(self, args: list[str], opts) -> None:
        if args:
            raise UsageError("reextract takes no positional arguments")
        path = self.settings.get("NIANBAO_DB")
        if not Path(path).exists():
            raise UsageError(f"no archive at {path} (set -s NIANBAO_DB=PATH)")
        options = ExtractOptions(ocr=opts.ocr or self.settings.getbool("NIANBAO_OCR"),
                                 timeout=self.settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", 60))
        with Archive(path, timeout=self.settings.getfloat("NIANBAO_DB_TIMEOUT", 60)) as archive:
            changes = reextract(archive, report_ids=opts.report, all_documents=opts.all, options=options,
                                force=opts.force, dry_run=opts.dry_run)
        counts: dict[str, int] = {}
        for change in changes:
            counts[change.action] = counts.get(change.action, 0) + 1
            if change.action != "unchanged" or opts.verbose:
                print(change.line())
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no reports"
        print(f"extractor {EXTRACTOR_VERSION}: {len(changes)} reports — {summary}"
              + (" (dry run: nothing stored)" if opts.dry_run else ""))
