"""Crawl throughput: the full pipeline against bare Scrapy on the same pages, in the same run.

    python3 bench/crawl_bench.py [--rounds N]

Three crawls of the bundled demo portal (TRS + Hanweb sites), each against a fresh portal so
every run sees the same server behaviour (including its 503-twice article):

1. ``full``   — ``scrapy crawl annual_reports`` with archive → extract → store into a temp SQLite;
2. ``spider`` — the same spider with no item pipelines (what the crawl logic itself costs);
3. ``bare``   — a bare Scrapy spider fetching the same URLs (those ``full`` captured), no parsing,
                no pipelines: the baseline.

Prints pages/s for each, the ratios full/bare and spider/bare (aim: full ≥ 0.7 of bare), and the
peak RSS of each crawl process. Politeness delays are off (our own local server).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_portal.server import DemoPortal  # noqa: E402

SITES = ("www.trs.demo.test", "www.hanweb.demo.test")
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05",
        "-s", "LOG_LEVEL=INFO"]

BARE_SPIDER = '''
import json, scrapy
class Bare(scrapy.Spider):
    name = "bare"
    custom_settings = {"ITEM_PIPELINES": {}}
    async def start(self):
        for r in json.load(open(self.urls_file)):
            yield scrapy.Request(r["url"], method=r["method"], body=r.get("body"), headers=r.get("headers"),
                                 callback=self.parse, dont_filter=True,
                                 meta={"handle_httpstatus_list": list(range(400, 600))})
    def parse(self, response):
        return None
'''


def _stat(log: str, key: str) -> float | None:
    m = re.search(rf"'{re.escape(key)}': ([0-9.]+)", log[log.rfind("Dumping Scrapy stats"):])
    return float(m.group(1)) if m else None


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(crawl seconds from Scrapy's own clock, peak RSS of the crawl in MiB, stderr).

    Scrapy's ``elapsed_time_seconds`` runs from spider open to close (pipelines included), so the
    process start-up (imports, ~10 s here) does not blur the comparison; RSS is the MemoryUsage
    extension's ``memusage/max``.
    """
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    elapsed = _stat(proc.stderr, "elapsed_time_seconds") or 0.0
    rss = _stat(proc.stderr, "memusage/max") or 0.0
    return elapsed, int(rss // (1024 * 1024)), proc.stderr


def crawl(kind: str, tmp: Path, urls_file: Path | None = None) -> dict:
    with DemoPortal() as portal:
        resolve = ["-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map())]
        starts = ",".join(portal.url(h, "/") for h in SITES)
        db = tmp / f"{kind}.db"
        if kind == "bare":
            spider = tmp / "bare_spider.py"
            spider.write_text(BARE_SPIDER)
            cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"urls_file={urls_file}", *FAST, *resolve,
                   "-s", "ROBOTSTXT_OBEY=False"]
        else:
            cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", f"start_urls={starts}",
                   *FAST, *resolve, "-s", f"NIANBAO_DB={db}"]
            if kind == "spider":
                cmd += ["-s", "ITEM_PIPELINES={}"]
        seconds, rss, _ = _run(cmd)
        pages = sum(1 for _h, _m, p, _s in portal.requests if p != "/robots.txt")
        if kind == "full" and urls_file is not None:
            con = sqlite3.connect(db)
            rows = con.execute("select url, method from captures where status is not null").fetchall()
            con.close()
            # POST list proxies: the bare run asks the same slices with the same form
            requests = []
            for url, method in rows:
                url = url.replace(f":{portal.port}", ":{port}")
                req = {"url": url, "method": method}
                if method == "POST":
                    req["body"] = "col=1&appid=1&webid=7&path=/&columnid=1234&sourceContentType=1&unitid=5678&permissiontype=0"
                    req["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
                requests.append(req)
            urls_file.write_text(json.dumps(requests))
        return {"kind": kind, "seconds": seconds, "pages": pages, "rss_mib": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        template = tmp / "urls.template.json"
        results: dict[str, list[dict]] = {"full": [], "spider": [], "bare": []}
        for _ in range(args.rounds):
            results["full"].append(crawl("full", tmp, template))
            results["spider"].append(crawl("spider", tmp))
            # the bare run needs this round's port in its URL list
            with DemoPortal() as portal:
                urls = tmp / "urls.json"
                urls.write_text(template.read_text().replace("{port}", str(portal.port)))
                resolve = ["-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map())]
                spider = tmp / "bare_spider.py"
                spider.write_text(BARE_SPIDER)
                cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"urls_file={urls}", *FAST,
                       *resolve, "-s", "ROBOTSTXT_OBEY=False"]
                seconds, rss, _ = _run(cmd)
                pages = sum(1 for _h, _m, p, _s in portal.requests if p != "/robots.txt")
                results["bare"].append({"kind": "bare", "seconds": seconds, "pages": pages, "rss_mib": rss})
    rate = {k: sum(r["pages"] for r in v) / sum(r["seconds"] for r in v) for k, v in results.items()}
    print(f"{'crawl':8} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'peak RSS MiB':>13}")
    for k, v in results.items():
        print(f"{k:8} {sum(r['pages'] for r in v):6d} {sum(r['seconds'] for r in v):8.2f} {rate[k]:8.2f} "
              f"{max(r['rss_mib'] for r in v):13d}")
    print(f"ratio full/bare   = {rate['full'] / rate['bare']:.2f}   (aim ≥ 0.7)")
    print(f"ratio spider/bare = {rate['spider'] / rate['bare']:.2f}")
    print("note: seconds are Scrapy's elapsed_time_seconds (open → close, pipelines included; process start-up "
          "excluded). Every run includes the portal's 503-twice article (Retry-After: 1 s, twice).")


if __name__ == "__main__":
    main()
