"""Incremental re-crawl cost and archive compression, measured on the bundled demo portal.

    python3 bench/recrawl_bench.py [--sites www.trs.demo.test,...]

Three crawls into one archive, each a real ``scrapy crawl annual_reports`` process against the
portal on 127.0.0.1: (1) the first crawl, (2) again with nothing changed, (3) again after a few
reports changed on the portal (a number in an HTML report, a re-published attachment). Bytes are
counted on the *server* (body bytes it sent, after gzip), requests too, so the figures do not
depend on how Scrapy accounts for replays. Printed as ratios to the first crawl (aim for run 2:
≤ 5 % of the bytes), plus what the archive holds: snapshot bytes raw vs stored (zstd).
"""
from __future__ import annotations

import argparse
import ast
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_portal.server import DemoPortal  # noqa: E402

SITES = ("www.trs.demo.test", "www.hanweb.demo.test", "www.other.demo.test")


class CountingPortal(DemoPortal):
    """The demo portal, counting requests and body bytes it sends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent = 0
        self.count = 0
        self._count_lock = threading.Lock()

    def _send(self, h, method, host, path, status, body, ctype, extra=None):
        wfile = h.wfile
        portal = self

        class Counting:
            def write(self, data):
                with portal._count_lock:
                    portal.sent += len(data)
                return wfile.write(data)

            def __getattr__(self, name):
                return getattr(wfile, name)

        h.wfile = Counting()
        with self._count_lock:
            self.count += 1
        try:
            return super()._send(h, method, host, path, status, body, ctype, extra)
        finally:
            h.wfile = wfile

    def reset(self) -> None:
        with self._count_lock:
            self.sent = self.count = 0


def stats_of(log: str) -> dict:
    start = log.rfind("Dumping Scrapy stats:")
    if start < 0:
        return {}
    text = log[start:].split("\n", 1)[1]
    text = text[:text.find("}") + 1]
    text = text.replace("datetime.datetime", "").replace("tzinfo=datetime.timezone.utc", "")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}


def crawl(portal: CountingPortal, db: Path, sites: list[str]) -> dict:
    portal.reset()
    cmd = [sys.executable, "-m", "scrapy", "crawl", "annual_reports",
           "-a", "start_urls=" + ",".join(portal.url(h, "/") for h in sites),
           "-s", f"NIANBAO_DB={db}", "-s", "NIANBAO_RESOLVE=" + json.dumps(portal.resolve_map()),
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "LOG_LEVEL=INFO"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    st = stats_of(proc.stderr)
    return {"requests": portal.count, "bytes": portal.sent, "wall": wall,
            "crawl_s": st.get("elapsed_time_seconds", 0.0), "extracted": st.get("nianbao/extracted", 0),
            "not_modified": st.get("nianbao/incremental/not_modified", 0),
            "not_refetched": st.get("nianbao/incremental/attachments_not_refetched", 0),
            "versions": st.get("nianbao/reports_version", 0)}


def change_reports(portal: CountingPortal, n: int = 2) -> list[str]:
    """Edit a number in HTML reports and re-publish one attachment (new bytes, same URL)."""
    changed = []
    for host, site in portal.sites.items():
        for path, res in site.resources.items():
            if len(changed) >= n:
                break
            if isinstance(res.body, str) and "政府信息公开" in res.body and "<td>0</td>" in res.body:
                res.body = res.body.replace("<td>0</td>", "<td>3</td>", 1)
                changed.append(portal.url(host, path))
    for host, site in portal.sites.items():
        for path, res in site.resources.items():
            if isinstance(res.body, bytes) and res.body.startswith(b"%PDF"):
                res.body = res.body + b"\n% re-published\n"
                changed.append(portal.url(host, path))
                return changed
    return changed


def archive_figures(db: Path) -> dict:
    con = sqlite3.connect(db)
    rows = con.execute("SELECT CASE WHEN content_type LIKE 'text/%' THEN 'text' ELSE 'binary' END, "
                       "count(*), sum(size), sum(length(content)) FROM snapshots GROUP BY 1").fetchall()
    out = {kind: {"snapshots": n, "raw": raw, "stored": stored} for kind, n, raw, stored in rows}
    out["versions"] = con.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    out["cell_changes"] = con.execute("SELECT count(*) FROM cell_changes").fetchone()[0]
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", default=",".join(SITES))
    args = ap.parse_args()
    sites = args.sites.split(",")
    with tempfile.TemporaryDirectory() as tmp, CountingPortal(0) as portal:
        db = Path(tmp) / "bench.db"
        first = crawl(portal, db, sites)
        same = crawl(portal, db, sites)
        changed_urls = change_reports(portal)
        changed = crawl(portal, db, sites)
        figures = archive_figures(db)
    print(f"recrawl bench — demo portal, sites: {', '.join(sites)}")
    print(f"{'run':<26}{'requests':>10}{'bytes':>12}{'wall s':>9}{'crawl s':>9}{'extracted':>10}"
          f"{'304':>6}{'kept':>6}   ratios to run 1 (requests / bytes / crawl time)")
    for name, r in (("1 first crawl", first), ("2 nothing changed", same), (f"3 {len(changed_urls)} changed", changed)):
        print(f"{name:<26}{r['requests']:>10}{r['bytes']:>12}{r['wall']:>9.1f}{r['crawl_s']:>9.1f}{r['extracted']:>10}"
              f"{r['not_modified']:>6}{r['not_refetched']:>6}   "
              f"{r['requests'] / first['requests']:.2f} / {r['bytes'] / first['bytes']:.3f} / "
              f"{r['crawl_s'] / max(first['crawl_s'], 1e-9):.2f}")
    for kind in ("text", "binary"):
        f = figures.get(kind)
        if f:
            print(f"snapshots {kind:<7}: {f['snapshots']:>4} bodies, {f['raw']:>10} bytes raw → {f['stored']:>10} stored "
                  f"(ratio {f['raw'] / max(f['stored'], 1):.2f}x)")
    print(f"report versions: {figures['versions']}, cell changes recorded: {figures['cell_changes']}")
    print("changed on the portal before run 3:", *changed_urls, sep="\n  ")


if __name__ == "__main__":
    main()
