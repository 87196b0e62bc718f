"""Cross-report findings: one body's reports checked against each other, year after year.

Named in the spec's style (``x.`` = across reports) and stored like the arithmetic findings
(report_id, rule, detail). Each finding sits on the later report of the pair it compares.

- ``x.carried_over``  this year's ``t3.carried_over.<col>`` ≠ last year's ``t3.carried_next.<col>``
  (what was carried into next year must arrive there), per applicant column.
- ``x.prev_count``    2019 format: this year's ``t2.<item>.prev_count`` (上一年项目数量) ≠ last
  year's ``prev_count + change`` (its own year-end count), for items both years print.
- ``x.in_force``      2021 format: this year's ``t2.<kind>.in_force`` ≠ last year's ``in_force`` +
  this year's ``issued`` − ``repealed`` (a stock moves only by what is issued and repealed; the
  real 洪泽区 pair satisfies it exactly: 5 + 3 − 0 = 8).
- ``x.duplicate_year`` two different reports of one body for one year; the finding sits on the
  superseded one and names the current one. Renditions of one report (same bytes, a page and its
  attachment, identical cells) are not duplicates.
- ``x.missing_year``  no report for a year between two years that have one.
- ``x.jump``          a headline figure that grows or falls by more than a factor (see
  ``data/agencies/jump_checks.csv`` and :func:`jump_factors`).

Rules whose inputs are not all printed are skipped, as in ``extraction.rules``.
"""
from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extraction.rules import APPLICANTS

JUMP_CSV = Path(__file__).resolve().parent.parent / "data" / "agencies" / "jump_checks.csv"
PREV_COUNT_ITEMS = ("licensing", "other_services", "penalty", "coercion", "fees")
IN_FORCE_KINDS = ("regulations", "normative_docs")
#: pairs needed before the archive's own spread replaces the default factor of a family
ADAPTIVE_MIN_PAIRS = 30
#: Tukey's "far out" fence: Q3 + 3·IQR of the log ratios
FENCE_IQR = 3.0
#: an adaptive factor is never allowed below this (year-to-year doubling is ordinary)
MIN_FACTOR = 3.0

Number = int | float | None


@dataclass
class ReportData:
    """One report as cross-checks see it."""

    id: Any
    year: int | None
    format: str | None = None
    cells: Mapping[str, Number] = field(default_factory=dict)
    published: str | None = None
    sha256: str | None = None
    url: str | None = None
    attachment_of: str | None = None
    n_findings: int = 0
    #: the archive's status: ``gone`` when the portal no longer lists it
    status: str | None = None

    @property
    def n_cells(self) -> int:
        return sum(1 for v in self.cells.values() if v is not None)


@dataclass
class CrossFinding:
    report_id: Any
    rule: str
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    body_id: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class JumpCheck:
    code: str
    family: str
    factor: float
    min_value: float


@dataclass
class FamilyFactor:
    family: str
    factor: float
    source: str  # "default" | "archive"
    pairs: int  # consecutive-year value pairs seen for the family (one per checked code)
    default: float


def jump_checks() -> list[JumpCheck]:
    with JUMP_CSV.open(encoding="utf-8", newline="") as fh:
        return [JumpCheck(r["code"], r["family"], float(r["factor"]), float(r["min_value"]))
                for r in csv.DictReader(fh)]


# ---------------------------------------------------------------- editions and the current one
def _same_report(a: ReportData, b: ReportData) -> bool:
    if a.sha256 and a.sha256 == b.sha256:
        return True
    if a.attachment_of is not None and a.attachment_of in (b.url, b.id):
        return True
    if b.attachment_of is not None and b.attachment_of in (a.url, a.id):
        return True
    ca = {k: v for k, v in a.cells.items() if v is not None}
    cb = {k: v for k, v in b.cells.items() if v is not None}
    return bool(ca) and ca == cb


def editions(reports: list[ReportData]) -> list[list[ReportData]]:
    """Group one year's reports into distinct documents (renditions of one report together)."""
    out: list[list[ReportData]] = []
    for r in sorted(reports, key=lambda r: _idkey(r.id)):
        for ed in out:
            if any(_same_report(r, o) for o in ed):
                ed.append(r)
                break
        else:
            out.append([r])
    return out


def _idkey(i: Any) -> tuple[int, Any]:
    """Order ids numerically when they are numbers (10 after 9), else as text."""
    return (0, i) if isinstance(i, int) else (1, str(i))


def _rep(ed: list[ReportData]) -> ReportData:
    """The rendition of an edition whose cells are used: the most complete, then the page rather
    than its attachment, then the first stored (``max`` keeps the first of equals)."""
    return max(sorted(ed, key=lambda r: _idkey(r.id)),
               key=lambda r: (r.n_cells, -r.n_findings, r.attachment_of is None))


def choose_current(eds: list[list[ReportData]]) -> tuple[ReportData, str]:
    """The current report among different ones for a year: one still on the portal over one
    gone from it, then the latest published, then the most complete, then the one with fewer
    findings, then the newest row. Returns it and why."""
    reps = [_rep(e) for e in eds]
    best = max(reps, key=lambda r: (r.status != "gone", r.published or "", r.n_cells, -r.n_findings,
                                    _idkey(r.id)))
    others = [r for r in reps if r is not best]
    if best.status != "gone" and all(o.status == "gone" for o in others):
        why = "the others are gone from the portal"
    elif best.published and all((o.published or "") < best.published for o in others):
        why = f"published later ({best.published})"
    elif all(o.n_cells < best.n_cells for o in others):
        why = f"more cells printed ({best.n_cells})"
    elif all(o.n_findings > best.n_findings for o in others):
        why = f"fewer findings ({best.n_findings})"
    else:
        why = "tie; newest row"
    return best, why


# ---------------------------------------------------------------- jump factors
def _log_ratio(a: float, b: float) -> float:
    return math.log((abs(b) + 1) / (abs(a) + 1))


def jump_factors(pairs_by_family: Mapping[str, list[float]], checks: list[JumpCheck]) -> dict[str, FamilyFactor]:
    """Per family: the default factor, or, once the archive holds enough consecutive pairs, the
    far-out fence of the archive's own log ratios (never below :data:`MIN_FACTOR`)."""
    defaults: dict[str, float] = {}
    for c in checks:
        defaults.setdefault(c.family, c.factor)
    out = {}
    for fam, default in defaults.items():
        lrs = [abs(x) for x in pairs_by_family.get(fam, [])]
        if len(lrs) >= ADAPTIVE_MIN_PAIRS:
            q1, _, q3 = statistics.quantiles(lrs, n=4)
            factor = max(MIN_FACTOR, math.exp(q3 + FENCE_IQR * (q3 - q1)))
            out[fam] = FamilyFactor(fam, round(factor, 2), "archive", len(lrs), default)
        else:
            out[fam] = FamilyFactor(fam, default, "default", len(lrs), default)
    return out


# ---------------------------------------------------------------- checks of one consecutive pair
def _get(r: ReportData, code: str) -> Number:
    return r.cells.get(code)


def check_pair(prev: ReportData, cur: ReportData, factors: Mapping[str, FamilyFactor] | None = None,
               checks: list[JumpCheck] | None = None) -> list[CrossFinding]:
    """Findings for two consecutive years of one body (``cur.year == prev.year + 1``)."""
    out: list[CrossFinding] = []
    ref = {"prev_report": prev.id, "prev_year": prev.year}
    for col in APPLICANTS + ("total",):
        now, then = _get(cur, f"t3.carried_over.{col}"), _get(prev, f"t3.carried_next.{col}")
        if now is not None and then is not None and now != then:
            out.append(CrossFinding(cur.id, "x.carried_over",
                                    f"{col}: carried over {_fmt(now)} != last year's carried_next {_fmt(then)}",
                                    {"column": col, "this": now, "last": then, **ref}))
    for item in PREV_COUNT_ITEMS:
        now = _get(cur, f"t2.{item}.prev_count")
        p, ch = _get(prev, f"t2.{item}.prev_count"), _get(prev, f"t2.{item}.change")
        if None not in (now, p, ch) and now != p + ch:  # type: ignore[operator]
            out.append(CrossFinding(cur.id, "x.prev_count",
                                    f"{item}: prev_count {_fmt(now)} != last year's prev_count+change "
                                    f"{_fmt(p)}{ch:+g} = {_fmt(p + ch)}",  # type: ignore[operator]
                                    {"item": item, "this": now, "last": p + ch, **ref}))  # type: ignore[operator]
    for kind in IN_FORCE_KINDS:
        now, then = _get(cur, f"t2.{kind}.in_force"), _get(prev, f"t2.{kind}.in_force")
        iss, rep = _get(cur, f"t2.{kind}.issued"), _get(cur, f"t2.{kind}.repealed")
        if None not in (now, then, iss, rep) and now != then + iss - rep:  # type: ignore[operator]
            out.append(CrossFinding(cur.id, "x.in_force",
                                    f"{kind}: in force {_fmt(now)} != last year's {_fmt(then)} + issued "
                                    f"{_fmt(iss)} - repealed {_fmt(rep)} = {_fmt(then + iss - rep)}",  # type: ignore[operator]
                                    {"kind": kind, "this": now, "expected": then + iss - rep, **ref}))  # type: ignore[operator]
    checks = checks if checks is not None else jump_checks()
    factors = factors if factors is not None else jump_factors({}, checks)
    for c in checks:
        a, b = _get(prev, c.code), _get(cur, c.code)
        if a is None or b is None or max(abs(a), abs(b)) < c.min_value:
            continue
        f = factors[c.family].factor if c.family in factors else c.factor
        ratio = math.exp(abs(_log_ratio(a, b)))
        if ratio > f:
            way = "grew" if abs(b) > abs(a) else "fell"
            out.append(CrossFinding(cur.id, "x.jump",
                                    f"{c.code} {way} {ratio:.1f}x ({_fmt(a)} → {_fmt(b)}), over the {c.family} "
                                    f"factor {f:g}",
                                    {"code": c.code, "this": b, "last": a, "ratio": round(ratio, 2),
                                     "factor": f, **ref}))
    return out


def _fmt(v: Number) -> str:
    return "null" if v is None else f"{v:g}"


# ---------------------------------------------------------------- a whole body
@dataclass
class BodyCheck:
    body_id: str
    findings: list[CrossFinding]
    current: dict[int, Any]  # year → current report id
    missing: list[int]


def current_by_year(reports: Iterable[ReportData]) -> tuple[dict[int, ReportData], list[CrossFinding]]:
    """The current report of every year, and an ``x.duplicate_year`` finding per superseded one."""
    by_year: dict[int, list[ReportData]] = defaultdict(list)
    for r in reports:
        if r.year is not None:
            by_year[r.year].append(r)
    current: dict[int, ReportData] = {}
    found: list[CrossFinding] = []
    for year, rs in sorted(by_year.items()):
        eds = editions(rs)
        with_cells = [e for e in eds if any(r.n_cells for r in e)]
        # an edition without cells beside one with them is a rendition we could not read
        # (图片版 beside 超链版), not a second report
        contenders = with_cells if with_cells else eds
        best, why = choose_current(contenders)
        current[year] = best
        if len(contenders) < 2:
            continue
        for ed in contenders:
            rep = _rep(ed)
            if rep is best:
                continue
            diff = sorted(k for k in set(rep.cells) | set(best.cells) if rep.cells.get(k) != best.cells.get(k))
            found.append(CrossFinding(
                rep.id, "x.duplicate_year",
                f"{year}: {len(contenders)} different reports; current is report {best.id} ({why}); "
                f"{len(diff)} cells differ",
                {"current": best.id, "differing_cells": diff[:20], "n_differing": len(diff)}, year=year))
    return current, found


def check_body(body_id: str, reports: Iterable[ReportData],
               factors: Mapping[str, FamilyFactor] | None = None,
               checks: list[JumpCheck] | None = None) -> BodyCheck:
    current, found = current_by_year(reports)
    years = sorted(current)
    missing: list[int] = []
    for a, b in zip(years, years[1:]):
        gap = list(range(a + 1, b))
        missing += gap
        for y in gap:
            found.append(CrossFinding(current[b].id, "x.missing_year",
                                      f"no report for {y} (between {a} and {b})",
                                      {"missing_year": y, "before": a, "after": b}))
        if b == a + 1:
            found += check_pair(current[a], current[b], factors, checks)
    for f in found:
        f.body_id = body_id
        if f.year is None:
            f.year = next((y for y, r in current.items() if r.id == f.report_id), None)
    return BodyCheck(body_id, found, {y: r.id for y, r in current.items()}, missing)


def pair_log_ratios(bodies: Mapping[str, Iterable[ReportData]], checks: list[JumpCheck]) -> dict[str, list[float]]:
    """Every consecutive pair's log ratio per family, over the whole archive (for jump_factors)."""
    out: dict[str, list[float]] = defaultdict(list)
    for reports in bodies.values():
        current, _ = current_by_year(reports)
        for y, cur in current.items():
            prev = current.get(y - 1)
            if prev is None:
                continue
            for c in checks:
                a, b = _get(prev, c.code), _get(cur, c.code)
                if a is not None and b is not None and max(abs(a), abs(b)) >= c.min_value:
                    out[c.family].append(_log_ratio(a, b))
    return out


def check_all(bodies: Mapping[str, Iterable[ReportData]]) -> tuple[list[BodyCheck], dict[str, FamilyFactor]]:
    """Cross-check every body; the jump factors are first derived from the whole archive."""
    bodies = {k: list(v) for k, v in bodies.items()}
    checks = jump_checks()
    factors = jump_factors(pair_log_ratios(bodies, checks), checks)
    return [check_body(b, rs, factors, checks) for b, rs in sorted(bodies.items())], factors
