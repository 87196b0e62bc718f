"""``scrapy extract FILE...``: one JSON line per file, no network, no database.

The output contract is the spec's (``format``, ``meta``, ``cells``, ``raw``, ``findings``). A file
that cannot be read still gets its line (``format: "unknown"`` and a finding), and the exit status
is non-zero only when a file could not be opened at all.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from extraction import ExtractOptions, extract


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options] FILE..."

    def short_desc(self) -> str:
        return "Extract the statutory tables of annual reports from files (JSON lines)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--ocr", action="store_true", help="OCR documents without a text layer")
        parser.add_argument("--timeout", type=float, default=None, help="seconds per document")
        parser.add_argument("--pretty", action="store_true", help="indent the JSON")

    def run(self, args: list[str], opts) -> None:
        if not args:
            raise UsageError("give at least one file")
        settings = self.settings
        failed = 0
        for name in args:
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                print(json.dumps({"source": name, "format": "unknown", "meta": {}, "cells": {}, "raw": {},
                                  "findings": [{"rule": "unreadable_file", "detail": str(exc)}]},
                                 ensure_ascii=False), flush=True)
                failed += 1
                continue
            options = ExtractOptions(
                ocr=opts.ocr or settings.getbool("NIANBAO_OCR"),
                timeout=opts.timeout or settings.getfloat("NIANBAO_EXTRACT_TIMEOUT", 60),
            )
            result = extract(data, filename=name, options=options)
            print(json.dumps(result.to_json(source=name), ensure_ascii=False,
                             indent=2 if opts.pretty else None), flush=True)
        if failed:
            self.exitcode = 1
        sys.stdout.flush()
