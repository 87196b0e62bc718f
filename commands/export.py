"""``scrapy export``: the archive as files people can use (CSV, Parquet, XLSX, data package, WARC).

    scrapy export --format csv -o out/cells.csv --year 2021-2023 --region 江苏省
    scrapy export --format datapackage -o out/nianbao/ && frictionless validate out/nianbao/datapackage.json
    scrapy export --format warc -o out/archive.warc.gz

Filters (repeat or comma-separate): ``--year`` (2021, 2019-2021), ``--format-filter`` (2019, 2021,
pre2019), ``--agency`` (substring of the agency name), ``--region`` (prefix of the region).
Progress goes to stderr; the exit status is 2 for a usage problem, 1 for an export that failed.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from exporting import FORMATS, ExportError, ExportFilter, export
from exporting.query import parse_years, split_values

ALL_FORMATS = (*FORMATS, "warc")


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "--format FORMAT -o PATH [filters]"

    def short_desc(self) -> str:
        return "Export the archive: " + ", ".join(ALL_FORMATS)

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--format", dest="export_format", choices=ALL_FORMATS, default="csv",
                            help="output format (default csv: long, one row per report and cell)")
        parser.add_argument("-o", "--output", dest="output", required=False,
                            help="output file (or directory; datapackage: a directory)")
        parser.add_argument("--db", dest="db", help="archive to read (default: the NIANBAO_DB setting)")
        parser.add_argument("--year", dest="years", action="append", default=[],
                            help="report year(s): 2023, 2019-2021, 2021,2023")
        parser.add_argument("--format-filter", dest="formats", action="append", default=[],
                            help="report format(s): 2019, 2021, pre2019")
        parser.add_argument("--agency", dest="agencies", action="append", default=[],
                            help="agency name contains this text")
        parser.add_argument("--region", dest="regions", action="append", default=[],
                            help="region starts with this text, e.g. 江苏省 or 江苏省淮安市")
        parser.add_argument("--crawl-id", dest="crawl_id", type=int,
                            help="warc: only the captures of this crawl (crawls.id)")
        parser.add_argument("--no-progress", dest="progress", action="store_false", default=True,
                            help="do not print progress on stderr")

    def run(self, args: list[str], opts) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if not opts.output:
            raise UsageError("give an output path with -o PATH")
        db = opts.db or self.settings.get("NIANBAO_DB")
        try:
            filt = ExportFilter(years=parse_years(opts.years), formats=split_values(opts.formats),
                                agencies=split_values(opts.agencies), regions=split_values(opts.regions))
            if opts.export_format == "warc":
                self._warc(db, opts.output, filt, opts.crawl_id)
                return
            stats = export(db, opts.export_format, opts.output, filt, progress=opts.progress)
        except ExportError as exc:
            print(f"export: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(stats.summary())

    def _warc(self, db: str, output: str, filt: ExportFilter, crawl_id: int | None) -> None:
        """WARC export belongs to the archive (issue 6): delegate to ``archive.warc.export_warc``."""
        try:
            from archive.warc import export_warc
        except ImportError as exc:
            raise ExportError(f"WARC export is not available in this build (archive.warc: {exc})") from None
        kwargs = {}
        params = inspect.signature(export_warc).parameters
        if filt.describe():
            if "filter" not in params:
                raise ExportError("WARC export takes no report filters (it writes captures); use --crawl-id")
            kwargs["filter"] = filt
        if crawl_id is not None:
            kwargs["crawl_id"] = crawl_id
        if not Path(db).is_file():
            raise ExportError(f"no archive at {db} (set --db or NIANBAO_DB)")
        target = Path(output)
        if target.is_dir():
            target = target / "nianbao.warc.gz"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            counts = export_warc(db, target, **kwargs)
        except Exception as exc:  # the archive module's errors (damaged file ...) as one clear line
            raise ExportError(f"WARC export failed: {exc}") from exc
        detail = ", ".join(f"{v:,} {k}" for k, v in counts.items()) if isinstance(counts, dict) else counts
        print(f"warc: {detail} -> {target}")
