"""DOCX reader (python-docx + its lxml tree): paragraphs and tables in body order, merged cells kept.

Why walk the XML instead of ``Document.tables``: python-docx's table API repeats a merged cell in
every grid slot it covers and loses the body order between paragraphs and tables. The statutory
tables rely on ``gridSpan`` (merged columns) and ``vMerge`` (merged rows, e.g. the vertical
``三、本年度办理结果`` label); we turn them into ``TableCell`` colspan/rowspan exactly as printed.
A table nested in a cell becomes its own ``Table`` right after its parent; a one-column table
that only lays out the page (a frame around the whole report) is unwrapped into its contents.
"""
from __future__ import annotations

import io
import zipfile
from typing import TYPE_CHECKING, Any

from .document import Block, Document, Table, TableCell
from .findings import Finding
from .textnorm import join_wrapped, squeeze

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: refuse archives that inflate beyond this (bytes) or by more than this ratio — zip bombs
MAX_UNZIPPED = 300 * 1024 * 1024
MAX_RATIO = 200
#: grid columns narrower than this (twips, 1/1440 inch) are edge misalignments, not columns
SLIVER_TWIPS = 30
#: tables nested deeper than this are read as text only
MAX_NESTING = 8


def read_docx(data: bytes, opts: "ExtractOptions") -> Document:
    """Entry point registered in ``api.READERS``: the real reader under time/memory limits."""
    from .limits import run_limited
    return run_limited(read_docx_direct, data, opts, kind="docx")


def check_zip(data: bytes) -> Finding | None:
    """A finding when the archive is not a readable zip or would inflate into a bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        return Finding("corrupt_file", f"not a readable DOCX (zip): {exc}"[:300])
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNZIPPED or (total > 20 * 1024 * 1024 and total / packed > MAX_RATIO):
        return Finding("zip_bomb", f"the DOCX would inflate to {total} bytes from {len(data)}; not read",
                       {"unzipped": total, "size": len(data)})
    if not any(i.filename == "word/document.xml" for i in infos):
        return Finding("corrupt_file", "zip archive without word/document.xml")
    return None


def read_docx_direct(data: bytes, opts: "ExtractOptions | None" = None, kind: str = "docx") -> Document:
    doc = Document(kind)
    bad = check_zip(data)
    if bad is not None:
        doc.findings.append(bad)
        return doc
    import docx  # python-docx
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:
        doc.findings.append(Finding("corrupt_file", f"python-docx cannot open it: {type(exc).__name__}: {exc}"[:300]))
        return doc
    try:
        doc.title = squeeze(d.core_properties.title or "") or None
    except Exception:
        doc.title = None
    body = d.element.body
    counter = [0]
    doc.blocks = _blocks(body, counter, depth=0, doc=doc)
    return doc


def _local(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[len(W):] if tag.startswith(W) else tag


def _para_text(p: Any) -> str:
    """Visible text of a ``w:p``: runs, hyperlinks, fields' results; tabs/breaks as separators."""
    parts: list[str] = []
    for el in p.iter():
        name = _local(el)
        if name == "t" and el.text:
            parts.append(el.text)
        elif name in ("tab", "ptab"):
            parts.append(" ")
        elif name in ("br", "cr"):
            parts.append("\n")
        elif name == "tbl":  # never inside a paragraph, but be safe
            break
    return "".join(parts)


def _blocks(container: Any, counter: list[int], depth: int, doc: Document) -> list[Block]:
    """Paragraphs and tables of a body / cell / sdtContent, in order."""
    out: list[Block] = []
    for el in container.iterchildren():
        name = _local(el)
        if name == "p":
            for line in _para_text(el).split("\n"):
                line = squeeze(line)
                if line:
                    out.append(line)
        elif name == "tbl":
            out.extend(_table(el, counter, depth, doc))
        elif name in ("sdt", "customXml", "smartTag"):
            content = el.find(f"{W}sdtContent") if name == "sdt" else el
            if content is not None:
                out.extend(_blocks(content, counter, depth, doc))
    return out


def _int_attr(el: Any, child: str, default: int = 0) -> int:
    if el is None:
        return default
    c = el.find(f"{W}{child}")
    if c is None:
        return default
    try:
        return int(c.get(f"{W}val", default))
    except (TypeError, ValueError):
        return default


def _table(tbl: Any, counter: list[int], depth: int, doc: Document) -> list[Block]:
    counter[0] += 1
    number = counter[0]
    # 1. the grid: every w:tc placed at (row, first column) with its colspan and vMerge state
    grid: list[list[dict]] = []
    nested_after: list[Block] = []
    for tr in tbl.iterchildren(f"{W}tr"):
        trpr = tr.find(f"{W}trPr")
        col = _int_attr(trpr, "gridBefore")
        row: list[dict] = []
        if col:
            row.append({"col": 0, "span": col, "vmerge": None, "blocks": [], "pad": True})
        for tc in _row_cells(tr):
            tcpr = tc.find(f"{W}tcPr")
            span = max(1, _int_attr(tcpr, "gridSpan", 1))
            vm = tcpr.find(f"{W}vMerge") if tcpr is not None else None
            vmerge = None if vm is None else (vm.get(f"{W}val") or "continue")
            if depth < MAX_NESTING:
                content = _blocks(tc, counter, depth + 1, doc)
            else:
                content = [squeeze(" ".join(_para_text(p) for p in tc.iter(f"{W}p")))]
            row.append({"col": col, "span": span, "vmerge": vmerge, "blocks": content, "pad": False})
            col += span
        grid.append(row)
    if not grid:
        return []
    _snap_slivers(tbl, grid)
    ncols = max((c["col"] + c["span"] for r in grid for c in r), default=0)
    # 2. a layout frame (one column, or one cell): unwrap it
    if ncols <= 1 or all(len(r) <= 1 for r in grid):
        out: list[Block] = []
        for r in grid:
            for c in r:
                out.extend(c["blocks"])
        return out
    # 3. vMerge continuation cells extend the restart cell above them in the same grid column
    origin: dict[int, dict] = {}
    for r in grid:
        for c in r:
            c["rowspan"] = 1
            if c["vmerge"] == "continue" and c["col"] in origin:
                top = origin[c["col"]]
                top["rowspan"] += 1
                c["merged_into"] = top
                _extend_text(top, c)
            else:
                origin[c["col"]] = c
        covered = {c["col"] for c in r}
        for col in list(origin):  # a column with no cell in this row ends any merge there
            if col not in covered:
                origin.pop(col)
    rows: list[list[TableCell]] = []
    for r in grid:
        line: list[TableCell] = []
        for c in r:
            if "merged_into" in c:
                continue
            texts = [b for b in c["blocks"] if isinstance(b, str)]
            for b in c["blocks"]:
                if isinstance(b, Table):
                    nested_after.append(b)
            line.append(TableCell(join_wrapped(texts), rowspan=c["rowspan"], colspan=c["span"]))
        rows.append(line)
    if nested_after:
        doc.findings.append(Finding("docx_nested_table", f"docx table {number} holds {len(nested_after)} nested table(s)"))
    return [Table(rows, origin=f"docx table {number}"), *nested_after]


def _snap_slivers(tbl: Any, grid: list[list[dict]]) -> None:
    """Merge grid columns narrower than ``SLIVER_TWIPS`` into their neighbour.

    Why: a DOC converted by LibreOffice (and many Word files edited over years) stores a 1-twip
    column where two rows' cell edges almost line up; left alone, one printed column becomes two
    grid columns and every header above it is off by one.
    """
    tg = tbl.find(f"{W}tblGrid")
    if tg is None:
        return
    widths = []
    for gc in tg.iterchildren(f"{W}gridCol"):
        try:
            widths.append(int(float(gc.get(f"{W}w", "0"))))
        except ValueError:
            widths.append(0)
    if not widths or not any(0 < w < SLIVER_TWIPS for w in widths):
        return
    bounds = [0]
    for w in widths:
        bounds.append(bounds[-1] + max(0, w))
    index: list[int] = []
    last_kept = None
    k = -1
    for b in bounds:
        if last_kept is None or b - last_kept >= SLIVER_TWIPS:
            k += 1
            last_kept = b
        index.append(k)
    top = len(index) - 1
    for row in grid:
        for c in row:
            start, end = c["col"], c["col"] + c["span"]
            if end > top:  # a row wider than tblGrid: leave it alone
                return
    for row in grid:
        for c in row:
            start, end = index[c["col"]], index[c["col"] + c["span"]]
            c["col"], c["span"] = start, max(1, end - start)


def _extend_text(top: dict, cont: dict) -> None:
    """Text typed into a vMerge continuation cell is shown by Word inside the merged cell."""
    extra = [b for b in cont["blocks"] if isinstance(b, str)]
    if extra:
        top["blocks"] = [*top["blocks"], *extra]
    tables = [b for b in cont["blocks"] if isinstance(b, Table)]
    if tables:
        top["blocks"] = [*top["blocks"], *tables]


def _row_cells(tr: Any):
    """``w:tc`` children of a row, including those wrapped in ``w:sdt`` / ``w:customXml``."""
    for el in tr.iterchildren():
        name = _local(el)
        if name == "tc":
            yield el
        elif name in ("sdt", "customXml"):
            content = el.find(f"{W}sdtContent") if name == "sdt" else el
            if content is not None:
                yield from (c for c in content.iterchildren(f"{W}tc"))
