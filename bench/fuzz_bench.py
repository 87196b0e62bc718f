"""The big fuzz run: thousands of mutated reports through ``extraction.extract``; cases and failures.

    python3 bench/fuzz_bench.py [--html 1500] [--text 1500] [--docx 300] [--pdf 300] [--seed 1]

Same mutators and the same failure rules as tests/test_fuzz_extraction.py (an exception, a hang
past the per-document limit, a peak-RSS jump, a result breaking the output contract, a silent
``unknown``), with the costly mutations at full size (megabyte lines, hundreds of copied tables,
350 MB zip bombs) and the real corpus PDFs included. Prints, per kind: cases run, failures,
cases the child-process guard had to stop (timeout/memory — bounded, not failures), the slowest
case and the process's peak RSS; then every failure with its seed (``run_case(kind, seed)``
reproduces it).
"""
from __future__ import annotations

import argparse
import collections
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import test_fuzz_extraction as fz  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for kind, n in (("html", 1500), ("text", 1500), ("docx", 300), ("pdf", 300)):
        ap.add_argument(f"--{kind}", type=int, default=n)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--small", action="store_true", help="CI-sized mutations (faster)")
    args = ap.parse_args()
    if not args.small:
        fz.SCALE.update({"giant": [10_000, 300_000, 1_000_000, 3_000_000], "copies": [5, 40, 200],
                         "bomb_mb": [64, 350]})
    import logging
    logging.getLogger("pdfminer").setLevel(logging.ERROR)   # broken PDFs make pdfminer chatty
    import warnings
    warnings.simplefilter("ignore")
    import docx  # noqa: F401  — imported once here, inherited by every forked reader
    import pdfplumber  # noqa: F401

    failures: list[fz.Outcome] = []
    print(f"{'kind':6} {'cases':>6} {'failures':>8} {'guarded':>8} {'slowest s':>9} {'mean s':>7} {'peak RSS MiB':>12}")
    total = 0
    started = time.monotonic()
    for kind in ("html", "text", "docx", "pdf"):
        n = getattr(args, kind)
        outs = [fz.run_case(kind, args.seed * 1_000_003 + i) for i in range(n)]
        total += n
        bad = [o for o in outs if o.failure]
        failures += bad
        guarded = sum(o.guarded for o in outs)
        slow = max((o.seconds for o in outs), default=0.0)
        mean = sum(o.seconds for o in outs) / max(1, n)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{kind:6} {n:6d} {len(bad):8d} {guarded:8d} {slow:9.2f} {mean:7.3f} {peak:12.0f}", flush=True)
        by_mut = collections.Counter(o.mutator for o in outs)
        print("       mutators: " + ", ".join(f"{m} {c}" for m, c in sorted(by_mut.items())))
    print(f"total {total} cases, {len(failures)} failures, {time.monotonic() - started:.0f} s")
    for o in failures:
        print(f"FAIL {o.kind}/{o.mutator} seed={o.seed} ({o.seconds:.1f} s): {o.failure}")


if __name__ == "__main__":
    main()
