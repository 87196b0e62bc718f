"""PDF reader (pdfplumber): ruled tables with their merged cells, and reading-order text lines.

Why this shape:
- Tables are rebuilt from the *rulings* (drawn lines and stroked rectangles), never from the
  text flow, so a column read out of order cannot move a value into another cell. Invisible
  white "background" rectangles that word processors (WPS) draw behind every text line are
  ignored, otherwise each paragraph line becomes a one-column table.
- Every cell's span is computed against one set of column boundaries, so a table continued on
  the next page (with or without its header repeated, with a merged label split by the page
  break) is stitched back into one ``Table`` the interpreter can read like an HTML table.
- Everything outside tables becomes text lines, top to bottom, with page numbers dropped and
  layout spaces next to CJK characters removed.
- Heavy or hostile files are the caller's problem only up to a point: ``read_pdf`` runs the
  real work in a child process with time and memory limits (``limits.run_limited``).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, TYPE_CHECKING

from .document import Document, Table, TableCell
from .findings import Finding
from .textnorm import COLUMN_GAP, garbled_ratio, is_garbled, is_page_number, join_wrapped, squeeze

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

#: points: coordinates closer than this are the same ruling / boundary
SNAP = 3.0
#: fraction of the page height treated as header/footer margin (for bare page numbers)
MARGIN = 0.09
#: a horizontal gap wider than this many character widths separates table columns, not words
COLUMN_GAP_EM = 1.0
#: pages with fewer characters than this (and an image) have no usable text layer
MIN_CHARS_PER_PAGE = 15

_ENUMERATED = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+[、.．]|\d+\s*[.、．])")
_NUMERIC = re.compile(r"^[\s+\-－−]*[\d,，.．]+\s*(?:万?元|%|件|个|项|条)?\s*$")


def read_pdf(data: bytes, opts: "ExtractOptions") -> Document:
    """Entry point registered in ``api.READERS``: the real reader under time/memory limits."""
    from .limits import run_limited
    from .ocr import reader_timeout
    return run_limited(read_pdf_direct, data, opts, kind="pdf", timeout=reader_timeout(opts))


# ---------------------------------------------------------------------------------------------
# opening, metadata, text-layer detection


def _open(data: bytes):
    import pdfplumber
    return pdfplumber.open(io.BytesIO(data))


def _decode_meta(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        for enc in ("utf-16", "utf-8", "gb18030"):
            try:
                value = value.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    value = str(value)
    if value[:2] in ("\xfe\xff", "\xff\xfe"):  # UTF-16 with BOM that was decoded as Latin-1
        try:
            from pdfminer.utils import PDFDocEncoding
            back = {ch: i for i, ch in reversed(list(enumerate(PDFDocEncoding)))}
            value = bytes(back.get(ch, ord(ch) & 0xFF) for ch in value).decode("utf-16")
        except (UnicodeError, ValueError, ImportError):
            return None
    text = squeeze(value.replace("\x00", ""))
    return text or None


def _is_password_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = type(e).__name__
        if "Password" in name or "Encrypt" in name or "password" in str(e).lower():
            return True
        if e.args and isinstance(e.args[0], BaseException):
            e = e.args[0]
        else:
            e = e.__cause__ or e.__context__
    return False


def read_pdf_direct(data: bytes, opts: "ExtractOptions") -> Document:
    """Read a PDF in this process (no limits). Raises nothing for bad input: returns findings."""
    doc = Document("pdf")
    try:
        pdf = _open(data)
    except Exception as exc:  # pdfminer raises many types for damaged files
        if _is_password_error(exc):
            doc.findings.append(Finding("encrypted", "the PDF is password-protected; no text was read"))
        else:
            doc.findings.append(Finding("corrupt_file", f"not a readable PDF: {type(exc).__name__}: {exc}"[:300]))
        return doc
    with pdf:
        try:
            doc.title = _decode_meta((pdf.metadata or {}).get("Title"))
            n_pages = len(pdf.pages)
        except Exception as exc:
            if _is_password_error(exc):
                doc.findings.append(Finding("encrypted", "the PDF is password-protected; no text was read"))
            else:
                doc.findings.append(Finding("corrupt_file", f"cannot read the page tree: {type(exc).__name__}: {exc}"[:300]))
            return doc
        if n_pages == 0:
            doc.findings.append(Finding("corrupt_file", "the PDF has no pages"))
            return doc
        max_pages = max(1, int(getattr(opts, "max_pages", 60) or 60))
        if n_pages > max_pages:
            doc.findings.append(Finding("too_many_pages", f"{n_pages} pages; only the first {max_pages} were read",
                                        {"pages": n_pages, "read": max_pages}))
        pages = pdf.pages[:max_pages]
        # one pass: each page is parsed once (pdfminer's content parsing is most of the time)
        # and its objects are dropped right after, so memory stays at one page's worth
        chars = 0
        images = 0
        image_pages: list[int] = []
        blocks: list[tuple[int, float, Any]] = []
        margin_lines: set[tuple[int, float, str]] = set()
        errors: list[Finding] = []
        for pno, page in enumerate(pages, start=1):
            try:
                n, im = len(page.chars), len(page.images)
                chars += n
                images += im
                if n < MIN_CHARS_PER_PAGE and im:
                    image_pages.append(pno)  # a picture (a scanned table page inside a typed report)
                    continue
                blocks.extend((pno, top, b) for top, b in _read_page(page, pno, margin_lines))
            except Exception as exc:  # one broken page must not lose the others
                errors.append(Finding("page_error", f"page {pno}: {type(exc).__name__}: {exc}"[:300], {"page": pno}))
            finally:
                page.flush_cache() if hasattr(page, "flush_cache") else None
        if chars < MIN_CHARS_PER_PAGE * len(pages):
            from .ocr import handle_no_text_layer
            return handle_no_text_layer(data, opts, doc, pages=len(pages), chars=chars, images=images)
        if image_pages:
            if getattr(opts, "ocr", False):
                from .ocr import ocr_pdf_pages
                blocks.extend(ocr_pdf_pages(data, opts, doc, image_pages))
                doc.provenance = "ocr"
                doc.findings.append(Finding("ocr_values", f"page(s) {image_pages} read by Tesseract; values may be misread",
                                            {"pages": image_pages, "engine": "tesseract"}))
            else:
                doc.findings.append(Finding("needs_ocr", f"page(s) {image_pages} are images without a text layer; OCR is off",
                                            {"pages": image_pages}))
        doc.findings.extend(errors)
        blocks = _drop_running_lines(blocks, margin_lines, doc)
        blocks.sort(key=lambda b: (b[0], b[1]))
        doc.blocks = stitch(blocks, doc)
    text = "\n".join(doc.lines())
    if is_garbled(text):
        # fonts without a usable ToUnicode map: the "text" is glyph ids; only OCR can read it
        doc.findings.append(Finding("garbled_text", f"{garbled_ratio(text):.0%} of the text layer is implausible "
                                    "characters (broken font encoding)"))
        from .ocr import handle_no_text_layer
        doc.blocks = []
        return handle_no_text_layer(data, opts, doc, pages=len(pages), chars=0, images=images)
    return doc


# ---------------------------------------------------------------------------------------------
# tables


@dataclass
class _Cell:
    row: int          # origin row within its table
    x0: float
    x1: float
    rowspan: int
    text: str
    #: unruled tables only: "head" (above the first value line), "body" (a data row), "sub" (a
    #: sub-heading row inside the body); merged-label inference runs on body rows only
    role: str = ""


@dataclass
class _PTable:
    """A table while it is still being assembled (spans in coordinates, not columns)."""
    rows: list[list[_Cell]]
    x0: float
    x1: float
    top: float
    bottom: float
    page_height: float
    origin: str
    pages: list[int] = field(default_factory=list)
    #: unruled tables: column boundaries inferred from word positions, and how many label columns
    bounds: list[float] | None = None
    n_label: int = 0

    @property
    def nrows(self) -> int:
        return len(self.rows)

    def to_table(self) -> Table:
        if self.bounds is not None:
            return _unruled_to_table(self)
        xs = _cluster(sorted({c.x0 for r in self.rows for c in r} | {c.x1 for r in self.rows for c in r}))
        out: list[list[TableCell]] = []
        for row in self.rows:
            line = []
            for c in sorted(row, key=lambda c: c.x0):
                c0, c1 = _index(xs, c.x0), _index(xs, c.x1)
                line.append(TableCell(c.text, rowspan=max(1, c.rowspan), colspan=max(1, c1 - c0)))
            out.append(line)
        return Table(out, origin=self.origin)


def _cluster(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in values:
        if out and v - out[-1] <= SNAP:
            continue
        out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    return min(range(len(bounds)), key=lambda i: abs(bounds[i] - v))


def _visible(obj: dict) -> bool:
    """Drop filled, unstroked rectangles that are white (text backgrounds WPS draws per line)."""
    if obj.get("object_type") != "rect":
        return True
    if obj.get("stroke"):
        return True
    w, h = obj.get("width", 0), obj.get("height", 0)
    if min(w, h) <= 2.0:  # a rule drawn as a thin filled rectangle
        return True
    color = obj.get("non_stroking_color")
    if isinstance(color, (list, tuple)) and color and all(isinstance(x, (int, float)) for x in color):
        if len(color) in (1, 3) and min(color) >= 0.97:
            return False
        if len(color) == 4 and max(color) <= 0.03:  # CMYK white
            return False
    return True


_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": SNAP,
    "join_tolerance": SNAP,
    "intersection_tolerance": SNAP,
}


def _closing_edges(page) -> list[dict]:
    """Horizontal rules a table broken by a page break lacks (no bottom/top border is drawn).

    Why: WPS leaves the last row of a page open when the table continues on the next page; the
    vertical rules still run down to where the border would be. Without a closing edge that row
    (often a complete data row) would fall out of the table into the text.
    """
    edges = page.edges
    verticals = [e for e in edges if e.get("orientation") == "v" and e["bottom"] - e["top"] > 8]
    horizontals = [e for e in edges if e.get("orientation") == "h"]
    height = float(page.height)
    out: list[dict] = []
    for attr in ("bottom", "top"):
        groups: dict[float, list[dict]] = {}
        for v in sorted(verticals, key=lambda e: e[attr]):
            key = next((k for k in groups if abs(k - v[attr]) <= SNAP), v[attr])
            groups.setdefault(key, []).append(v)
        for y, vs in groups.items():
            if len(vs) < 2 or height * 0.15 < y < height * 0.85:
                continue
            x0, x1 = min(v["x0"] for v in vs), max(v["x1"] for v in vs)
            if x1 - x0 < 20:
                continue
            if any(abs(h["top"] - y) <= SNAP and h["x0"] <= x0 + SNAP and h["x1"] >= x1 - SNAP for h in horizontals):
                continue
            out.append({"object_type": "line", "x0": x0, "x1": x1, "top": y, "bottom": y,
                        "width": x1 - x0, "height": 0.0})
    return out


def _line_groups(chars: list[dict]) -> list[list[dict]]:
    """Group characters (or OCR words) into visual lines, each sorted left to right.

    A glyph joins the current line when its vertical centre falls inside the line's band, so
    low punctuation (，。) and glyphs with a taller box stay on their line.
    """
    lines: list[list[dict]] = []
    band: tuple[float, float] | None = None
    for ch in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        cy = (ch["top"] + ch["bottom"]) / 2
        if lines and band is not None and band[0] <= cy <= band[1]:
            lines[-1].append(ch)
            continue
        lines.append([ch])
        band = (ch["top"] - 0.5, ch["bottom"] + 0.5)
    for line in lines:
        line.sort(key=lambda c: c["x0"])
    return lines


def _line_text(chars: list[dict]) -> str:
    out = ""
    prev = None
    for ch in chars:
        if prev is not None:
            gap = ch["x0"] - prev["x1"]
            size = max(1.0, min(ch.get("size", 10), prev.get("size", 10)))
            if gap > size * COLUMN_GAP_EM:
                out = out.rstrip(" ") + COLUMN_GAP
            elif gap > size * 0.35 and not out.endswith((" ", COLUMN_GAP)) and ch["text"] != " ":
                out += " "
            if ch["text"] == " " and out.endswith(COLUMN_GAP):
                prev = ch
                continue
        out += ch["text"]
        prev = ch
    return out


def _cell_text(chars: list[dict]) -> str:
    if not chars:
        return ""
    upright = sum(1 for c in chars if c.get("upright", True))
    if upright < len(chars) / 2:  # rotated text (a landscape table on a portrait page): by x then y
        cols: dict[int, list[dict]] = {}
        for c in chars:
            cols.setdefault(round(c["x0"] / 3), []).append(c)
        lines = ["".join(c["text"] for c in sorted(v, key=lambda c: c["top"])) for _, v in sorted(cols.items())]
        return join_wrapped(lines)
    return join_wrapped([_line_text(line) for line in _line_groups(chars)])


def build_table(cells, chars: list[dict], page_height: float, origin: str, pno: int) -> _PTable | None:
    """Ruled cell boxes (pdfplumber's) + characters → a table with spans and cell texts.

    ``chars`` are dicts with ``text``, ``x0``, ``x1``, ``top``, ``bottom`` (pdfplumber chars, or
    OCR words shaped the same way).
    """
    bboxes = [c for c in cells if c]
    if not bboxes:
        return None
    xs = _cluster(sorted({b[0] for b in bboxes} | {b[2] for b in bboxes}))
    ys = _cluster(sorted({b[1] for b in bboxes} | {b[3] for b in bboxes}))
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 1:
        return None
    covered = [[False] * nc for _ in range(nr)]
    spans: list[tuple[int, int, int, int]] = []  # r0, r1, c0, c1
    for b in bboxes:
        r0, r1, c0, c1 = _index(ys, b[1]), _index(ys, b[3]), _index(xs, b[0]), _index(xs, b[2])
        if r1 <= r0 or c1 <= c0:
            continue
        if any(covered[r][c] for r in range(r0, r1) for c in range(c0, c1)):
            continue
        for r in range(r0, r1):
            for c in range(c0, c1):
                covered[r][c] = True
        spans.append((r0, r1, c0, c1))
    # slots no ruled cell covers: a border the producer did not draw. A vertical run of them is
    # one merged cell (a label column whose closing rule fell on the next page).
    for c in range(nc):
        r = 0
        while r < nr:
            if covered[r][c]:
                r += 1
                continue
            r1 = r
            while r1 < nr and not covered[r1][c]:
                covered[r1][c] = True
                r1 += 1
            spans.append((r, r1, c, c + 1))
            r = r1
    buckets: dict[tuple[int, int, int, int], list[dict]] = {s: [] for s in spans}
    index = {(r, c): s for s in spans for r in range(s[0], s[1]) for c in range(s[2], s[3])}
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            continue
        c = next((i for i in range(nc) if cx <= xs[i + 1]), nc - 1)
        r = next((i for i in range(nr) if cy <= ys[i + 1]), nr - 1)
        buckets[index[(r, c)]].append(ch)
    rows: list[list[_Cell]] = [[] for _ in range(nr)]
    for s in sorted(spans):
        r0, r1, c0, c1 = s
        rows[r0].append(_Cell(r0, xs[c0], xs[c1], r1 - r0, _cell_text(buckets[s])))
    return _PTable(rows, xs[0], xs[-1], ys[0], ys[-1], page_height, origin, [pno])


def is_real_table(t: _PTable) -> bool:
    """A ruled frame around one column of text (a text box) is not a table."""
    ncols = len(_cluster(sorted({c.x0 for r in t.rows for c in r} | {c.x1 for r in t.rows for c in r}))) - 1
    return ncols >= 2


def _unruled_ptable(cols, rows, page_height: float, origin: str, pno: int) -> _PTable:
    """Row drafts of ``pdf_unruled`` → a ``_PTable`` in page coordinates (every column a cell)."""
    from .pdf_unruled import row_cells
    bounds = cols.bounds()
    out: list[list[_Cell]] = []
    for r, draft in enumerate(rows):
        role = "body" if draft.anchored else "head" if draft.header and not draft.closed else "sub"
        out.append([_Cell(r, bounds[c0], bounds[c1], 1, text, role) for c0, c1, text in row_cells(draft, cols)])
    top = min(ln.top for d in rows for ln in d.lines)
    bottom = max(ln.bottom for d in rows for ln in d.lines)
    return _PTable(out, bounds[0], bounds[-1], top, bottom, page_height, origin, [pno],
                   bounds=bounds, n_label=len(cols.label_starts))


def _unruled_to_table(t: _PTable) -> Table:
    """Columns from the inferred boundaries; a label cell left empty under a label of the same
    column joins it (the merged cell a ruled table would draw), but only left of where the
    row's own label begins and only between data rows."""
    xs = t.bounds or []
    nl = t.n_label
    rows: list[list[list]] = []  # [c0, c1, TableCell]
    for row in t.rows:
        line = []
        for c in sorted(row, key=lambda c: c.x0):
            c0, c1 = _index(xs, c.x0), _index(xs, c.x1)
            line.append([c0, max(c1, c0 + 1), TableCell(c.text, 1, max(1, c1 - c0)), c.role])
        rows.append(line)
    live: dict[int, list] = {}
    out: list[list[TableCell]] = []
    for line in rows:
        role = line[0][3] if line else ""
        if role != "body":
            live.clear()
            out.append([x[2] for x in line])
            continue
        first = min((x[0] for x in line if x[0] < nl and x[2].text.strip()), default=nl)
        empty_at = {x[0]: x for x in line if not x[2].text.strip()}
        drop: set[int] = set()
        for c0, held in list(live.items()):
            h0, h1, cell = held
            if h1 <= first and all(k in empty_at and empty_at[k][1] == k + 1 for k in range(h0, h1)):
                cell.rowspan += 1
                drop.update(range(h0, h1))
            else:
                live.pop(c0)
        kept = [x for x in line if x[0] not in drop]
        for x in kept:
            if x[0] < nl and x[2].text.strip():
                for k in [k for k, v in live.items() if v[0] >= x[0]]:
                    live.pop(k)
                live[x[0]] = [x[0], x[1], x[2]]
        out.append([x[2] for x in kept])
    return Table(out, origin=t.origin)


def _read_page(page, pno: int, margin_lines: set | None = None) -> list[tuple[float, Any]]:
    """One page → [(top, block)], block a text line or a ``_PTable``."""
    fpage = page.filter(_visible)
    chars = [c for c in page.chars if c.get("text", "").strip() or c.get("text") == " "]
    tables: list[_PTable] = []
    settings = dict(_TABLE_SETTINGS, explicit_horizontal_lines=_closing_edges(fpage))
    for i, t in enumerate(fpage.find_tables(settings), start=1):
        pt = build_table(t.cells, chars, float(page.height), f"pdf page {pno} table {i}", pno)
        if pt is not None and is_real_table(pt):
            tables.append(pt)

    def inside(ch: dict) -> bool:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        return any(t.x0 - 1 <= cx <= t.x1 + 1 and t.top - 1 <= cy <= t.bottom + 1 for t in tables)

    height = float(page.height)
    groups = _line_groups([c for c in chars if not inside(c)])
    groups = _unruled(groups, page, pno, tables)
    out: list[tuple[float, Any]] = [(t.top, t) for t in tables]
    for line in groups:
        text = squeeze(_line_text(line))
        if not text:
            continue
        top = min(c["top"] for c in line)
        bottom = max(c["bottom"] for c in line)
        in_margin = top > height * (1 - MARGIN) or bottom < height * MARGIN
        if is_page_number(text, in_margin):
            continue
        if in_margin and margin_lines is not None:
            margin_lines.add((pno, top, text))
        out.append((top, _Line(text, min(c["x0"] for c in line), max(c["x1"] for c in line), top, bottom)))
    out.sort(key=lambda x: x[0])
    return out


def _unruled(groups: list[list[dict]], page, pno: int, tables: list[_PTable]) -> list[list[dict]]:
    """Find tables printed without rulings among the text lines; return the lines left over."""
    from .pdf_unruled import page_lines, unruled_tables
    height = float(page.height)

    def margin_number(g: list[dict]) -> bool:
        top, bottom = min(c["top"] for c in g), max(c["bottom"] for c in g)
        return (top > height * (1 - MARGIN) or bottom < height * MARGIN) and is_page_number(squeeze(_line_text(g)))

    from .pdf_unruled import split_stacked
    groups = [part for g in groups for part in split_stacked(g)]
    body = [g for g in groups if not margin_number(g)]
    lines = page_lines(body)
    if not lines:
        return groups
    text_width = max(ln.segs[-1].x1 for ln in lines) - min(ln.segs[0].x0 for ln in lines)
    used: set[int] = set()
    n = len(tables)
    for region, cols, rows in unruled_tables(lines, text_width):
        n += 1
        tables.append(_unruled_ptable(cols, rows, height, f"pdf page {pno} table {n} (unruled)", pno))
        used.update(id(ln.chars) for ln in region)
    if not used:
        return groups
    return [g for g in groups if id(g) not in used]


def _drop_running_lines(blocks: list[tuple[int, float, Any]], margin_lines: set, doc: Document) -> list:
    """Drop running headers/footers: margin lines whose text (digits aside) repeats on 2+ pages.

    Why: a header such as "某某区人民政府信息公开年报" printed on every page sits between a table
    and its continuation and would stop the two halves from being stitched together.
    """
    if not margin_lines:
        return blocks
    key = lambda t: re.sub(r"\d+", "#", re.sub(r"\s+", "", t))  # noqa: E731
    pages: dict[str, set[int]] = {}
    for pno, _top, text in margin_lines:
        pages.setdefault(key(text), set()).add(pno)
    running = {k for k, v in pages.items() if len(v) >= 2}
    if not running:
        return blocks
    drop = {(pno, top, text) for pno, top, text in margin_lines if key(text) in running}
    doc.findings.append(Finding("pdf_running_lines", f"{len(drop)} running header/footer line(s) dropped",
                                {"texts": sorted(running)[:10]}))
    return [b for b in blocks if not (isinstance(b[2], str) and (b[0], b[1], b[2]) in drop)]


# ---------------------------------------------------------------------------------------------
# stitching pages: tables continued on the next page


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _row_key(row: list[_Cell]) -> tuple:
    return tuple(_norm(c.text) for c in sorted(row, key=lambda c: c.x0))


def _continues(prev: _PTable, nxt: _PTable) -> bool:
    """Same outer frame (left and right edges) → the next page continues the table."""
    tol = 3 * SNAP
    if prev.bounds is not None or nxt.bounds is not None:
        if prev.bounds is None or nxt.bounds is None:
            return False
        pv, nv = prev.bounds[prev.n_label:], nxt.bounds[nxt.n_label:]
        return len(pv) == len(nv) and all(abs(a - b) <= tol * 2 for a, b in zip(pv[1:], nv[1:]))
    return abs(prev.x0 - nxt.x0) <= tol and abs(prev.x1 - nxt.x1) <= tol


def _fill_columns(row: list[_Cell], bounds: list[float]) -> None:
    """Give every column of ``bounds`` a cell in ``row`` (empty where nothing was printed)."""
    covered = set()
    for c in row:
        covered.update(range(_index(bounds, c.x0), max(_index(bounds, c.x1), _index(bounds, c.x0) + 1)))
    r = row[0].row if row else 0
    role = row[0].role if row else ""
    for k in range(len(bounds) - 1):
        if k not in covered:
            row.append(_Cell(r, bounds[k], bounds[k + 1], 1, "", role))
    row.sort(key=lambda c: c.x0)


def _snap_to(prev: _PTable, nxt: _PTable) -> None:
    """Put an unruled continuation on the first half's column boundaries (label columns the
    new page does not use are simply absent; value boundaries move by a few points)."""
    if prev.bounds is None or nxt.bounds is None:
        return
    # label columns: those of both pages (a page may not use the outermost or innermost one)
    labels = _cluster(sorted(prev.bounds[:prev.n_label] + nxt.bounds[:nxt.n_label]))
    prev.bounds = labels + prev.bounds[prev.n_label:]
    prev.n_label = len(labels)
    snap = lambda x: min(prev.bounds, key=lambda b: abs(b - x))  # noqa: E731
    for row in prev.rows:
        _fill_columns(row, prev.bounds)
    for row in nxt.rows:
        for c in row:
            c.x0, c.x1 = snap(c.x0), snap(c.x1)
        _fill_columns(row, prev.bounds)
    nxt.bounds = list(prev.bounds)
    nxt.x0, nxt.x1 = prev.x0, prev.x1


def _cell_at(table: _PTable, row: int, x0: float, x1: float) -> _Cell | None:
    """The cell covering ``row`` whose horizontal extent is (x0, x1)."""
    for r in range(row, -1, -1):
        for c in table.rows[r]:
            if c.row + c.rowspan > row and abs(c.x0 - x0) <= SNAP * 2 and abs(c.x1 - x1) <= SNAP * 2:
                return c
    return None


def _cell_covering(table: _PTable, row: int, x: float) -> _Cell | None:
    """Unruled tables: the cell of ``row`` whose extent covers ``x`` (its span may differ from
    the piece below it, which was cut by the page break)."""
    for r in range(row, -1, -1):
        for c in table.rows[r]:
            if c.row + c.rowspan > row and c.x0 - SNAP <= x < c.x1 - SNAP:
                return c
    return None


def _is_new_item(text: str) -> bool:
    t = text.strip()
    return bool(_ENUMERATED.match(t) or _NUMERIC.match(t))


def _merge(prev: _PTable, nxt: _PTable, doc: Document) -> None:
    _snap_to(prev, nxt)
    rows = [list(r) for r in nxt.rows]
    # 1. header rows repeated on the new page
    k = 0
    while k < len(rows) and k < prev.nrows and rows[k] and _row_key(rows[k]) == _row_key(prev.rows[k]):
        k += 1
    if k and k < len(rows):
        rows = rows[k:]
        doc.findings.append(Finding("pdf_header_repeated", f"{nxt.origin}: {k} repeated header row(s) dropped",
                                    {"page": nxt.pages[0], "rows": k}))
    elif k:
        k = 0
    for r, row in enumerate(rows):  # re-index, clipping spans that started in dropped rows
        for c in row:
            c.row = r
    last = prev.nrows - 1
    first = rows[0] if rows else []
    pairs = [(c, _cell_at(prev, last, c.x0, c.x1) or (_cell_covering(prev, last, c.x0) if prev.bounds else None))
             for c in first]
    dropped_first = False
    if first and all(p is not None for _, p in pairs) and not any(_is_new_item(c.text) for c in first) \
            and any(c.text.strip() for c in first):
        # 2a. one row broken by the page: every cell continues the cell above
        for c, p in pairs:
            p.text = join_wrapped([p.text, c.text])
            p.rowspan += c.rowspan - 1
        for c in rows[0]:
            pass
        rows = rows[1:]
        for row in rows:
            for c in row:
                c.row -= 1
        dropped_first = True
    shift = prev.nrows
    if not dropped_first:
        # 2b. a merged (row-spanning) label split by the page break: extend the cell above
        keep: list[_Cell] = []
        for c, p in pairs:
            if p is not None and (c.rowspan > 1 or p.rowspan > 1) and (not c.text.strip() or not _is_new_item(c.text)):
                p.text = join_wrapped([p.text, c.text])
                p.rowspan += c.rowspan
                continue
            keep.append(c)
        if rows:
            rows[0] = keep
    for row in rows:
        for c in row:
            c.row += shift
    prev.rows.extend(rows)
    prev.bottom = nxt.bottom
    prev.pages.extend(nxt.pages)
    doc.findings.append(Finding("pdf_table_continued", f"{prev.origin} continues on page {nxt.pages[0]}",
                                {"pages": list(prev.pages)}))


class _Line(str):
    """A text line that remembers where it was printed (for rows split by a page break)."""
    x0: float
    x1: float
    top: float
    bottom: float

    def __new__(cls, text: str, x0: float, x1: float, top: float, bottom: float) -> "_Line":
        obj = super().__new__(cls, text)
        obj.x0, obj.x1, obj.top, obj.bottom = x0, x1, top, bottom
        return obj


def _lead_lines_into(blocks: list[tuple[int, float, Any]]) -> list[tuple[int, float, Any]]:
    """Short lines at the top of a page, before an unruled table that continues the previous
    page's, are the end of a label wrapped over the page break: make them the table's first row
    (``_merge`` then joins them to the row above, by column)."""
    out = list(blocks)
    i = 0
    while i < len(out):
        pno = out[i][0]
        j = i
        while j < len(out) and out[j][0] == pno and isinstance(out[j][2], _Line):
            j += 1
        prev = next((b for p, _t, b in reversed(out[:i]) if p == pno - 1), None) if i else None
        if i < j < len(out) and j - i <= 3 and out[j][0] == pno and isinstance(out[j][2], _PTable) \
                and i > 0 and out[i - 1][0] == pno - 1 and isinstance(prev, _PTable) and prev is out[i - 1][2] \
                and prev.bounds is not None and out[j][2].bounds is not None and _continues(prev, out[j][2]):
            t: _PTable = out[j][2]
            value_left = t.bounds[t.n_label]
            lines = [b for _p, _t, b in out[i:j]]
            if all(ln.x1 <= value_left and t.top - ln.bottom < 3 * (ln.bottom - ln.top) * len(lines) for ln in lines):
                head = [[_Cell(0, ln.x0, ln.x1, 1, str(ln), "head")] for ln in lines]
                for row in head:
                    row[0].x0 = min(t.bounds[:t.n_label + 1], key=lambda b: abs(b - row[0].x0))
                    row[0].x1 = next((b for b in t.bounds if b > row[0].x0 + 1), t.bounds[-1])
                    _fill_columns(row, t.bounds)
                joined = head[0]
                for row in head[1:]:  # several wrapped lines: one row, texts joined per column
                    for a, c in zip(joined, row):
                        a.text = join_wrapped([a.text, c.text])
                t.rows.insert(0, joined)
                for r, row in enumerate(t.rows):
                    for c in row:
                        c.row = r
                del out[i:j]
                continue
        i = max(j, i + 1)
    return out


def stitch(blocks: list[tuple[int, float, Any]], doc: Document) -> list:
    """Page-ordered blocks → Document blocks, merging a table that runs over a page break."""
    blocks = _lead_lines_into(blocks)
    merged: list[Any] = []
    prev_page = 0
    for pno, _top, b in blocks:
        new_page = pno != prev_page
        prev_page = pno
        if isinstance(b, _PTable) and new_page and merged and isinstance(merged[-1], _PTable) \
                and merged[-1].pages[-1] == pno - 1 and _continues(merged[-1], b):
            _merge(merged[-1], b, doc)
            continue
        merged.append(b)
    return [b.to_table() if isinstance(b, _PTable) else str(b) if isinstance(b, _Line) else b for b in merged]
