"""``scrapy demo``: serve the bundled portal, crawl it, and show what ended up in the archive.

No internet needed: the imitation portal (``demo_portal``) starts on 127.0.0.1 on a free port, its
sites' names are mapped to it (``NIANBAO_RESOLVE``), and the ``annual_reports`` spider crawls the
sites' home pages into ``data/demo.db`` through the normal pipelines. The portal is our own
server, so the politeness delays are switched off for it (the defaults stay polite for real
sites); robots.txt is still obeyed.

    scrapy demo                      # → data/demo.db, data/demo.manifest.json
    scrapy demo -o /tmp/x.db --site www.other.demo.test
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from demo_portal.server import DemoPortal

DEFAULT_SITES = ("www.trs.demo.test", "www.hanweb.demo.test")
#: a fixed port keeps the report URLs (and so the report rows) stable across `scrapy demo` runs
DEFAULT_PORT = 18080


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Start the bundled demo portal, crawl it into data/demo.db and print a summary"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--db", default="data/demo.db", help="SQLite archive to write (default data/demo.db)")
        parser.add_argument("--site", action="append", default=None,
                            help=f"demo site host to crawl (repeatable; default {' '.join(DEFAULT_SITES)})")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                            help=f"port of the demo portal (default {DEFAULT_PORT}; report URLs include it, so "
                                 "re-runs on the same port update the same reports)")
        parser.add_argument("--manifest", default=None, help="where to write the ground truth (default next to the db)")

    def run(self, args: list[str], opts) -> None:
        if args:
            raise UsageError("scrapy demo takes no positional arguments")
        db = Path(opts.db)
        db.parent.mkdir(parents=True, exist_ok=True)
        try:
            portal = DemoPortal(opts.port).start()
        except OSError as exc:
            print(f"port {opts.port} unavailable ({exc.strerror}); using a free port — report URLs will "
                  "differ from earlier runs", flush=True)
            portal = DemoPortal(0).start()
        try:
            hosts = opts.site or list(DEFAULT_SITES)
            unknown = [h for h in hosts if h not in portal.sites]
            if unknown:
                raise UsageError(f"unknown demo site(s) {unknown}; known: {', '.join(portal.sites)}")
            manifest = Path(opts.manifest or db.with_suffix(".manifest.json"))
            portal.write_manifest(manifest)
            s = self.settings
            s.set("NIANBAO_DB", str(db), priority="cmdline")
            s.set("NIANBAO_RESOLVE", portal.resolve_map(), priority="cmdline")
            s.set("NIANBAO_DEMO_PORT", portal.port, priority="cmdline")
            for key, value in (("DOWNLOAD_DELAY", 0), ("AUTOTHROTTLE_ENABLED", False),
                               ("NIANBAO_RETRY_BACKOFF_BASE", 0.2)):
                if s.getpriority(key) < 40:   # an explicit -s wins
                    s.set(key, value, priority="cmdline")
            if s.getpriority("LOG_LEVEL") < 40:   # quiet unless -L/--loglevel was given: the summary is the output
                s.set("LOG_LEVEL", "WARNING", priority="cmdline")
            starts = [portal.url(h, "/") for h in hosts]
            print(f"demo portal on 127.0.0.1:{portal.port}; crawling {', '.join(starts)}", flush=True)
            assert self.crawler_process is not None
            crawler = self.crawler_process.create_crawler("annual_reports")
            self.crawler_process.crawl(crawler, start_urls=",".join(starts),
                                       allowed_domains=",".join(hosts))
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed:
                self.exitcode = 1
                return
            stats = crawler.stats.get_stats() if crawler.stats else {}
            print(summary(db, stats, manifest, hosts), flush=True)
        finally:
            portal.stop()


def summary(db: Path, stats: dict, manifest: Path, hosts: list[str]) -> str:
    """What the crawl stored, read back from the archive (not from the crawl's own counters)."""
    truth = json.loads(manifest.read_text(encoding="utf-8"))
    expected = [r for r in truth["reports"] if r["site"] in hosts]
    lines = [f"\narchive: {db}"]
    if not db.exists():
        return "\n".join(lines + ["  (no database written: are the pipelines enabled?)"])
    con = sqlite3.connect(db)
    try:
        def one(sql: str) -> int:
            return con.execute(sql).fetchone()[0]
        lines.append(f"  pages fetched: {stats.get('response_received_count', 0)} responses, "
                     f"{one('select count(*) from captures')} captures, {one('select count(*) from snapshots')} snapshots")
        lines.append(f"  reports: {one('select count(*) from reports')} (the portal serves {len(expected)}); "
                     f"decoy titles skipped: {stats.get('nianbao/skipped_decoy_titles', 0)}")
        rows = con.execute("select coalesce(agency, '?'), coalesce(report_year, '?'), coalesce(format, '?'), "
                           "(select count(*) from cells c where c.report_id = r.id and c.value is not null), "
                           "(select count(*) from findings f where f.report_id = r.id) "
                           "from reports r order by agency, report_year").fetchall()
        for agency, year, fmt, cells, findings in rows:
            lines.append(f"    {agency} {year}  format {fmt}: {cells} cells, {findings} findings")
        lines.append(f"  cells stored: {one('select count(*) from cells')} "
                     f"({one('select count(*) from cells where value is not null')} numeric)")
        top = con.execute("select rule, count(*) from findings group by rule order by count(*) desc limit 8").fetchall()
        lines.append(f"  findings: {one('select count(*) from findings')}" +
                     (" — " + ", ".join(f"{r} ×{n}" for r, n in top) if top else ""))
    finally:
        con.close()
    lines += ["", "look at it:",
              f"  datasette {db}                         # browse the tables in a web page",
              f"  sqlite3 {db} 'select agency, report_year, format, url from reports'",
              f"  scrapy export --format csv -o out/ -s NIANBAO_DB={db}",
              f"  ground truth of the portal: {manifest}"]
    return "\n".join(lines)
