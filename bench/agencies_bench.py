"""Benchmark and figures for ``scrapy agencies``.

1. Speed: a synthetic archive (``exporting.synthetic``, built from the corpus's gold shapes) of
   N reports; times reading the reports (the baseline: what any whole-archive pass must pay),
   identity resolution, cross-checks and writing, and prints each as a ratio to the baseline.
2. Figures behind the jump factors: the year-over-year ratios of every checked cell in the real
   consecutive pairs of the corpus (bodies with two adjacent years).

    python3 bench/agencies_bench.py [N]
"""
from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agencies import crosscheck, identity, names, store  # noqa: E402
from exporting import synthetic  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def speed(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        synthetic.build(path, CORPUS, n)
        db = store._db(path)
        t0 = time.perf_counter()
        reports = store.read_reports(db)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = identity.resolve([r.ref for r in reports])
        t_ident = time.perf_counter() - t0
        by_body = defaultdict(list)
        for r in reports:
            by_body[res.report_body[r.ref.id]].append(r.data)
        t0 = time.perf_counter()
        checks, factors = crosscheck.check_all(by_body)
        t_check = time.perf_counter() - t0
        t0 = time.perf_counter()
        store.write(db, store.RunResult(res, checks, factors, len(reports)))
        t_write = time.perf_counter() - t0
        n_find = sum(len(c.findings) for c in checks)
        print(f"reports {len(reports)}  bodies {len(res.bodies)}  cross findings {n_find}")
        print(f"read    {t_read:7.2f}s  1.00x (baseline)")
        for label, t in (("identity", t_ident), ("checks", t_check), ("write", t_write)):
            print(f"{label:8}{t:7.2f}s  {t / t_read:5.2f}x")
        print("jump factors:", json.dumps({k: (v.factor, v.source, v.pairs) for k, v in factors.items()}))


def corpus_ratios() -> None:
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*/gold.json"))]
    by_key = defaultdict(dict)
    for g in golds:
        by_key[names.parse(g["meta"]["agency"]).key][g["meta"]["report_year"]] = g["cells"]
    print("real consecutive-year ratios (corpus):")
    for key, years in sorted(by_key.items()):
        for y in sorted(years):
            if y - 1 not in years:
                continue
            a, b = years[y - 1], years[y]
            for c in crosscheck.jump_checks():
                va, vb = a.get(c.code), b.get(c.code)
                if va is None or vb is None:
                    continue
                r = math.exp(abs(crosscheck._log_ratio(va, vb)))
                flag = "FLAG" if max(abs(va), abs(vb)) >= c.min_value and r > c.factor else ""
                print(f"  {key} {y - 1}→{y} {c.code:34} {va:>10g} → {vb:<10g} {r:6.2f}x "
                      f"(family {c.family}, factor {c.factor:g}) {flag}")


if __name__ == "__main__":
    corpus_ratios()
    speed(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
