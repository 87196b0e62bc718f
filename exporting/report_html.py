"""A static HTML summary of an archive with charts drawn as inline SVG (no scripts, no CDN).

Why inline SVG from our own code: the page must open anywhere — mailed, on an intranet without
internet, years later — and show the same thing. Three charts answer the questions people ask
first: how were applications handled each year, which bodies receive the most, which rules do
reports break. Every figure is one aggregate SQL query over the archive, with the export filters.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

from extraction import spec

from .base import atomic_file, output_file
from .query import Archive
from .text import text

PALETTE = ("#2f6f9f", "#7fb3d5", "#c0392b", "#e67e22", "#8e44ad", "#95a5a6", "#27ae60", "#f1c40f")
FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
#: table-3 outcome groups in printed order (the second level of their row codes)
OUTCOME_GROUPS = ("granted", "partial", "denied", "unable", "not_processed", "other")


@dataclass
class Series:
    label: str
    values: list[float]


def outcome_labels() -> dict[str, str]:
    """Group code -> short official label (``（三）不予公开`` -> ``不予公开``), from cells.csv."""
    out: dict[str, str] = {}
    for c in spec.cells("2021", include_optional=True):
        group = c.row.split(".")[1] if c.table == 3 else None
        if group in OUTCOME_GROUPS and group not in out:
            level = c.row_label.split("/")[1] if "/" in c.row_label else c.row_label
            level = re.sub(r"^（[一二三四五六七八九十]+）", "", level)
            out[group] = re.sub(r"（[^）]*）$", "", level).strip()
    return out


# ---------------------------------------------------------------------------- queries
def _where(archive: Archive, extra: str = "") -> tuple[str, list]:
    return archive.where_sql(extra)


def outcomes_by_year(archive: Archive) -> tuple[list[int], list[Series]]:
    where, params = _where(archive, "c.code GLOB 't3.*.total' AND r.report_year IS NOT NULL")
    rows = archive.conn.execute(
        "SELECT r.report_year, c.code, sum(c.value) FROM reports r JOIN cells c ON c.report_id = r.id"
        f"{where} GROUP BY r.report_year, c.code", params).fetchall()
    years = sorted({int(y) for y, _, _ in rows})
    totals = {g: [0.0] * len(years) for g in OUTCOME_GROUPS}
    index = {y: i for i, y in enumerate(years)}
    for year, code, value in rows:
        group = code.split(".")[1]
        if group in totals and value is not None:
            totals[group][index[int(year)]] += value
    names = outcome_labels()
    return years, [Series(names.get(g, g), totals[g]) for g in OUTCOME_GROUPS]


def top_bodies(archive: Archive, limit: int = 15) -> list[tuple[str, float]]:
    where, params = _where(archive, "c.code = 't3.new.total'")
    return [(a or text("report_unknown"), v or 0) for a, v in archive.conn.execute(
        "SELECT r.agency, sum(c.value) AS n FROM reports r JOIN cells c ON c.report_id = r.id"
        f"{where} GROUP BY r.agency ORDER BY n DESC, r.agency LIMIT ?", [*params, limit])]


def findings_by_rule(archive: Archive, limit: int = 20) -> list[tuple[str, float]]:
    where, params = _where(archive)
    return list(archive.conn.execute(
        f"SELECT f.rule, count(*) AS n FROM reports r JOIN findings f ON f.report_id = r.id{where} "
        "GROUP BY f.rule ORDER BY n DESC, f.rule LIMIT ?", [*params, limit]))


def reports_by_year_format(archive: Archive) -> list[tuple[int | None, str, int]]:
    where, params = _where(archive)
    return list(archive.conn.execute(
        f"SELECT r.report_year, r.format, count(*) FROM reports r{where} "
        "GROUP BY r.report_year, r.format ORDER BY r.report_year, r.format", params))


def totals(archive: Archive) -> dict[str, int]:
    where, params = _where(archive)
    reports, bodies, years = archive.conn.execute(
        f"SELECT count(*), count(DISTINCT r.agency), count(DISTINCT r.report_year) FROM reports r{where}",
        params).fetchone()
    cells = archive.count_cells()
    findings = archive.conn.execute(
        f"SELECT count(*) FROM reports r JOIN findings f ON f.report_id = r.id{where}", params).fetchone()[0]
    return {"reports": reports, "bodies": bodies, "years": years, "cells": cells, "findings": findings}


# ---------------------------------------------------------------------------- SVG
def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _fmt(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1
    exp = 10 ** (len(str(int(v))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * exp:
            return step * exp
    return 10 * exp


def stacked_bars(categories: list[object], series: list[Series], width: int = 860, height: int = 380) -> str:
    """Vertical stacked bars, one per category, with a y axis and a legend."""
    left, right, top, bottom = 70, 170, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    sums = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ymax = _nice_max(max(sums, default=0))
    band = plot_w / max(len(categories), 1)
    bar = min(band * 0.7, 80)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">']
    for k in range(6):
        v = ymax * k / 5
        y = top + plot_h - plot_h * k / 5
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_fmt(v)}</text>')
    for i, cat in enumerate(categories):
        x = left + band * i + (band - bar) / 2
        y = top + plot_h
        for j, s in enumerate(series):
            v = s.values[i]
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE[j % len(PALETTE)]}"><title>{_e(cat)} {_e(s.label)}: {_fmt(v)}</title></rect>')
        out.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="#333">{_fmt(sums[i])}</text>'
                   f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="#333">{_e(cat)}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#333"/>')
    for j, s in enumerate(series):
        y = top + 10 + j * 22
        out.append(f'<rect x="{width - right + 20}" y="{y - 10}" width="14" height="14" fill="{PALETTE[j % len(PALETTE)]}"/>'
                   f'<text x="{width - right + 40}" y="{y + 2}" fill="#333">{_e(s.label)}</text>')
    out.append("</svg>")
    return "".join(out)


def horizontal_bars(items: list[tuple[str, float]], width: int = 860, color: str = PALETTE[0]) -> str:
    """Horizontal bars with labels on the left and values at the bar ends."""
    row, top = 24, 10
    label_w = 300
    plot_w = width - label_w - 80
    height = top * 2 + row * max(len(items), 1)
    vmax = max((v for _, v in items), default=0) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12">']
    for i, (label, v) in enumerate(items):
        y = top + i * row
        w = plot_w * v / vmax
        shown = label if len(label) <= 24 else label[:23] + "…"
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="#333">{_e(shown)}<title>{_e(label)}</title></text>'
                   f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}"/>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" fill="#333">{_fmt(v)}</text>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------- page
CSS = f"""
body {{ font-family: {FONT}; margin: 2em auto; max-width: 920px; color: #222; line-height: 1.5; }}
h1 {{ font-size: 1.6em; margin-bottom: .2em; }} h2 {{ font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }}
.en {{ color: #666; font-weight: normal; font-size: .8em; }} .note {{ color: #666; font-size: .9em; }}
.kpis {{ display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }}
.kpi {{ border: 1px solid #ddd; border-radius: 6px; padding: .6em 1em; min-width: 7em; }}
.kpi b {{ display: block; font-size: 1.5em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ddd; padding: .2em .6em; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
"""


def _heading(key: str) -> str:
    return f'<h2>{_e(text(key))} <span class="en">{_e(text(key, "en"))}</span></h2>'


def render(archive: Archive, source: str = "") -> str:
    t = totals(archive)
    years, series = outcomes_by_year(archive)
    bodies = top_bodies(archive)
    rules = findings_by_rule(archive)
    by_year = reports_by_year_format(archive)
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(text('report_title'))}</title><style>{CSS}</style></head><body>",
        f'<h1>{_e(text("report_title"))}</h1><div class="en">{_e(text("report_title", "en"))}</div>',
        f'<p class="note">{_e(text("report_generated"))}: '
        f'{dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")} · {_e(text("report_source"))}: {_e(source)}',
    ]
    if archive.filter.describe():
        parts.append(f' · {_e(text("report_filter"))}: {_e(archive.filter.describe())}')
    parts.append('</p><div class="kpis">')
    for key in ("reports", "bodies", "years", "cells", "findings"):
        parts.append(f'<div class="kpi"><b>{t[key]:,}</b>{_e(text("report_" + key))}'
                     f' <span class="en">{_e(text("report_" + key, "en"))}</span></div>')
    parts.append("</div>")

    parts.append(_heading("report_outcomes"))
    parts.append(f'<p class="note">{_e(text("report_outcomes_note"))} · {_e(text("report_outcomes_note", "en"))}</p>')
    parts.append(stacked_bars(years, series) if years else f"<p>{_e(text('report_empty'))}</p>")

    parts.append(_heading("report_top_bodies"))
    parts.append(f'<p class="note">{_e(text("report_top_bodies_note"))} · {_e(text("report_top_bodies_note", "en"))}</p>')
    parts.append(horizontal_bars(bodies) if bodies else f"<p>{_e(text('report_empty'))}</p>")

    parts.append(_heading("report_findings_by_rule"))
    parts.append(f'<p class="note">{_e(text("report_findings_note"))} · {_e(text("report_findings_note", "en"))}</p>')
    parts.append(horizontal_bars([(r, float(n)) for r, n in rules], color=PALETTE[2])
                 if rules else f"<p>{_e(text('report_empty'))}</p>")

    parts.append(_heading("report_by_year"))
    unknown = text("report_unknown")
    formats = sorted({f or unknown for _, f, _ in by_year})
    grid: dict[object, dict[str, int]] = {}
    for y, f, n in sorted(by_year, key=lambda r: (r[0] is None, r[0] or 0, r[1] or "")):
        grid.setdefault(y if y is not None else unknown, {})[f or unknown] = n
    parts.append("<table><tr><th></th>" + "".join(f"<th>{_e(f)}</th>" for f in formats) + "</tr>")
    for y, counts in grid.items():
        parts.append(f"<tr><td>{_e(y)}</td>" + "".join(f"<td>{counts.get(f, 0):,}</td>" for f in formats) + "</tr>")
    parts.append("</table></body></html>")
    return "".join(parts)


def write(archive: Archive, out: str | Path, source: str = "") -> Path:
    target = output_file(out, "nianbao-report.html")
    with atomic_file(target) as tmp:
        tmp.write_text(render(archive, source), encoding="utf-8")
    return target
