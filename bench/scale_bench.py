"""Throughput of a distributed crawl with 1, 2 and 4 workers, and the per-host politeness bound.

    python3 bench/scale_bench.py [--pages 30] [--hosts 4] [--latency 0.2]

A local portal (``tests/distributed_site.TreeSite``: several loopback hosts, every answer after
``--latency`` seconds) is crawled by N ``scrapy runspider`` workers sharing one redis-server, with
``scrapy archive-writer`` storing into a fresh SQLite file, for N = 1, 2, 4 in one run. Each
worker is given the capacity of 2 concurrent requests (``CONCURRENT_REQUESTS=2``: the stand-in
for what one machine can fetch and extract), and every host the project's politeness
(``NIANBAO_HOST_CONCURRENCY=2``), enforced across all workers. So:

* one worker's bound is 2 / latency pages/s, and adding workers should add that much each,
* until the per-host bound, hosts × min(concurrency / latency, 1 / host delay), caps it.

A last run crawls a single host with 4 workers to show the cap. Throughput is measured at the
server, from the moment all workers are up (the root page is held until then) to the last request,
so process start-up is not counted. Figures are printed as pages/s and as a ratio to 1 worker.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.distributed_site import RedisServer, TreeSite, scrapy_env  # noqa: E402

WORKER_CONCURRENCY = 2   # --worker-concurrency
HOST_CONCURRENCY = 2


def wait_cpu(proc: subprocess.Popen) -> float:
    """Wait for a child and return the CPU seconds it used (user + system): a figure that holds
    on a loaded machine, where wall-clock rates mostly measure the neighbours."""
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(_status)
    return usage.ru_utime + usage.ru_stime


def _opts(d: dict[str, object]) -> list[str]:
    out: list[str] = []
    for k, v in d.items():
        out += ["-s", f"{k}={v}"]
    return out


def run(workers: int, hosts: int, pages: int, latency: float, host_delay: float, r: RedisServer,
        tmp: Path) -> dict[str, float]:
    site = TreeSite(pages=pages, hosts=hosts, delay=latency, fanout=8)
    site.gate.clear()
    job = f"bench-{workers}w-{hosts}h"
    db = tmp / f"{job}.db"
    common = {"REDIS_URL": r.url, "NIANBAO_DB": db, "NIANBAO_JOB": job, "LOG_LEVEL": "WARNING",
              "TELNETCONSOLE_ENABLED": 0, "AUTOTHROTTLE_ENABLED": 0, "DOWNLOAD_DELAY": 0,
              "NIANBAO_ALLOWED_ADDRESSES": "127.0.0.0/8", "CONCURRENT_REQUESTS": WORKER_CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": HOST_CONCURRENCY,
              "NIANBAO_HOST_CONCURRENCY": HOST_CONCURRENCY, "NIANBAO_HOST_DELAY": host_delay}
    env = scrapy_env()
    procs = [subprocess.Popen([sys.executable, "-m", "scrapy.cmdline", "runspider", "tests/distributed_site.py",
                               "-a", f"start_url={site.bases[0]}/p/0.html", *_opts(common)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp / f"{job}-{i}.log").open("w"))
             for i in range(workers)]
    writer = subprocess.Popen([sys.executable, "-m", "scrapy.cmdline", "archive-writer", "--exit-when-idle", "1",
                               *_opts(common)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=(tmp / f"{job}-writer.log").open("w"))
    client = redis.Redis(port=r.port)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        live = [w for w, j in client.hgetall("nianbao:workers").items() if j.decode() == job]
        if len(live) >= workers:
            break
        time.sleep(0.05)
    t0 = time.monotonic()
    site.gate.set()
    worker_cpu = sum(wait_cpu(p) for p in procs)
    t_crawled = time.monotonic()
    writer_cpu = wait_cpu(writer)
    t_archived = time.monotonic()
    starts = sorted(t for ts in site.starts.values() for t in ts)
    fetched = sum(site.page_hits().values())
    elapsed = max(starts) + latency - t0
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT count(*) FROM captures").fetchone()[0]
    per_host = max(len(ts) / (max(ts) + latency - min(ts)) for ts in site.starts.values())
    site.close()
    return {"workers": workers, "hosts": hosts, "pages": fetched, "stored": stored,
            "pages_per_s": fetched / elapsed, "max_host_rate": per_host,
            "max_host_concurrency": max(site.max_active.values()),
            "writer_lag_s": t_archived - t_crawled, "wall_s": t_crawled - t0,
            "worker_cpu_ms_per_page": 1000 * worker_cpu / max(fetched, 1),
            "writer_cpu_ms_per_page": 1000 * writer_cpu / max(stored, 1),
            "expected": len(site.expected_urls())}


def run_plain(hosts: int, pages: int, latency: float, tmp: Path) -> dict[str, float]:
    """The baseline: one ordinary Scrapy process (no Redis), same per-process capacity."""
    site = TreeSite(pages=pages, hosts=hosts, delay=latency, fanout=8)
    opts = {"NIANBAO_DB": tmp / "plain.db", "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": 0,
            "NIANBAO_ALLOWED_ADDRESSES": "127.0.0.0/8",
            "AUTOTHROTTLE_ENABLED": 0, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": WORKER_CONCURRENCY,
            "CONCURRENT_REQUESTS_PER_DOMAIN": HOST_CONCURRENCY}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "scrapy.cmdline", "runspider", "tests/distributed_site.py",
                             "-a", f"start_url={site.bases[0]}/p/0.html", *_opts(opts)], cwd=ROOT, env=scrapy_env(),
                            stdout=subprocess.DEVNULL, stderr=(tmp / "plain.log").open("w"))
    cpu = wait_cpu(proc)
    starts = sorted(t for ts in site.starts.values() for t in ts)
    fetched = sum(site.page_hits().values())
    site.close()
    return {"pages": fetched, "pages_per_s": fetched / (max(starts) + latency - min(starts)),
            "wall_s": time.monotonic() - t0, "cpu_ms_per_page": 1000 * cpu / max(fetched, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=30, help="pages per host")
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds before each answer")
    ap.add_argument("--host-delay", type=float, default=0.0, help="NIANBAO_HOST_DELAY (global, per host)")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--worker-concurrency", type=int, default=WORKER_CONCURRENCY,
                    help="CONCURRENT_REQUESTS of each worker (its capacity); lower it on a loaded machine")
    a = ap.parse_args()
    globals()["WORKER_CONCURRENCY"] = a.worker_concurrency
    r = RedisServer()
    tmp = Path(tempfile.mkdtemp(prefix="nianbao-scale-"))
    try:
        plain = run_plain(a.hosts, a.pages, a.latency, tmp)
        rows = [run(n, a.hosts, a.pages, a.latency, a.host_delay, r, tmp) for n in map(int, a.workers.split(","))]
        rows.append(run(4, 1, a.pages, a.latency, a.host_delay, r, tmp))
    finally:
        r.stop()
    worker_bound = WORKER_CONCURRENCY / a.latency
    host_bound = HOST_CONCURRENCY / a.latency if a.host_delay <= 0 else min(HOST_CONCURRENCY / a.latency, 1 / a.host_delay)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall-clock rates suffer when it is high)")
    print(f"latency {a.latency:.2f}s per answer; per-worker bound {worker_bound:.1f} pages/s "
          f"(CONCURRENT_REQUESTS={WORKER_CONCURRENCY}); per-host politeness bound "
          f"min({HOST_CONCURRENCY} / {a.latency}, 1 / host delay {a.host_delay}) = {host_bound:.1f} pages/s")
    print(f"baseline: one plain Scrapy process (no Redis, same capacity): {plain['pages']} pages, "
          f"{plain['pages_per_s']:.1f} pages/s, {plain['cpu_ms_per_page']:.0f} ms CPU per page (start-up included)")
    base = rows[0]["pages_per_s"]
    print(f"{'workers':>7} {'hosts':>5} {'pages':>5} {'stored':>6} {'pages/s':>8} {'× 1 worker':>10} "
          f"{'bound':>6} {'max host rate':>13} {'max host conc':>13} {'writer lag s':>12} {'× plain':>7} {'worker CPU ms/page':>18} {'writer CPU ms/page':>18}")
    for row in rows:
        row["vs_plain"] = row["pages_per_s"] / plain["pages_per_s"]
        bound = min(row["workers"] * worker_bound, row["hosts"] * host_bound)
        print(f"{row['workers']:>7} {row['hosts']:>5} {row['pages']:>5} {row['stored']:>6} "
              f"{row['pages_per_s']:>8.1f} {row['pages_per_s'] / base:>10.2f} {bound:>6.1f} "
              f"{row['max_host_rate']:>13.1f} {row['max_host_concurrency']:>13} {row['writer_lag_s']:>12.1f} {row['vs_plain']:>7.2f} "
              f"{row['worker_cpu_ms_per_page']:>18.0f} {row['writer_cpu_ms_per_page']:>18.0f}")
        if row["pages"] != row["expected"] or row["stored"] != row["expected"]:
            print(f"  !! expected {row['expected']} pages fetched and stored once")


if __name__ == "__main__":
    main()
