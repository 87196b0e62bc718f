"""Run ``scrapy crawl annual_reports`` in a subprocess against local servers, read what it archived.

Why a subprocess: Twisted's reactor cannot restart inside one test process. Tests always turn
the politeness delays off (DOWNLOAD_DELAY=0, AutoThrottle off) and give the crawl a time limit.
"""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    db: Path
    returncode: int
    log: str

    def rows(self, sql: str, *args) -> list[sqlite3.Row]:
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def captures(self) -> list[sqlite3.Row]:
        return self.rows("select * from captures order by id")

    def stats(self) -> dict:
        """Numeric stats from the final "Dumping Scrapy stats" block of the log."""
        start = self.log.rfind("Dumping Scrapy stats:")
        if start < 0:
            return {}
        stats: dict = {}
        for line in self.log[start:].splitlines()[1:]:
            m = re.match(r"^[{ ]'([^']+)': (-?\d+(?:\.\d+)?)[,}]", line)
            if m:
                stats[m.group(1)] = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
            if line.rstrip().endswith("}"):      # the dict's last line
                break
        return stats


def crawl(start_urls: list[str], db: Path, *, resolve: dict[str, str] | None = None,
          settings: dict[str, object] | None = None, args: dict[str, str] | None = None,
          timeout: float = 120) -> CrawlResult:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", "start_urls=" + ",".join(start_urls),
           "-s", f"NIANBAO_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "LOG_LEVEL=INFO", "-s", "CLOSESPIDER_TIMEOUT=" + str(int(timeout - 10)),
           "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
    if resolve:
        cmd += ["-s", "NIANBAO_RESOLVE=" + json.dumps(resolve)]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value if not isinstance(value, (dict, list)) else json.dumps(value)}"]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(db, proc.returncode, proc.stdout + proc.stderr)
