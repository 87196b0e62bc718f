"""PDF tables printed without rulings: columns inferred from word positions.

Why: many reports are exported with borders switched off (or with borders drawn as a picture).
Without rulings the only structure left is *where* each word sits. Read as text, narrow label
columns wrap, and two label columns mix line by line (``（三）1.属于`` / ``不予公国家秘`` / ``开密``),
so the interpreter cannot tell which words belong to which row.

How:
1. each visual line is cut into *segments* at gaps wider than a character;
2. a line with a number in a non-first segment is an *anchor* (a data row's value line);
   a table region is a run of anchors plus the header / wrapped-label lines around them,
   bounded by prose paragraphs and large vertical gaps;
3. value columns are the clusters of overlapping numeric segments across the anchors; label
   columns are the clusters of left edges of the anchors' label segments;
4. each non-anchor line joins the row whose value line it is tight with (a label wrapped
   below its value line in top-aligned cells, or above it when the next line is the anchor);
   lines separated from both neighbours by a row gap are rows of their own (sub-headings);
5. segments become cells by position (a segment reaching over several column starts is a
   ``colspan``); a label cell left empty below a label in the same column becomes part of that
   label (``rowspan``) — the merged cells the ruled layout would have drawn.

The result is a ``pdf._PTable`` so the page-stitching code treats both kinds alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .textnorm import is_cjk, join_wrapped, squeeze

#: a horizontal gap wider than this many character widths separates segments (columns)
SEGMENT_GAP_EM = 1.0
#: a vertical gap (top of a line minus bottom of the previous one) up to this share of the line
#: height is a wrapped line of the same cell; more is a new row
TIGHT = 0.6
#: a vertical gap wider than this many line heights ends a table region
REGION_GAP = 2.6
#: a single segment wider than this share of the page's text width is prose, not a table line
PROSE_WIDTH = 0.6

_VALUE = re.compile(r"^[+\-－−]?(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:[.．]\d+)?\s*(?:万?元|%|件|个|项|条)?$")
_BLANK_VALUE = re.compile(r"^(?:[—–\-－/／]+|无)$")
_ENUMERATED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+[、.．]|\d+\s*[.、．](?!\d))")
_SENTENCE_END = re.compile(r"[。；;]$")


@dataclass
class Segment:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str

    @property
    def numeric(self) -> bool:
        return bool(_VALUE.match(self.text))

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Line:
    segs: list[Segment]
    top: float
    bottom: float
    chars: list[dict]
    kind: str = ""  # "anchor" | "header" | "label"

    @property
    def height(self) -> float:
        return max(1.0, self.bottom - self.top)


def segments(chars: list[dict]) -> list[Segment]:
    """One visual line (chars sorted by x) → segments split at column-sized gaps."""
    out: list[list[dict]] = []
    prev = None
    for ch in chars:
        if ch.get("text") == " ":
            continue
        if prev is not None:
            size = max(1.0, min(ch.get("size", 10), prev.get("size", 10)))
            if ch["x0"] - prev["x1"] > size * SEGMENT_GAP_EM:
                out.append([])
        if not out:
            out.append([])
        out[-1].append(ch)
        prev = ch
    out = [part for group in out for part in _split_trailing_number(group)]
    segs = []
    for group in out:
        if not group:
            continue
        from .pdf import _line_text
        text = squeeze(_line_text(group))
        if text:
            segs.append(Segment(min(c["x0"] for c in group), max(c["x1"] for c in group),
                                min(c["top"] for c in group), max(c["bottom"] for c in group), text))
    return segs


def _split_trailing_number(group: list[dict]) -> list[list[dict]]:
    """``1.属于国家秘密 2``: a number that ends a segment after a visible gap from CJK text is a
    value printed close to its label (narrow cell padding), not part of the label.

    Only a *trailing* number splits: in prose the number is followed by its unit (``3119 件``).
    """
    for i in range(len(group) - 1, 0, -1):
        ch, prev = group[i], group[i - 1]
        if not (ch["text"].isdigit() or ch["text"] in "+-－−") or not prev["text"].strip():
            if ch["text"].isdigit() or ch["text"] in ",，.．":
                continue
            return [group]
        if is_cjk(prev["text"]) or prev["text"] in "）)":
            size = max(1.0, min(ch.get("size", 10), prev.get("size", 10)))
            if ch["x0"] - prev["x1"] > 0.4 * size and _VALUE.match("".join(c["text"] for c in group[i:])):
                return [group[:i], group[i:]]
            return [group]
    return [group]


def _is_anchor(line: Line) -> bool:
    nums = [s for s in line.segs if s.numeric]
    if not nums:
        return False
    if len(nums) >= 2:
        return True
    return len(line.segs) >= 2 and not line.segs[0].numeric


def _is_prose(line: Line, text_width: float) -> bool:
    if len(line.segs) != 1:
        return False
    s = line.segs[0]
    return s.x1 - s.x0 > PROSE_WIDTH * text_width or bool(_SENTENCE_END.search(s.text)) and len(s.text) > 12


def _headed(above: list[Line], anchor: Line) -> bool:
    """One value line under a header line whose column heading stands over the value
    (``信息内容  本年处理决定数量`` / ``行政许可  447228``): a one-row table."""
    nums = [s for s in anchor.segs if s.numeric]
    return any(len(h.segs) >= 2 and any(s.x0 <= n.x1 and n.x0 <= s.x1 for s in h.segs[1:] for n in nums)
               for h in above)


def _heading_between(lines: list[Line], i: int) -> bool:
    """A lone line after a data row and before a new header: a caption between two tables
    (``三、收到和处理政府信息公开申请情况`` after the last row of table 2, ``第二十条第（五）项``)."""
    ln = lines[i]
    if len(ln.segs) != 1 or ln.segs[0].numeric or i == 0 or i + 1 >= len(lines):
        return False
    prev, nxt = lines[i - 1], lines[i + 1]
    if nxt.kind == "anchor" or _tight(prev, ln) or _tight(ln, nxt):
        return False
    j = i - 1  # the row above may end with wrapped label lines under its value line
    while j > 0 and lines[j].kind != "anchor" and _tight(lines[j - 1], lines[j]):
        j -= 1
    return lines[j].kind == "anchor"


def _gap(a: Line, b: Line) -> float:
    return b.top - a.bottom


def _tight(a: Line, b: Line) -> bool:
    return _gap(a, b) <= TIGHT * min(a.height, b.height)


# ---------------------------------------------------------------------------------------------
# regions


def find_regions(lines: list[Line], text_width: float) -> list[list[Line]]:
    """Runs of lines that hold a table: anchors with their header and wrapped-label lines.

    A lone line at the text's left margin before the first data row is a caption; an indented
    one (the end of a label whose row began on the previous page) stays in the table.
    """
    text_left = min(ln.segs[0].x0 for ln in lines)
    runs: list[list[Line]] = []
    cur: list[Line] = []
    for ln in lines:
        ln.kind = "anchor" if _is_anchor(ln) else ""
    for i, ln in enumerate(lines):
        prose = _is_prose(ln, text_width)
        if cur and (prose or _gap(cur[-1], ln) > REGION_GAP * ln.height or _heading_between(lines, i)):
            runs.append(cur)
            cur = []
        if not prose:
            cur.append(ln)
    if cur:
        runs.append(cur)
    out = []
    for run in runs:
        anchors = [i for i, ln in enumerate(run) if ln.kind == "anchor"]
        if not anchors:
            continue
        # leading single-segment lines not tight with what follows are headings / captions
        start = 0
        while start < anchors[0] and len(run[start].segs) == 1 and not _tight(run[start], run[start + 1]) \
                and run[start].segs[0].x0 <= text_left + 3:
            start += 1
        # trailing lines: only wrapped label lines tight with the row above
        end = anchors[-1] + 1
        while end < len(run) and _tight(run[end - 1], run[end]) and not any(s.numeric for s in run[end].segs):
            end += 1
        region = run[start:end]
        n_anchor = len(anchors)
        max_nums = max(sum(1 for s in run[i].segs if s.numeric) for i in anchors)
        if n_anchor >= 2 or max_nums >= 3 or _headed(region[:anchors[0] - start], run[anchors[0]]):
            out.append(region)
    return out


# ---------------------------------------------------------------------------------------------
# columns


def _cluster_intervals(segs: list[Segment]) -> list[tuple[float, float]]:
    """Overlapping numeric segments → one value column interval each, left to right."""
    out: list[list[float]] = []
    for s in sorted(segs, key=lambda s: s.x0):
        if out and s.x0 <= out[-1][1] + 0.5:
            out[-1][1] = max(out[-1][1], s.x1)
        else:
            out.append([s.x0, s.x1])
    return [(a, b) for a, b in out]


@dataclass
class Columns:
    label_starts: list[float]
    values: list[tuple[float, float]]
    value_left: float  # boundary between the label side and the value side

    @property
    def n(self) -> int:
        return len(self.label_starts) + len(self.values)

    def bounds(self) -> list[float]:
        """Column boundaries (n + 1 coordinates), label columns first."""
        b = list(self.label_starts) + [self.value_left]
        for (a0, a1), (b0, _b1) in zip(self.values, self.values[1:]):
            b.append((a1 + b0) / 2)
        b.append(self.values[-1][1] + 2)
        if not self.label_starts:
            b[0] = min(b[0], self.values[0][0] - 2)
        return b

    def span(self, s: Segment) -> tuple[int, int]:
        """Columns [c0, c1) a segment covers."""
        nl = len(self.label_starts)
        if s.center < self.value_left and nl:
            c0 = max([i for i, x in enumerate(self.label_starts) if x <= s.x0 + 3] or [0])
            c1 = c0 + 1
            char = max(4.0, (s.x1 - s.x0) / max(1, len(s.text)))
            while c1 < nl and s.x1 > self.label_starts[c1] + char / 2:
                c1 += 1
            return c0, c1
        centers = [(a + b) / 2 for a, b in self.values]
        inside = [k for k, c in enumerate(centers) if s.x0 - 1 <= c <= s.x1 + 1]
        if not inside:
            k = min(range(len(centers)), key=lambda k: abs(centers[k] - s.center))
            return nl + k, nl + k + 1
        return nl + inside[0], nl + inside[-1] + 1


def infer_columns(region: list[Line]) -> Columns | None:
    anchors = [ln for ln in region if ln.kind == "anchor"]
    nums: list[Segment] = []
    label_segs: list[Segment] = []
    for ln in anchors:
        first_num = next(i for i, s in enumerate(ln.segs) if s.numeric)
        nums.extend(s for s in ln.segs[first_num:] if s.numeric)
        label_segs.extend(ln.segs[:first_num])
    if not nums:
        return None
    values = _cluster_intervals(nums)
    left_of_values = values[0][0]
    # label columns: left edges of label text on the anchors and on lines wrapped around them
    for ln in region:
        if ln.kind != "anchor":
            label_segs.extend(s for s in ln.segs if s.x1 < left_of_values and not s.numeric)
    starts: list[list[float]] = []
    for x in sorted(s.x0 for s in label_segs if s.x0 < left_of_values):
        if starts and x - starts[-1][-1] <= 3.0:
            starts[-1].append(x)
        else:
            starts.append([x])
    # a left edge seen once is a centred or indented word, not a column -- unless a data row's
    # label starts there (``（七）总计`` one level left of the rows above it)
    row_starts = {s.x0 for ln in anchors for s in ln.segs if not s.numeric and s.x0 < left_of_values}
    label_starts = [g[0] for g in starts if len(g) >= 2 or any(x in row_starts for x in g)] or [g[0] for g in starts[:1]]
    # where labels end: measured on the value lines only (a caption swept into the region
    # must not push the boundary into the first value column)
    on_anchor = [s for ln in anchors for s in ln.segs if not s.numeric and s.x1 <= left_of_values]
    label_right = max((s.x1 for s in on_anchor), default=None)
    value_left = (label_right + left_of_values) / 2 if label_right is not None else left_of_values - 2
    return Columns(label_starts, values, value_left)


# ---------------------------------------------------------------------------------------------
# rows


@dataclass
class RowDraft:
    lines: list[Line] = field(default_factory=list)
    anchored: bool = False
    header: bool = False
    closed: bool = False  # a sub-heading row: nothing joins it
    segs: list[Segment] = field(default_factory=list)
    y: float = 0.0  # vertical centre of the value line (data rows)

    def add(self, ln: Line) -> None:
        self.lines.append(ln)
        self.segs.extend(ln.segs)


def classify(region: list[Line], cols: Columns) -> None:
    for ln in region:
        if ln.kind == "anchor":
            continue
        ln.kind = "header" if any(s.center >= cols.value_left and not s.numeric for s in ln.segs) else "label"


def _occupied(ln: Line, cols: Columns) -> set[int]:
    out: set[int] = set()
    for s in ln.segs:
        c0, c1 = cols.span(s)
        out.update(range(c0, c1))
    return out


def _blocks(segs: list[Segment], cols: Columns) -> list[list[Segment]]:
    """Label pieces of one column stacked line under line (one wrapped cell text each).

    A piece starting with an enumeration mark (``2.其他``, ``（四）``) always starts a block:
    tables without cell padding put the next row's label right under the previous one.
    """
    by_col: dict[int, list[Segment]] = {}
    for s in segs:
        by_col.setdefault(cols.span(s)[0], []).append(s)
    out: list[list[Segment]] = []
    for col_segs in by_col.values():
        col_segs.sort(key=lambda s: s.top)
        cur: list[Segment] = []
        for s in col_segs:
            h = max(1.0, min(s.bottom - s.top, cur[-1].bottom - cur[-1].top)) if cur else 0
            if cur and s.top - cur[-1].bottom <= TIGHT * h and not _ENUMERATED.match(s.text):
                cur.append(s)
            else:
                if cur:
                    out.append(cur)
                cur = [s]
        if cur:
            out.append(cur)
    return out


def build_rows(region: list[Line], cols: Columns) -> list[RowDraft]:
    """Header rows (one per printed line, wrapped lines joined) and data rows.

    A data row is one value line. Label pieces are stacked into blocks per column, and a block
    belongs to the value line that lies within its vertical extent (a label in a vertically
    centred cell wraps above and below its values) or, failing that, to the nearest one (the
    one above on a tie: top-aligned cells wrap downwards).
    """
    first_anchor = next(i for i, ln in enumerate(region) if ln.kind == "anchor")
    b = first_anchor
    while b > 0 and region[b - 1].kind == "label" and _tight(region[b - 1], region[b]):
        b -= 1  # the first row's label wrapped above its value line
    rows: list[RowDraft] = []
    for ln in region[:b]:
        # a header line continues the row whose cells it continues: same columns, right under
        # that row's last line there (a wrapped note can run past the next header line)
        mine = _occupied(ln, cols)
        home = None
        for r in reversed(rows):
            last = r.lines[-1]
            if mine <= _occupied(last, cols) and _tight(last, ln):
                home = r
                break
        if home is None:
            rows.append(RowDraft(header=True))
            home = rows[-1]
        home.add(ln)
    body = region[b:]
    units: list[RowDraft] = []
    pool: list[Segment] = []
    for i, ln in enumerate(body):
        if ln.kind == "anchor":
            r = RowDraft(anchored=True, y=(ln.top + ln.bottom) / 2)
            r.lines.append(ln)
            for s in ln.segs:
                (pool if s.center < cols.value_left and not s.numeric else r.segs).append(s)
            units.append(r)
            continue
        prev = body[i - 1] if i else None
        nxt = body[i + 1] if i + 1 < len(body) else None
        isolated = not (prev is not None and _tight(prev, ln)) and not (nxt is not None and _tight(ln, nxt))
        if ln.kind == "header" or isolated:
            r = RowDraft(header=ln.kind == "header", closed=True, y=(ln.top + ln.bottom) / 2)
            r.add(ln)
            units.append(r)
            continue
        pool.extend(ln.segs)
    anchors = [u for u in units if u.anchored]
    for block in _blocks(pool, cols):
        top, bottom = block[0].top, block[-1].bottom
        inside = [u for u in anchors if top <= u.y <= bottom]
        if inside:
            target = inside[0]
        else:
            target = min(anchors, key=lambda u: (min(abs(u.y - top), abs(u.y - bottom)), u.y))
        target.segs.extend(block)
    units.sort(key=lambda u: u.y)
    return rows + units


def row_cells(row: RowDraft, cols: Columns) -> list[tuple[int, int, str]]:
    """(c0, c1, text) for every column of the row, empty columns included."""
    placed: dict[int, list] = {}
    for s in sorted(row.segs, key=lambda s: s.x0):
        c0, c1 = cols.span(s)
        owner = next((k for k, v in placed.items() if k <= c0 < v[0]), None)
        if owner is not None:
            placed[owner][0] = max(placed[owner][0], c1)
            placed[owner][1].append(s)
        else:
            placed[c0] = [c1, [s]]
    out: list[tuple[int, int, str]] = []
    c = 0
    for k in sorted(placed):
        if k < c:  # inside a span started further left
            continue
        while c < k:
            out.append((c, c + 1, ""))
            c += 1
        c1, segs = placed[k]
        c1 = max(c1, k + 1)
        # segments of one cell: top to bottom, left to right within a line
        segs.sort(key=lambda s: (round(s.top), s.x0))
        lines: list[str] = []
        last_top = None
        for s in segs:
            if last_top is not None and abs(s.top - last_top) < 2:
                lines[-1] += s.text
            else:
                lines.append(s.text)
            last_top = s.top
        out.append((k, c1, join_wrapped(lines)))
        c = c1
    while c < cols.n:
        out.append((c, c + 1, ""))
        c += 1
    return out


# ---------------------------------------------------------------------------------------------
# page → tables


def split_stacked(group: list[dict]) -> list[list[dict]]:
    """Split a visual line that holds two lines offset by less than a line height.

    Why: in a table the last line of a wrapped label (``理结果``) can sit a few points above the
    value line of the next row; grouped as one line, the label would move into that row.
    """
    if len(group) < 2:
        return [group]
    ordered = sorted(group, key=lambda c: (c["top"] + c["bottom"]) / 2)
    height = sorted(c["bottom"] - c["top"] for c in group)[len(group) // 2]
    centers = [(c["top"] + c["bottom"]) / 2 for c in ordered]
    gaps = [(centers[i + 1] - centers[i], i) for i in range(len(centers) - 1)]
    gap, at = max(gaps)
    if gap <= 0.3 * max(1.0, height):
        return [group]
    out = []
    for part in (ordered[:at + 1], ordered[at + 1:]):
        out.extend(split_stacked(sorted(part, key=lambda c: c["x0"])))
    return out


def page_lines(line_groups: list[list[dict]]) -> list[Line]:
    out = []
    for chars in line_groups:
        segs = segments(chars)
        if segs:
            out.append(Line(segs, min(s.top for s in segs), max(s.bottom for s in segs), chars))
    return out


def unruled_tables(lines: list[Line], text_width: float):
    """Lines of one page (top to bottom) → [(region lines, Columns, [RowDraft])]."""
    out = []
    for region in find_regions(lines, text_width):
        cols = infer_columns(region)
        if cols is None or not cols.values:
            continue
        classify(region, cols)
        rows = build_rows(region, cols)
        if sum(1 for r in rows if r.anchored) < 1:
            continue
        out.append((region, cols, rows))
    return out
