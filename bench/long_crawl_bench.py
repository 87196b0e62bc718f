"""Long crawl: ≥ 10,000 pages of a generated local portal; RSS over time and database growth.

    python3 bench/long_crawl_bench.py [--articles 10000] [--per-page 20] [--interval 3]

A local server generates a 年报 column of ``articles / per_page`` list pages (each linking the next
with 下一页) and ``articles`` report articles, every one different (its own agency, numbers and a
padding paragraph of 0.5–12 KB), so each is archived, extracted and stored. The crawl runs the
full pipeline (``scrapy crawl annual_reports``, archive → extract → store) into a temporary SQLite
file with politeness off. Every ``interval`` seconds the bench samples the crawl process's RSS
(/proc/PID/status), the pages archived so far, the raw bytes they hold and the database file size
(+ WAL). It prints the curve and two verdicts:

* RSS flatness: the peak RSS of the second half of the crawl against the first half's (a leak
  grows with pages; a flat process stays within a few percent);
* DB growth: a least-squares line of (db bytes) over (raw bytes stored) and its R² (linear growth
  means R² ≈ 1 and a constant bytes-on-disk per stored byte).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "www.long.demo.test"
AGENCIES = "财政局 教育局 民政局 司法局 交通局 水利局 商务局 审计局 统计局 科技局 文旅局 卫健委".split()
WORDS = "政务公开 信息发布 依申请公开 主动公开 政策解读 回应关切 平台建设 监督保障 年度报告 规范管理".split()


def article(n: int) -> bytes:
    rnd = random.Random(n)
    title = f"示例县{AGENCIES[n % len(AGENCIES)]}第{n}分局2023年政府信息公开工作年度报告"
    pad = "".join(rnd.choice(WORDS) + ("。" if rnd.random() < 0.1 else "，") for _ in range(rnd.randint(40, 1000)))
    body = (f"<h1>{title}</h1><p>一、总体情况</p><p>{pad}</p><p>二、主动公开政府信息情况</p>"
            f"<table><tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"
            f"<tr><td>规章</td><td>{rnd.randint(0, 9)}</td><td>0</td><td>{rnd.randint(0, 99)}</td></tr>"
            f"<tr><td>行政规范性文件</td><td>{rnd.randint(0, 30)}</td><td>{rnd.randint(0, 5)}</td>"
            f"<td>{rnd.randint(0, 300)}</td></tr></table>"
            "<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p>"
            "<p>五、存在的主要问题及改进情况</p><p>六、其他需要报告的事项</p>")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><div class="main">{body}</div></body></html>').encode("utf-8")


def list_page(page: int, pages: int, per_page: int) -> bytes:
    first = page * per_page
    rows = "".join(f'<li><a href="/nb/art_{n}.html">示例县{AGENCIES[n % len(AGENCIES)]}第{n}分局'
                   f'2023年政府信息公开工作年度报告</a><span>2024-01-{1 + n % 28:02d}</span></li>'
                   for n in range(first, first + per_page))
    nxt = f'<a href="/nb/index_{page + 1}.html">下一页</a>' if page + 1 < pages else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title></head>'
            f'<body><div class="main"><ul>{rows}</ul><div class="pager">{nxt}</div></div></body></html>').encode()


def serve(articles: int, per_page: int) -> ThreadingHTTPServer:
    pages = (articles + per_page - 1) // per_page

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            body, ctype, status = b"not found", "text/plain", 404
            if path == "/robots.txt":
                body, ctype, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
            elif path in ("/nb/", "/nb/index.html"):
                body, ctype, status = list_page(0, pages, per_page), "text/html; charset=utf-8", 200
            elif path.startswith("/nb/index_"):
                body, ctype, status = list_page(int(path[10:-5]), pages, per_page), "text/html; charset=utf-8", 200
            elif path.startswith("/nb/art_"):
                n = int(path[8:-5])
                if n < articles:
                    body, ctype, status = article(n), "text/html; charset=utf-8", 200
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def db_sample(db: Path) -> tuple[int, int, int]:
    """(pages archived, raw bytes of their bodies, db + wal bytes) — read-only, never blocks the writer."""
    size = sum(p.stat().st_size for p in (db, Path(str(db) + "-wal")) if p.exists())
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            n, raw = con.execute("select count(*), coalesce(sum(size), 0) from captures").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        n, raw = 0, 0
    return n, raw, size


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(slope, intercept, R²) of the least-squares line."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs) or 1.0
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    icpt = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys) or 1.0
    ss_res = sum((y - (slope * x + icpt)) ** 2 for x, y in zip(xs, ys))
    return slope, icpt, 1 - ss_res / ss_tot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--interval", type=float, default=3.0)
    ap.add_argument("--keep", help="keep the database at this path")
    args = ap.parse_args()

    srv = serve(args.articles, args.per_page)
    port = srv.server_address[1]
    tmp = Path(tempfile.mkdtemp(prefix="nianbao-long-"))
    db = Path(args.keep) if args.keep else tmp / "long.db"
    pages = (args.articles + args.per_page - 1) // args.per_page
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports", "-a", f"start_urls=http://{HOST}:{port}/nb/",
           "-s", f"NIANBAO_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "LOG_LEVEL=WARNING", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
           "-s", f"NIANBAO_SITE_PAGE_BUDGET={args.articles + pages + 100}",
           "-s", f"NIANBAO_MAX_LIST_PAGES={pages + 10}", "-s", "NIANBAO_PROGRESS_INTERVAL=0",
           "-s", "NIANBAO_RESOLVE=" + json.dumps({HOST: "127.0.0.1"})]
    log = tmp / "crawl.log"
    start = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    samples: list[tuple[float, int, int, int, int]] = []
    while proc.poll() is None:
        time.sleep(args.interval)
        rss = rss_of(proc.pid)
        n, raw, size = db_sample(db)
        if rss:
            samples.append((time.monotonic() - start, rss, n, raw, size))
    elapsed = time.monotonic() - start
    n, raw, size = db_sample(db)
    srv.shutdown()

    print(f"crawl exit {proc.returncode}, {elapsed:.0f} s, {n} pages archived "
          f"({args.articles} articles + {pages} list pages served), {n / elapsed:.1f} pages/s")
    print(f"{'t (s)':>7} {'RSS MiB':>8} {'pages':>7} {'raw MiB':>8} {'db MiB':>7} {'db/raw':>7}")
    step = max(1, len(samples) // 40)
    for t, rss, pn, praw, psize in samples[::step] + ([samples[-1]] if samples and len(samples) % step != 1 else []):
        ratio = psize / praw if praw else 0.0
        print(f"{t:7.0f} {rss / 2**20:8.1f} {pn:7d} {praw / 2**20:8.1f} {psize / 2**20:7.1f} {ratio:7.2f}")
    # RSS flatness: compare the halves of the crawl by pages done (after a warm-up of 10 %)
    busy = [s for s in samples if s[2] > 0.1 * n]
    if len(busy) >= 4:
        half = len(busy) // 2
        first, second = max(s[1] for s in busy[:half]), max(s[1] for s in busy[half:])
        print(f"RSS peak, first half {first / 2**20:.1f} MiB, second half {second / 2**20:.1f} MiB: "
              f"ratio {second / first:.3f} (flat ≈ 1.0)")
        rss_fit = linear_fit([s[2] for s in busy], [s[1] for s in busy])
        print(f"RSS slope {rss_fit[0] * 1000 / 2**10:.1f} KiB per 1000 pages")
    grow = [s for s in samples if s[3] > 0]
    if len(grow) >= 3:
        slope, icpt, r2 = linear_fit([s[3] for s in grow], [s[4] for s in grow])
        print(f"DB bytes = {slope:.3f} × raw bytes stored + {icpt / 2**20:.1f} MiB  (R² = {r2:.4f}, linear ≈ 1)")
    print(f"final: db {size / 2**20:.1f} MiB for {raw / 2**20:.1f} MiB of raw bodies; log {log}")
    with sqlite3.connect(db) as con:
        print("integrity_check:", con.execute("PRAGMA integrity_check").fetchone()[0],
              "| reports:", con.execute("select count(*) from reports").fetchone()[0])


if __name__ == "__main__":
    main()
