"""The three statutory tables: rows (from ``layout``) → printed text per cell code.

Why label *and* order: a row is identified by its label when the label survived, and by its
place in the official order when it did not (shattered PDF-to-markdown tables, OCR). Table 3 is
aligned to the official row list with a small dynamic programme, so one lost or garbled label
costs one guess, not a shifted table; every guess and every disagreement becomes a finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import labels, spec
from .findings import Finding
from .layout import Row, is_blank, looks_numeric

T3_WIDTH = 7
T4_WIDTH = 15


@dataclass
class TableRead:
    #: code -> text as printed
    raw: dict[str, str] = field(default_factory=dict)
    #: code -> unit named by the column header ("万元", "元") for amounts
    units: dict[str, str | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    hybrid: bool = False

    def add(self, rule: str, detail: str, **data) -> None:
        self.findings.append(Finding(rule, detail, data))

    def keep_first(self, code: str, text: str, unit: str | None) -> None:
        """Store a table-2 cell; a cell already read keeps its first value (a table printed
        twice is a finding, not a silent overwrite)."""
        if code in self.raw:
            self.add("duplicate_table", f"{code} printed twice; first kept", code=code)
            return
        self.raw[code] = text
        self.units[code] = unit


# ------------------------------------------------------------------------------------------ t2

def _header_cols(r: Row) -> list[tuple[str, str]]:
    """Column codes a header row names, with the header text: [("issued", "本年制发件数"), ...]."""
    out: list[tuple[str, str]] = []
    for text in r.labels:
        cand = labels.best(labels.match(text, None, "col."))
        if len(cand) == 1:
            out.append((next(iter(cand)).split(".", 1)[1], text))
    return out


def _unit(text: str) -> str | None:
    t = labels.squash(text)
    if "万元" in t:
        return "万元"
    if "元" in t:
        return "元"
    return None


def read_t2(rows: list[Row], fmt: str, out: TableRead) -> None:
    row_cols: dict[str, list[str]] = {}
    for c in spec.cells(fmt):
        if c.table == 2:
            row_cols.setdefault(c.row, []).append(c.column)
    hdr: list[tuple[str, str]] = []
    last_was_data = True
    orphans: list[str] = []
    unmatched: list[str] = []
    #: row codes a header row names (信息内容 | 规章 | 行政规范性文件): item (一) printed transposed
    hdr_rows: list[str] = []
    for r in rows:
        if not r.numeric and len(r.labels) >= 3:
            named = [_single(labels.match(t, fmt, "t2."), row_cols) for t in r.labels[1:]]
            if all(named):
                hdr_rows = named  # type: ignore[assignment]
                continue
        if r.numeric and hdr_rows and r.labels and _transposed_t2_row(r, hdr_rows, row_cols, out):
            continue
        code = None
        if r.labels:
            cand = labels.best(labels.match(r.labels[-1], fmt, "t2."))
            if not cand and len(r.labels) > 1:
                cand = labels.best(labels.match("".join(r.labels), fmt, "t2."))
            cand &= set(row_cols)
            if len(cand) == 1:
                code = next(iter(cand))
        if code is None or not r.values:
            if not r.numeric:
                cols = _header_cols(r)
                if last_was_data:
                    hdr = []
                hdr.extend(cols)
                last_was_data = False
            elif code is None:
                # a number printed away from its row (a multi-line cell pulled out of the table)
                orphans.extend(v for v in r.values if looks_numeric(v))
                if r.labels and r.source == "table":
                    unmatched.append("/".join(r.labels))
            continue
        last_was_data = True
        official = row_cols[code]
        vals = list(r.values)
        while len(vals) > len(official) and is_blank(vals[-1]):
            vals.pop()
        while len(vals) > len(official) and is_blank(vals[0]):
            vals.pop(0)
        if len(vals) > len(official):
            out.add("row_shape", f"{code}: {len(vals)} values for {len(official)} columns; extra ignored",
                    row=code)
            vals = vals[: len(official)]
        hcols = [(c, t) for c, t in hdr if c in official]
        hcols = list({c: (c, t) for c, t in hcols}.values())
        if len(vals) == len(official):
            mapping = official
            if len(hcols) == len(vals) and [c for c, _ in hcols] != official:
                mapping = [c for c, _ in hcols]
                out.add("column_order", f"{code}: columns read in header order {mapping}", row=code)
        elif len(hcols) == len(vals):
            mapping = [c for c, _ in hcols]
        elif orphans and len(vals) + 1 == len(official) and len(official) >= 2:
            # the multi-line cell left the row; official order with the loose number put back
            # before the last column (现行有效/总数 stay last and are printed in the row)
            vals.insert(len(official) - 2, orphans.pop(0))
            mapping = official
            out.add("value_displaced", f"{code}: a value printed outside the row was put back by order",
                    row=code)
        else:
            mapping = official[: len(vals)]
            out.add("row_incomplete", f"{code}: {len(vals)} values for {len(official)} columns; read in order",
                    row=code)
        units = {c: _unit(t) for c, t in hdr}
        for col, text in zip(mapping, vals):
            out.keep_first(f"{code}.{col}", text, units.get(col))
    if unmatched:
        out.add("label_unmatched", f"table-2 rows with numbers but no statutory label: {unmatched[:10]}",
                rows=unmatched[:10])


def _single(scores: dict[str, float], row_cols: dict[str, list[str]]) -> str | None:
    cand = labels.best(scores) & set(row_cols)
    return next(iter(cand)) if len(cand) == 1 else None


def _transposed_t2_row(r: Row, hdr_rows: list[str], row_cols: dict[str, list[str]], out: TableRead) -> bool:
    """A row labelled by a column heading (本年制发件数 | 1 | 8) under a header naming the rows."""
    cand = labels.best(labels.match(r.labels[-1], None, "col."))
    if len(cand) != 1:
        return False
    col = next(iter(cand)).split(".", 1)[1]
    vals = list(r.values)
    while len(vals) > len(hdr_rows) and is_blank(vals[-1]):
        vals.pop()
    if len(vals) != len(hdr_rows) or not all(col in row_cols[c] for c in hdr_rows):
        return False
    if not any(f.rule == "t2_transposed" for f in out.findings):
        out.add("t2_transposed", f"table 2 prints {', '.join(hdr_rows)} as columns; read by its labels")
    for code, text in zip(hdr_rows, vals):
        out.keep_first(f"{code}.{col}", text, _unit(r.labels[-1]))
    return True


# ------------------------------------------------------------------------------------------ t3

#: reduced table-3 layouts some 2019 reports used (参照统一格式): width -> applicant columns
#: (None = a printed column with no statutory cell, e.g. the 法人或其他组织 subtotal)
REDUCED_T3: dict[int, tuple[str | None, ...]] = {3: ("natural", None, "total")}


def _t3_values(r: Row, width: int = T3_WIDTH) -> list[str] | None:
    vals = list(r.values)
    while len(vals) > width and is_blank(vals[-1]):
        vals.pop()
    while len(vals) > width and is_blank(vals[0]):
        vals.pop(0)
    return vals if len(vals) == width else None


def _t3_width(rows: list[Row]) -> int:
    """7 (the statutory applicant columns) unless the rows consistently print a reduced layout."""
    widths: dict[int, int] = {}
    for r in rows:
        if r.numeric:
            w = len(r.values)
            if w > T3_WIDTH:  # blank padding cells at the ends are layout, not columns
                vals = list(r.values)
                while len(vals) > T3_WIDTH and is_blank(vals[-1]):
                    vals.pop()
                while len(vals) > T3_WIDTH and is_blank(vals[0]):
                    vals.pop(0)
                w = len(vals)
            widths[w] = widths.get(w, 0) + 1
    full = sum(n for w, n in widths.items() if w >= T3_WIDTH)
    for w in REDUCED_T3:
        if widths.get(w, 0) >= 5 and full == 0:
            return w
    if widths.get(T3_WIDTH + 1, 0) >= 5 and widths.get(T3_WIDTH, 0) == 0:
        return T3_WIDTH + 1  # 法人或其他组织 with a 小计 column of its own
    return T3_WIDTH


def _subtotal_layout(rows: list[Row]) -> tuple[str | None, ...]:
    """Eight applicant columns: where the 法人或其他组织 subtotal sits, from the numbers (the
    column that is the sum of the five organisation columns), after 其他 or before 商业企业."""
    nat, orgs = spec.APPLICANT_COLUMNS[0], spec.APPLICANT_COLUMNS[1:6]
    after = (nat, *orgs, None, "total")
    before = (nat, None, *orgs, "total")
    votes = {after: 0, before: 0}
    for r in rows:
        if len(r.values) != T3_WIDTH + 1 or not all(looks_numeric(v) for v in r.values):
            continue
        try:
            n = [float(labels.nfkc(v).replace(",", "").rstrip("件")) for v in r.values]
        except ValueError:
            continue
        votes[after] += abs(n[6] - sum(n[1:6])) < 1e-6
        votes[before] += abs(n[1] - sum(n[2:7])) < 1e-6
    return before if votes[before] > votes[after] else after


def _split_multi_rows(rows: list[Row], out: TableRead) -> list[Row]:
    """A text row holding the numbers of several table-3 rows (flattened text that lost the line
    breaks, or labels printed apart from their numbers) is cut into rows of seven, in order."""
    res: list[Row] = []
    for r in rows:
        n = len(r.values)
        if r.source == "line" and n > T3_WIDTH and n % T3_WIDTH == 0 and all(
                looks_numeric(v) for v in r.values):
            k = n // T3_WIDTH
            out.add("row_split", f"{n} numbers after {'/'.join(r.labels) or '(no label)'!r} read as {k} "
                    "rows of seven, in printed order")
            for i in range(k):
                res.append(Row(r.labels if i == 0 else [], r.values[i * T3_WIDTH:(i + 1) * T3_WIDTH],
                               r.source, r.origin, r.before if i == 0 else []))
        else:
            res.append(r)
    return res


def _t3_candidates(r: Row, fmt: str) -> dict[str, float]:
    """Score row codes by the row's own label (weighted) and its group/context labels."""
    scores: dict[str, float] = {}
    if r.labels:
        for code, s in labels.match(r.labels[-1], fmt, "t3.").items():
            scores[code] = scores.get(code, 0.0) + 2 * s
        for text in r.labels[:-1]:
            for code, s in labels.match(text, fmt, "t3.").items():
                scores[code] = scores.get(code, 0.0) + s
        joined = "".join(r.labels)
        if not scores and len(r.labels) > 1:
            scores = {c: 2 * s for c, s in labels.match(joined, fmt, "t3.").items()}
    if not scores and r.before and r.source == "line":
        # a label wrapped over lines in flattened text: the fragments right before
        scores = {c: 1.5 * s for c, s in labels.match("".join(r.before[-2:] + r.labels), fmt, "t3.").items()}
    return scores


def _align(expected: list[str], obs: list[dict[str, float]]) -> tuple[float, list[tuple[int, int]]]:
    """Monotone alignment of observed rows to expected codes (Needleman-Wunsch style)."""
    n, m = len(expected), len(obs)
    NEG = -1e9
    best_set = [labels.best(o) for o in obs]
    def pair(i: int, j: int) -> float:
        if not obs[j]:
            return 1.0
        if expected[i] in best_set[j]:
            return 3.0
        if expected[i] in obs[j]:
            return 1.5
        return -3.0
    skip_e, skip_o = -2.0, -2.0
    dp = [[NEG] * (m + 1) for _ in range(n + 1)]
    bt = [[0] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            best, how = NEG, 0
            if i > 0 and j > 0 and dp[i - 1][j - 1] > NEG:
                v = dp[i - 1][j - 1] + pair(i - 1, j - 1)
                if v > best:
                    best, how = v, 1
            if i > 0 and dp[i - 1][j] > NEG:
                v = dp[i - 1][j] + skip_e
                if v > best:
                    best, how = v, 2
            if j > 0 and dp[i][j - 1] > NEG:
                v = dp[i][j - 1] + (skip_o if obs[j - 1] else -1.0)
                if v > best:
                    best, how = v, 3
            dp[i][j], bt[i][j] = best, how
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 or j > 0:
        how = bt[i][j]
        if how == 1:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == 2:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return dp[n][m], pairs


def read_t3(rows: list[Row], fmt: str, out: TableRead) -> None:
    data: list[tuple[Row, list[str], dict[str, float]]] = []
    rows = _split_multi_rows(rows, out)
    width = _t3_width(rows)
    if width == T3_WIDTH + 1:
        columns: tuple[str | None, ...] = _subtotal_layout(rows)
        out.add("t3_subtotal_column", "table 3 prints a 法人或其他组织 subtotal column; it is not a statutory cell")
    else:
        columns = spec.APPLICANT_COLUMNS if width == T3_WIDTH else REDUCED_T3[width]
    if width < T3_WIDTH:
        out.add("t3_columns_reduced", f"table 3 prints {width} applicant columns; only "
                f"{', '.join(c for c in columns if c)} are statutory cells")
    for r in rows:
        vals = _t3_values(r, width)
        cand = _t3_candidates(r, fmt)
        if vals is None:
            if r.numeric and cand and max(cand.values()) >= 1.8:
                out.add("row_shape", f"row {'/'.join(r.labels)!r} has {len(r.values)} values, not {width}; skipped")
            continue
        if not any(looks_numeric(v) for v in vals) and not cand:
            continue
        data.append((r, vals, cand))
    if not data:
        return
    all_rows = list(spec.rows(fmt, 3, include_optional=True))
    variants: list[tuple[str, list[str]]] = []
    if fmt == "2021":
        variants.append(("full", [x for x in all_rows if x != "t3.other"]))
        if any("t3.other" in c for _, _, c in data):  # a printed single （六） row, maybe hybrid
            variants.append(("hybrid", [x for x in all_rows if not x.startswith("t3.other.")]))
    else:
        variants.append(("full", all_rows))
    obs = [c for _, _, c in data]
    scored = [(_align(exp, obs), name, exp) for name, exp in variants]
    scored.sort(key=lambda s: -s[0][0])
    (score, pairs), name, expected = scored[0]
    if name == "hybrid" and not any(expected[i] == "t3.other" and "t3.other" in data[j][2] for i, j in pairs):
        # no printed row says （六）其他处理: the section is missing, not merged
        (score, pairs), name, expected = next(s for s in scored if s[1] == "full")
    if name == "hybrid":
        out.hybrid = True
        out.add("layout_hybrid", "（六）其他处理 printed as one row without the 2021 sub-rows; stored in t3.other.*")
    unlabelled: list[str] = []
    used = set()
    for i, j in pairs:
        code = expected[i]
        r, vals, cand = data[j]
        used.add(j)
        if not cand:
            unlabelled.append(code)
        elif code not in cand:
            out.add("label_position_conflict",
                    f"row labelled {'/'.join(r.labels)!r} sits where {code} belongs; read as {code}", row=code)
        for col, text in zip(columns, vals):
            if col is not None:
                out.raw[f"{code}.{col}"] = text
    if unlabelled:
        out.add("order_fallback", f"{len(unlabelled)} table-3 rows without a readable label were placed by "
                f"printed order: {', '.join(unlabelled)}", rows=unlabelled)
    for j, (r, vals, cand) in enumerate(data):
        if j not in used and any(looks_numeric(v) for v in vals):
            rule = "duplicate_table" if labels.best(cand) & {expected[i] for i, _ in pairs} else "label_unmatched"
            out.add(rule, f"table-3 row {'/'.join(r.labels) or '(no label)'} {vals} not used")


# ------------------------------------------------------------------------------------------ t4

def _t4_transposed(rows: list[Row]) -> list[str] | None:
    """Outcomes as rows and the three groups as columns (结果维持 | a | b | c): back to printed order."""
    data = [r for r in rows if r.numeric]
    if len(data) != len(spec.REVIEW_COLUMNS) or any(len(r.values) != 3 or not r.labels for r in data):
        return None
    order: list[str] = []
    for r in data:
        cand = labels.best(labels.match(r.labels[-1], None, "t4col."))
        if len(cand) != 1:
            return None
        order.append(next(iter(cand)).split(".", 1)[1])
    if sorted(order) != sorted(spec.REVIEW_COLUMNS):
        return None
    by = dict(zip(order, data))
    return [by[o].values[g] for g in range(3) for o in spec.REVIEW_COLUMNS]


def read_t4(rows: list[Row], fmt: str, out: TableRead) -> None:
    vals: list[str] = []
    transposed = _t4_transposed(rows)
    if transposed is not None:
        out.add("t4_transposed", "table 4 printed with outcomes as rows; read by its labels")
        rows = []
        vals = transposed
    for r in rows:
        if r.numeric:
            vals.extend(r.values)
    # blanks at the end of a row may be layout padding; numbers are what counts
    if len(vals) > T4_WIDTH:
        trimmed = list(vals)
        while len(trimmed) > T4_WIDTH and is_blank(trimmed[-1]):
            trimmed.pop()
        if len(trimmed) > T4_WIDTH:
            out.add("row_shape", f"table 4 has {len(trimmed)} values, expected {T4_WIDTH}; extra ignored")
        vals = trimmed[:T4_WIDTH]
    if vals and len(vals) < T4_WIDTH:
        out.add("row_incomplete", f"table 4 has {len(vals)} values, expected {T4_WIDTH}; read in order")
    codes = [c.code for c in spec.cells(fmt) if c.table == 4]
    for code, text in zip(codes, vals):
        out.raw[code] = text
