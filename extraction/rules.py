"""The arithmetic rules (勾稽关系) of the statutory tables.

One module, used by extraction (findings on every report), tests and exports alike. A broken
rule is recorded, never "fixed": the printed numbers are the data.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from .findings import Finding

APPLICANTS = ("natural", "commercial", "research", "social", "legal", "other_org")
T4_OUTCOMES = ("upheld", "corrected", "other", "pending")
T4_GROUPS = ("review", "litigation_direct", "litigation_after_review")
_NON_OUTCOME_ROWS = ("t3.new", "t3.carried_over", "t3.total", "t3.carried_next")

Number = int | float | None


def _outcome_rows(cells: Mapping[str, Number]) -> list[str]:
    rows = sorted({k.rsplit(".", 1)[0] for k in cells if k.startswith("t3.")})
    parts = [r for r in rows if r not in _NON_OUTCOME_ROWS]
    # 2021 prints （六）其他处理 as three sub-rows; hybrid layouts print it as one row (t3.other).
    sub = [r for r in parts if r.startswith("t3.other.")]
    if any(cells.get(f"{r}.total") is not None for r in sub):
        return [r for r in parts if r != "t3.other"]
    return [r for r in parts if r not in sub]


def check(cells: Mapping[str, Number]) -> Iterator[Finding]:
    """Yield one finding per broken rule. Rules whose inputs are not all printed are skipped."""
    rows = sorted({k.rsplit(".", 1)[0] for k in cells if k.startswith("t3.")})
    for r in rows:
        vals = [cells.get(f"{r}.{col}") for col in APPLICANTS]
        tot = cells.get(f"{r}.total")
        if None not in vals and tot is not None and sum(vals) != tot:  # type: ignore[arg-type]
            yield Finding("t3.row_total", f"{r}: {vals} sum {sum(vals)} != total {tot}",  # type: ignore[arg-type]
                          {"row": r})
    parts = _outcome_rows(cells)
    for col in APPLICANTS + ("total",):
        def g(r: str) -> Number:
            return cells.get(f"{r}.{col}")
        new, over, tot, nxt = g("t3.new"), g("t3.carried_over"), g("t3.total"), g("t3.carried_next")
        if None in (new, over, tot, nxt):
            continue
        if new + over != tot + nxt:  # type: ignore[operator]
            yield Finding("t3.balance", f"{col}: new+carried_over {new + over} != total+carried_next {tot + nxt}",  # type: ignore[operator]
                          {"column": col})
        pv = [g(r) for r in parts]
        if parts and None not in pv and sum(pv) != tot:  # type: ignore[arg-type]
            yield Finding("t3.outcome_sum", f"{col}: outcomes sum {sum(pv)} != total {tot}",  # type: ignore[arg-type]
                          {"column": col})
    for grp in T4_GROUPS:
        vals = [cells.get(f"t4.{grp}.{o}") for o in T4_OUTCOMES]
        tot = cells.get(f"t4.{grp}.total")
        if None not in vals and tot is not None and sum(vals) != tot:  # type: ignore[arg-type]
            yield Finding("t4.total", f"{grp}: {vals} sum {sum(vals)} != total {tot}", {"group": grp})  # type: ignore[arg-type]
