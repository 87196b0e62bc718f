"""``scrapy serve``: browse the archive in Datasette, read-only, with labels, facets and canned queries.

    scrapy serve                          # NIANBAO_DB on http://127.0.0.1:8001/
    scrapy serve --db data/demo.db --port 8080 --host 0.0.0.0

The archive gets its ``cell_labels`` table and views once (a short write; see
``exporting.datasette``), then Datasette opens it immutable (``-i``): nothing can write to it
through the web, and pages are cached by content hash. ``--live`` serves a file a crawl is still
writing (read-only connections, no immutable caching).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from exporting import ExportError
from exporting import datasette as ds


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--db PATH] [--host HOST] [--port PORT]"

    def short_desc(self) -> str:
        return "Serve the archive read-only with Datasette (labels, facets, canned queries)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--db", dest="db", help="archive (default: the NIANBAO_DB setting)")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8001, help="port (default 8001; 0 = any free port)")
        parser.add_argument("--live", action="store_true",
                            help="serve a file that is still being written (read-only, not immutable)")
        parser.add_argument("--metadata-out", dest="metadata_out",
                            help="also write the generated metadata JSON here")
        parser.add_argument("--print-command", action="store_true",
                            help="print the datasette command line and exit (for systemd units)")

    def run(self, args: list[str], opts) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        db = opts.db or self.settings.get("NIANBAO_DB")
        try:
            ds.prepare(db)
            meta = ds.metadata(db)
        except ExportError as exc:
            print(f"serve: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        meta_path = opts.metadata_out
        if not meta_path:
            fd, meta_path = tempfile.mkstemp(prefix="nianbao-datasette-", suffix=".json")
            os.close(fd)
        with open(meta_path, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False, indent=2)
        cmd = [sys.executable, "-m", "datasette", "serve", "--host", opts.host, "--port", str(opts.port),
               "--metadata", meta_path, "--setting", "sql_time_limit_ms", "5000",
               "--setting", "default_page_size", "100", "--setting", "allow_download", "on"]
        cmd += [db] if opts.live else ["-i", db]
        if opts.print_command:
            print(" ".join(cmd))
            return
        print(f"serving {db} read-only on http://{opts.host}:{opts.port}/ (Ctrl-C stops)", file=sys.stderr)
        proc = subprocess.Popen(cmd)
        # a service manager stops us with SIGTERM: pass it on so no orphaned server keeps the port
        signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
        try:
            self.exitcode = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait(timeout=10)
        finally:
            if not opts.metadata_out:
                os.unlink(meta_path)
