#!/usr/bin/env python3
"""Per-kind extraction figures in one run: HTML/text, PDF, DOCX, DOC (LibreOffice), OCR (Tesseract).

For each kind: documents/s, seconds per document, the ratio to the HTML time per document
(the baseline measured in the same run), and peak memory — of the parent process and of the
reader child processes (PDF/DOCX/DOC/OCR readers run forked under limits, so their memory is
the children's). Each kind runs in its own Python process so the peaks do not mix.

Inputs: the corpus fixtures (HTML, text, 3 real PDFs) and documents generated from their gold
values (python-docx DOCX, LibreOffice PDF/DOC, a noisy one-page scan) — see tests/docgen.py.

    python3 bench/extract_kinds_bench.py [--rounds 3] [--kinds html,pdf,docx,doc,ocr]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CORPUS = ROOT / "tests" / "fixtures" / "corpus"
DOCX_SLUGS = ["huaian-szf-2024", "hongze-qzf-2023", "hongze-qzf-2024", "shanghai-bgt-2025", "shuyang-xzf-2025"]


def inputs(kind: str, workdir: Path) -> list[Path]:
    """Paths of the documents of one kind (generated ones are written to ``workdir``)."""
    import shutil
    import docgen
    if kind == "html":
        return sorted(p for p in CORPUS.glob("*/source.*") if p.suffix in (".html", ".txt"))
    if kind == "pdf":
        out = sorted(CORPUS.glob("*/source.pdf"))
        made = docgen.pdf_fixture("huaian-szf-2024", True)
        dest = workdir / made.name
        shutil.copy(made, dest)
        return out + [dest]
    if kind == "docx":
        return [docgen.docx_fixture(s) for s in DOCX_SLUGS]
    if kind == "doc":
        return [docgen.doc_fixture("huaian-szf-2024")]
    if kind == "ocr":
        one = workdir / "p1.pdf"
        subprocess.run(["pdfseparate", "-f", "1", "-l", "1", str(docgen.pdf_fixture("huaian-szf-2024", True)), str(one)],
                       check=True)
        return [docgen.scan_pdf(one, workdir / "p1-scan.pdf")]
    raise ValueError(kind)


def _vm_hwm_mb() -> float:
    """Peak RSS of this process since exec (``ru_maxrss`` would include the bench parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, rounds: int, paths: list[Path]) -> dict:
    """Runs in a child process: extract() every input ``rounds`` times."""
    from extraction.api import ExtractOptions, extract
    datas = [(p.name, p.read_bytes()) for p in paths]
    opts = lambda: ExtractOptions(ocr=(kind == "ocr"), timeout=600)  # noqa: E731
    extract(datas[0][1], filename=datas[0][0], options=opts())  # warm imports
    cells = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        for name, data in datas:
            cells += sum(1 for v in extract(data, filename=name, options=opts()).cells.values() if v is not None)
    elapsed = time.perf_counter() - t0
    n = len(datas) * rounds
    self_rss = _vm_hwm_mb()
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"kind": kind, "docs": len(datas), "rounds": rounds, "seconds": elapsed, "per_doc": elapsed / n,
            "docs_per_s": n / elapsed, "cells_per_doc": cells / n, "rss_parent_mb": self_rss, "rss_children_mb": child_rss,
            "bytes": sum(len(d) for _, d in datas)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kinds", default="html,pdf,docx,doc,ocr")
    ap.add_argument("--child", default="")
    ap.add_argument("--paths", default="")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a.child, a.rounds, [Path(p) for p in json.loads(a.paths)])))
        return
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as work:
        # generate every input first (LibreOffice, pdftoppm) so their memory is not counted as a reader's
        made = {kind: [str(p) for p in inputs(kind, Path(work))] for kind in a.kinds.split(",")}
        for kind, paths in made.items():
            rounds = 1 if kind in ("doc", "ocr") else a.rounds
            proc = subprocess.run([sys.executable, __file__, "--child", kind, "--rounds", str(rounds),
                                   "--paths", json.dumps(paths)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{kind}: failed\n{proc.stderr[-1500:]}", file=sys.stderr)
                continue
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    base = next((r["per_doc"] for r in rows if r["kind"] == "html"), None)
    print(f"{'kind':6s} {'docs':>4s} {'rounds':>6s} {'s/doc':>8s} {'docs/s':>8s} {'x html':>8s} {'non-null cells/doc':>18s} "
          f"{'RSS parent MB':>13s} {'RSS reader MB':>13s}")
    for r in rows:
        ratio = f"{r['per_doc'] / base:8.1f}" if base else "       -"
        print(f"{r['kind']:6s} {r['docs']:4d} {r['rounds']:6d} {r['per_doc']:8.3f} {r['docs_per_s']:8.2f} {ratio} "
              f"{r['cells_per_doc']:18.1f} {r['rss_parent_mb']:13.0f} {r['rss_children_mb']:13.0f}")


if __name__ == "__main__":
    main()
