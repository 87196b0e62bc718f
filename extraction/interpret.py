"""The interpreter: ``Document`` → format, meta, cells, raw, findings.

Steps, each in its own module:
1. ``layout.rows_of``: every table row and text line as label cells + value cells;
2. ``meta.extract_meta``: title, report_year, agency, 索引号, 发布机构, date;
3. ``layout.assign_sections``: which statutory table each row belongs to;
4. ``detect.detect``: the format, from the labels (years only break ties);
5. ``tables.read_t2/t3/t4``: printed text per cell code, by label and by order;
6. ``values.parse_value`` by kind, then ``rules.check`` on the printed numbers (never fixed).
"""
from __future__ import annotations

from . import detect as detect_mod
from . import labels, rules, spec
from .document import Document
from .layout import MAX_ROWS, Row, annotated_number, assign_sections, is_blank, rows_of
from .meta import extract_meta
from .result import ExtractionResult
from .tables import TableRead, read_t2, read_t3, read_t4
from .values import parse_value


def _full_text(doc: Document) -> str:
    return labels.squash("\n".join(doc.lines()))


def _read(rows: list[Row], fmt: str) -> TableRead:
    notes = assign_sections(rows, fmt)
    out = TableRead()
    for note in notes:
        out.add("duplicate_table", note)
    read_t2([r for r in rows if r.section == "t2"], fmt, out)
    read_t3([r for r in rows if r.section == "t3"], fmt, out)
    read_t4([r for r in rows if r.section == "t4"], fmt, out)
    return out


def interpret(doc: Document) -> ExtractionResult:
    result = ExtractionResult("unknown")
    result.findings.extend(doc.findings)
    rows = rows_of(doc)
    if len(rows) >= MAX_ROWS and not any(f.rule == "document_truncated" for f in result.findings):
        result.add("document_truncated", f"only the first {MAX_ROWS} lines/rows were interpreted")
    meta = extract_meta(doc)
    title_line = meta.pop("_title_line", None)
    result.meta = {k: v for k, v in meta.items() if v is not None or k in ("agency", "report_year", "title")}
    full = _full_text(doc)
    year = meta.get("report_year")
    # a first pass without a format tells whether table 3 holds numbers at all
    probe_fmt = detect_mod.guess_format(full, year)
    probe = _read(rows, probe_fmt)
    # printed numbers, not just table-3 rows: the blank template inside a format notice has the rows
    has_numbers = any(k.startswith("t3.") and (parse_value("count", v).value is not None
                                               or annotated_number(v) is not None)
                      for k, v in probe.raw.items())
    det = detect_mod.detect(full, meta.get("title"), year, has_numbers, title_line=title_line)
    result.format = det.format
    if det.format not in spec.FORMATS:
        if det.format == "pre2019":
            result.add("pre2019", det.reason)
        elif det.format == "not_a_report":
            result.add("not_a_report", det.reason)
        return result
    fmt = det.format
    if "labels ambiguous" in det.reason:
        result.add("format_by_year", det.reason)
    if year is not None and ((fmt == "2021") != (year >= 2021)):
        result.add("format_year_mismatch", f"report year {year} printed in the {fmt} layout")
    read = probe if fmt == probe_fmt else _read(rows, fmt)
    result.findings.extend(read.findings)
    unit_default = "万元" if fmt == "2021" else None
    missing: list[str] = []
    for c in spec.cells(fmt, include_optional=read.hybrid):
        if read.hybrid and c.row.startswith("t3.other.") and c.code.count(".") == 3:
            result.cells[c.code] = None
            continue
        text = read.raw.get(c.code)
        if text is None:
            result.cells[c.code] = None
            missing.append(c.code)
            continue
        unit = read.units.get(c.code) or unit_default
        parsed = parse_value(c.kind, text, unit)
        if parsed.value is None and annotated_number(text) is not None:
            parsed = parse_value(c.kind, annotated_number(text), unit)
            result.add("value_annotated", f"{c.code}: {text!r} read as its leading number", code=c.code)
        result.cells[c.code] = parsed.value
        result.raw[c.code] = text
        if doc.provenance != "text":
            result.provenance[c.code] = doc.provenance
        for note in parsed.notes:
            result.add(note, f"{c.code}: {text!r} has no unit and its header names none; taken as 万元",
                       code=c.code)
        if parsed.value is None and text.strip() and not is_blank(text):
            result.add("value_unreadable", f"{c.code}: {text!r} is not a number", code=c.code)
    if missing:
        if len(missing) == len(spec.cells(fmt)):
            result.add("tables_not_found", "no statutory table could be read")
        else:
            result.add("missing_cell", f"{len(missing)} cells not found: {', '.join(missing[:30])}"
                       + (" …" if len(missing) > 30 else ""), codes=missing)
    result.findings.extend(rules.check(result.cells))
    return result
