"""``scrapy import-warc FILE...``: load WARC files from any crawler into the archive and extract them.

    scrapy import-warc crawl.warc.gz [more.warc] [-s NIANBAO_DB=PATH] [--no-extract]

Each file becomes one ``crawls`` row (spider ``import-warc``); responses and revisits become
captures and snapshots, then documents are extracted and reports stored as a crawl would.
A file that is not a readable WARC is reported and nothing already stored is touched.
"""
from __future__ import annotations

import json

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from archive.db import Archive
from archive.warc import import_warc
from extraction import ExtractOptions


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options] FILE..."

    def short_desc(self) -> str:
        return "Import WARC files (Heritrix, Browsertrix, wget, nianbao ...) into the archive and extract them"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--no-extract", action="store_true", help="only store captures and snapshots")
        parser.add_argument("--ocr", action="store_true", help="OCR documents without a text layer")

    def run(self, args: list[str], opts) -> None:
        if not args:
            raise UsageError("give at least one WARC file")
        path = self.settings.get("NIANBAO_DB")
        options = ExtractOptions(ocr=opts.ocr or self.settings.getbool("NIANBAO_OCR"),
                                 timeout=self.settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", 60))
        failed = 0
        with Archive(path, timeout=self.settings.getfloat("NIANBAO_DB_TIMEOUT", 60)) as archive:
            for name in args:
                try:
                    stats = import_warc(archive, name, extract=not opts.no_extract, options=options)
                except Exception as exc:  # a broken file: say so, keep going, keep what is stored
                    failed += 1
                    print(json.dumps({"file": name, "error": f"{type(exc).__name__}: {exc}"[:500]},
                                     ensure_ascii=False))
                    continue
                print(json.dumps({"file": name, **stats.to_dict()}, ensure_ascii=False))
        if failed:
            self.exitcode = 1
