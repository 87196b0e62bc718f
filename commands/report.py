"""``scrapy report -o FILE.html``: a static HTML summary of the archive with inline SVG charts.

    scrapy report -o out/summary.html [--year 2021-2024] [--region 江苏省] [--agency 洪泽] [--db PATH]

Applications by outcome per year, the bodies with the most applications, findings by rule, and
reports per year and format. The file has no scripts and loads nothing from the network.
"""
from __future__ import annotations

import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from exporting import ExportError, ExportFilter
from exporting.query import Archive, parse_years, split_values
from exporting.report_html import write


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "-o FILE.html [filters]"

    def short_desc(self) -> str:
        return "Write a static HTML summary of the archive with charts"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", dest="output", help="HTML file to write")
        parser.add_argument("--db", dest="db", help="archive to read (default: the NIANBAO_DB setting)")
        parser.add_argument("--year", dest="years", action="append", default=[])
        parser.add_argument("--format-filter", dest="formats", action="append", default=[])
        parser.add_argument("--agency", dest="agencies", action="append", default=[])
        parser.add_argument("--region", dest="regions", action="append", default=[])

    def run(self, args: list[str], opts) -> None:
        if args or not opts.output:
            raise UsageError("give the output file with -o FILE.html")
        db = opts.db or self.settings.get("NIANBAO_DB")
        try:
            filt = ExportFilter(years=parse_years(opts.years), formats=split_values(opts.formats),
                                agencies=split_values(opts.agencies), regions=split_values(opts.regions))
            with Archive.open(db, filt) as archive:
                path = write(archive, opts.output, source=str(db))
        except ExportError as exc:
            print(f"report: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(f"report: {path}")
