"""Export benchmark: 100,000 synthetic reports (from the real gold shapes) to every format.

    python3 bench/export_bench.py                   # 100,000 reports, every format
    python3 bench/export_bench.py --reports 20000 --formats csv,parquet

For each format: wall time, cells/s and reports/s, peak RSS, output size, and the time ratio to
a baseline measured in the same run — a plain ``sqlite3`` SELECT of the cells written with
``csv.writer`` (what any script would do, with no labels, grouping or typing). Each export runs
in its own process so peak RSS is that export's alone. The same exports on an archive a tenth
the size show whether memory stays flat (RSS ratio big/small ≈ 1 means streaming).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORMATS = ("csv", "csv-wide", "jsonl", "parquet", "xlsx", "datapackage")
CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: the latter keeps the forking parent's
    high-water mark across exec, which would hide a small child behind a big parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def child(fmt: str, db: Path, out_dir: Path) -> dict:
    """Run one export in this (fresh) process and report its figures."""
    started = time.perf_counter()
    if fmt == "baseline":
        target = out_dir / "baseline.csv"
        conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
        with target.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["report_id", "code", "value", "raw"])
            w.writerows(conn.execute("SELECT report_id, code, value, raw FROM cells ORDER BY report_id"))
        conn.close()
    else:
        from exporting import export
        target = out_dir / ("pkg" if fmt == "datapackage" else "")
        stats = export(db, fmt, target if fmt == "datapackage" else out_dir)
        target = stats.files[0].parent if fmt == "datapackage" else stats.path
    seconds = time.perf_counter() - started
    return {"format": fmt, "seconds": seconds, "peak_rss_mb": peak_rss_mb(), "bytes": size_of(target)}


def run_child(fmt: str, db: Path, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    res = subprocess.run([sys.executable, __file__, "--child", fmt, "--db", str(db), "--out", str(out_dir)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{fmt} failed:\n{res.stderr[-3000:]}")
    result = json.loads(res.stdout.strip().splitlines()[-1])
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


def ensure_db(n: int, cache: Path) -> tuple[Path, float]:
    from exporting import synthetic
    db = cache / f"nianbao-export-bench-{n}.db"
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            if conn.execute("SELECT count(*) FROM reports").fetchone()[0] == n:
                return db, 0.0
        except sqlite3.Error:
            pass
        finally:
            conn.close()
        db.unlink()
    started = time.perf_counter()
    synthetic.build(db, CORPUS, n)
    return db, time.perf_counter() - started


def counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT count(*) FROM reports").fetchone()[0],
                conn.execute("SELECT count(*) FROM cells").fetchone()[0])
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--cache", default=tempfile.gettempdir(), help="where the synthetic archives are kept")
    ap.add_argument("--no-flat-check", action="store_true", help="skip the 1/10-size memory comparison")
    ap.add_argument("--child")
    ap.add_argument("--db")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.db), Path(args.out))))
        return

    formats = [f for f in args.formats.split(",") if f]
    cache = Path(args.cache)
    work = Path(tempfile.mkdtemp(prefix="nianbao-export-bench-"))
    sizes = [args.reports] + ([] if args.no_flat_check else [max(args.reports // 10, 100)])
    results: dict[int, dict[str, dict]] = {}
    for n in sizes:
        db, built = ensure_db(n, cache)
        n_reports, n_cells = counts(db)
        print(f"\n== {n_reports:,} reports, {n_cells:,} cells ({db}, {db.stat().st_size / 1e6:,.0f} MB"
              + (f", built in {built:,.1f} s" if built else ", cached") + ")", flush=True)
        results[n] = {}
        base = run_child("baseline", db, work / "baseline")
        results[n]["baseline"] = base
        print(f"{'format':<12} {'seconds':>8} {'cells/s':>11} {'reports/s':>10} {'peak RSS':>9} "
              f"{'output':>9} {'time ÷ baseline':>16}")

        def show(r: dict) -> None:
            print(f"{r['format']:<12} {r['seconds']:>8.1f} {n_cells / r['seconds']:>11,.0f} "
                  f"{n_reports / r['seconds']:>10,.0f} {r['peak_rss_mb']:>7.0f}MB {r['bytes'] / 1e6:>7.1f}MB "
                  f"{r['seconds'] / base['seconds']:>16.2f}", flush=True)

        show(base)
        for fmt in formats:
            r = run_child(fmt, db, work / fmt)
            results[n][fmt] = r
            show(r)
    if len(sizes) == 2:
        big, small = sizes
        print(f"\npeak RSS at {big:,} reports ÷ peak RSS at {small:,} reports (≈1.0 = flat memory):")
        for fmt in ["baseline", *formats]:
            print(f"  {fmt:<12} {results[big][fmt]['peak_rss_mb'] / results[small][fmt]['peak_rss_mb']:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
