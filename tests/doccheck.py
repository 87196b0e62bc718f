"""Reader-level truth check: find each gold cell in a ``Document``'s tables by the official layout.

Why not the interpreter: these tests check that the *readers* keep the cell structure (a value in
the right row and column of the right table), independently of how labels are later mapped.
The locator knows only the official 2021 layout (row labels from the spec, fixed column order),
so a value shifted by one column, a lost row or a split table fails here.
"""
from __future__ import annotations

import re
import unicodedata

from extraction import spec
from extraction.document import Document, Table
from extraction.values import parse_value


def norm(text: str | None) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\W_]+", "", t)


def _grid_texts(table: Table) -> list[list[str]]:
    return [[c.text if c is not None else "" for c in row] for row in table.grid()]


def find_tables(doc: Document) -> dict[int, Table]:
    out: dict[int, Table] = {}
    for t in doc.tables():
        g = _grid_texts(t)
        width = len(g[0]) if g else 0
        flat = {norm(x) for row in g for x in row}
        if "规章" in flat and 2 not in out:
            out[2] = t
        elif width == 10 and any("申请人情况" in x for x in flat) and 3 not in out:
            out[3] = t
        elif width == 15 and any("行政复议" in x for x in flat) and 4 not in out:
            out[4] = t
    return out


def locate(doc: Document, fmt: str = "2021", gold_cells: dict | None = None) -> dict[str, str]:
    """code -> raw text found at that code's place in the document's tables."""
    tables = find_tables(doc)
    found: dict[str, str] = {}
    if 2 in tables:
        g = _grid_texts(tables[2])
        rows = {norm(r[0]): r for r in g}
        for c in spec.cells(fmt):
            if c.table != 2:
                continue
            r = rows.get(norm(c.row_label))
            if r is None:
                continue
            if c.code.startswith(("t2.regulations.", "t2.normative_docs.")):
                i = ["issued", "repealed", "in_force"].index(c.column) + 1
            else:
                i = 1
            found[c.code] = r[i]
    if 3 in tables:
        # positional: the k-th data row under the 3 header rows is the k-th row of the layout
        # (hybrid aware), so a misprinted label does not matter but a lost/shifted row does
        from docgen import table3_row_specs
        g = _grid_texts(tables[3])
        data = [r for r in g[3:] if len(r) >= 8]
        specs = table3_row_specs(gold_cells or {}, fmt)
        for (row, _levels), r in zip(specs, data):
            for i, col in enumerate(spec.APPLICANT_COLUMNS):
                found[f"{row}.{col}"] = r[-7 + i]
    if 4 in tables:
        g = _grid_texts(tables[4])
        data = [r for r in g if sum(1 for x in r if re.fullmatch(r"\d+", norm(x))) >= 10]
        if data:
            r = data[-1]
            i = 0
            for group in spec.REVIEW_GROUPS:
                for col in spec.REVIEW_COLUMNS:
                    found[f"t4.{group}.{col}"] = r[i]
                    i += 1
    return found


def compare(doc: Document, gold: dict) -> tuple[int, list[tuple[str, object, object]]]:
    """(number of gold cells checked, [(code, gold, got)] mismatches) for non-null gold cells."""
    fmt = gold["meta"]["format"]
    found = locate(doc, fmt, gold["cells"])
    kinds = {c.code: c.kind for c in spec.cells(fmt, include_optional=True)}
    checked = 0
    wrong = []
    for code, value in gold["cells"].items():
        if value is None:
            continue
        checked += 1
        raw = found.get(code)
        got = parse_value(kinds[code], raw, "万元" if code == "t2.fees.amount" else None).value if raw is not None else "MISSING"
        if got is None or got == "MISSING" or abs(float(got) - float(value)) > 1e-6:
            wrong.append((code, value, raw if raw is not None else "MISSING"))
    return checked, wrong


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) < 1e-6
    except (TypeError, ValueError):
        return False


def extract_wrong(result, gold: dict) -> list[tuple[str, object, object]]:
    """Cells where ``extract()`` (reader + interpreter) disagrees with gold, nulls included."""
    return [(c, v, result.cells.get(c, "MISSING")) for c, v in gold["cells"].items()
            if not (c in result.cells and same(result.cells[c], v))]
