"""Documents without a text layer: scanned PDFs and image-only reports (图片版).

Why this design:
- By default nothing is guessed: a PDF whose pages carry no characters, or an image, yields the
  finding ``needs_ocr`` and no text, so an unread scan is visible instead of silently empty.
- With ``ExtractOptions.ocr`` the pages are rasterised (pdftoppm), deskewed, their table rulings
  found in the pixels and erased, and Tesseract (``chi_sim``) reads the words with their boxes.
  Words are put into the ruled cells with the same table builder the PDF reader uses, so an
  OCR'd table has the same shape as a typed one and the interpreter needs no special case.
- Every OCR'd document has ``provenance = "ocr"`` and the finding ``ocr_values``: no OCR value
  may pass as typed text, and the arithmetic rules are what catch misreads.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .document import Document
from .findings import Finding
from .textnorm import is_page_number, squeeze

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

DPI = 300
LANG = "chi_sim"
#: a ruling is a dark run at least this fraction of the page width (horizontal) / height (vertical);
#: vertical rules of one table row are short, but still longer than any CJK glyph stroke
MIN_H_RULE = 1 / 30
MIN_V_RULE = 1 / 60
MAX_IMAGE_PIXELS = 80_000_000


#: OCR takes 20-60 s a page: with OCR on, a reader may take this many times ``opts.timeout``
OCR_TIMEOUT_FACTOR = 10


def reader_timeout(opts) -> float:
    """The wall-clock budget of a reader that may OCR (still bounded: a factor of the setting)."""
    base = float(getattr(opts, "timeout", 60.0) or 60.0)
    return base * OCR_TIMEOUT_FACTOR if getattr(opts, "ocr", False) else base


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def handle_no_text_layer(data: bytes, opts: "ExtractOptions", doc: Document, *, pages: int, chars: int,
                         images: int) -> Document:
    """Called by the PDF reader when the pages carry (almost) no characters."""
    detail = f"{pages} page(s), {chars} characters, {images} image(s): no usable text layer"
    if not getattr(opts, "ocr", False):
        doc.findings.append(Finding("needs_ocr", detail + "; OCR is off", {"pages": pages}))
        return doc
    return ocr_pdf(data, opts, doc, pages)


def _ocr_unavailable(doc: Document, why: str) -> Document:
    doc.findings.append(Finding("needs_ocr", f"OCR requested but {why}"))
    return doc


def ocr_pdf_pages(data: bytes, opts: "ExtractOptions", doc: Document, pages: list[int]) -> list[tuple[int, float, Any]]:
    """OCR the given 1-based pages of a PDF → [(page, top, block)] (empty list on failure, with a finding)."""
    if not (tesseract_available() and shutil.which("pdftoppm")):
        _ocr_unavailable(doc, "tesseract/pdftoppm are not installed")
        return []
    work = Path(tempfile.mkdtemp(prefix="nianbao-ocr-"))
    blocks: list[tuple[int, float, Any]] = []
    try:
        src = work / "in.pdf"
        src.write_bytes(data)
        for pno in pages:
            stem = work / f"p{pno}"
            subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", "-f", str(pno), "-l", str(pno),
                            str(src), str(stem)],
                           check=True, capture_output=True, timeout=max(30.0, float(getattr(opts, "timeout", 60))))
            blocks.extend((pno, top, b) for top, b in ocr_page(stem.with_suffix(".png"), pno, doc))
    except subprocess.SubprocessError as exc:
        doc.findings.append(Finding("ocr_failed", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return blocks


def ocr_pdf(data: bytes, opts: "ExtractOptions", doc: Document, pages: int) -> Document:
    from .pdf import stitch
    if not (tesseract_available() and shutil.which("pdftoppm")):
        return _ocr_unavailable(doc, "tesseract/pdftoppm are not installed")
    blocks = ocr_pdf_pages(data, opts, doc, list(range(1, pages + 1)))
    doc.blocks = stitch(blocks, doc)
    _mark_ocr(doc)
    return doc


def _mark_ocr(doc: Document) -> None:
    doc.provenance = "ocr"
    n = sum(1 for _ in doc.lines())
    doc.findings.append(Finding("ocr_values", f"text read by Tesseract ({LANG}); {n} lines; values may be misread",
                                {"engine": "tesseract", "lang": LANG}))


def read_image(data: bytes, opts: "ExtractOptions") -> Document:
    """Entry point for ``image`` in ``api.READERS``."""
    from .limits import run_limited
    return run_limited(read_image_direct, data, opts, kind="image", timeout=reader_timeout(opts))


def read_image_direct(data: bytes, opts: "ExtractOptions") -> Document:
    doc = Document("image")
    if not getattr(opts, "ocr", False):
        doc.findings.append(Finding("needs_ocr", "an image-only report; OCR is off"))
        return doc
    if not tesseract_available():
        return _ocr_unavailable(doc, "tesseract is not installed")
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    from .pdf import stitch
    work = Path(tempfile.mkdtemp(prefix="nianbao-ocr-"))
    try:
        try:
            im = Image.open(io.BytesIO(data))
            frames = []
            for i in range(min(getattr(im, "n_frames", 1), int(getattr(opts, "max_pages", 60) or 60))):
                im.seek(i)
                frames.append(im.convert("L"))
        except Exception as exc:  # PIL raises many types, incl. DecompressionBombError
            doc.findings.append(Finding("corrupt_file", f"not a readable image: {type(exc).__name__}: {exc}"[:300]))
            return doc
        blocks: list[tuple[int, float, Any]] = []
        for pno, frame in enumerate(frames, start=1):
            png = work / f"p-{pno}.png"
            frame.save(png)
            blocks.extend((pno, top, b) for top, b in ocr_page(png, pno, doc))
        doc.blocks = stitch(blocks, doc)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _mark_ocr(doc)
    return doc


# ---------------------------------------------------------------------------------------------
# one page image → blocks


def _deskew(im):
    """Rotate by the small angle (±2°) that makes text rows and rulings horizontal."""
    import numpy as np
    from PIL import Image
    small = im.copy()
    small.thumbnail((900, 900))
    best, best_score = 0.0, -1.0
    for angle in np.arange(-2.0, 2.01, 0.1):
        arr = np.asarray(small.rotate(float(angle), fillcolor=255, resample=Image.NEAREST)) < 128
        score = float(np.var(arr.sum(axis=1)))
        if score > best_score:
            best, best_score = float(angle), score
    if abs(best) < 0.05:
        return im
    return im.rotate(best, fillcolor=255, resample=Image.BILINEAR)


def _runs(line, min_len: int) -> list[tuple[int, int]]:
    import numpy as np
    padded = np.concatenate(([0], line.astype(np.int8), [0]))
    d = np.diff(padded)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = (ends - starts) >= min_len
    return list(zip(starts[keep].tolist(), ends[keep].tolist()))


def _segments(dark, min_len: int) -> list[tuple[float, int, int, int]]:
    """Long dark runs along rows, merged across neighbouring rows: (y, x0, x1, thickness)."""
    raw = []
    for y in range(dark.shape[0]):
        for a, b in _runs(dark[y], min_len):
            raw.append((y, a, b))
    merged: list[list[float]] = []  # [y_sum, n, x0, x1, ymin, ymax]
    for y, a, b in raw:
        for m in merged[-40:]:
            if y - m[5] <= 2 and a <= m[3] + 4 and b >= m[2] - 4:
                m[0] += y
                m[1] += 1
                m[2], m[3], m[5] = min(m[2], a), max(m[3], b), y
                break
        else:
            merged.append([y, 1, a, b, y, y])
    return [(m[0] / m[1], int(m[2]), int(m[3]), int(m[5] - m[4] + 1)) for m in merged if m[5] - m[4] < 12]


def find_rulings(im) -> tuple[list[dict], Any]:
    """Edges (in points at 72 dpi) of table rulings, and the image with the rulings erased."""
    import numpy as np
    from PIL import Image
    arr = np.asarray(im)
    dark = arr < 200
    h, w = dark.shape
    scale = 72.0 / DPI
    edges: list[dict] = []
    clean = arr.copy()
    for y, x0, x1, t in _segments(dark, max(40, int(w * MIN_H_RULE))):
        edges.append({"object_type": "line", "orientation": "h", "x0": x0 * scale, "x1": x1 * scale,
                      "top": y * scale, "bottom": y * scale, "width": (x1 - x0) * scale, "height": 0.0})
        clean[max(0, int(y - t / 2) - 2): int(y + t / 2) + 3, x0:x1] = 255
    for x, y0, y1, t in _segments(dark.T, max(40, int(h * MIN_V_RULE))):
        edges.append({"object_type": "line", "orientation": "v", "x0": x * scale, "x1": x * scale,
                      "top": y0 * scale, "bottom": y1 * scale, "width": 0.0, "height": (y1 - y0) * scale})
        clean[y0:y1, max(0, int(x - t / 2) - 2): int(x + t / 2) + 3] = 255
    return edges, Image.fromarray(clean)


def _tables_from_edges(edges: list[dict]) -> list[list[tuple]]:
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges
    if not edges:
        return []
    merged = merge_edges(edges, 3, 3, 3, 3)
    inter = edges_to_intersections(merged, 3, 3)
    return cells_to_tables(intersections_to_cells(inter))


def tesseract_words(png: Path, psm: int = 6) -> list[dict]:
    """Tesseract TSV → word dicts shaped like pdfplumber chars (points at 72 dpi)."""
    proc = subprocess.run(["tesseract", str(png), "stdout", "-l", LANG, "--psm", str(psm), "tsv"],
                          capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise subprocess.SubprocessError(proc.stderr.decode("utf-8", "replace")[-300:])
    scale = 72.0 / DPI
    words = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11].strip()
        if not text or set(text) <= set("|丨l!I[]_—-"):
            continue
        left, top, width, height = (int(x) for x in parts[6:10])
        words.append({"text": text, "x0": left * scale, "x1": (left + width) * scale, "top": top * scale,
                      "bottom": (top + height) * scale, "size": max(1.0, height * scale),
                      "line": (parts[2], parts[3], parts[4]), "conf": float(parts[10])})
    # a word's box height is not the font size ("一" is a flat stroke): use the tallest word of its
    # line, so gaps between CJK words are not mistaken for column gaps
    tallest: dict[tuple, float] = {}
    for w in words:
        tallest[w["line"]] = max(tallest.get(w["line"], 0.0), w["bottom"] - w["top"])
    for w in words:
        w["size"] = max(w["size"], tallest[w["line"]])
    return words


_NOISE = "，,。、”“\"'：:;；·`‘’*_~|"


def _clean_numeric(text: str) -> str:
    """Speckles read as punctuation around a number (``0，``, ``”53``) are dropped; words are kept."""
    core = text.strip().strip(_NOISE).strip()
    if core and all(ch.isdigit() or ch in "+-－.．" for ch in core) and any(ch.isdigit() for ch in core):
        return core
    return text


def ocr_page(png: Path, pno: int, doc: Document) -> list[tuple[float, Any]]:
    """One page image → [(top, block)] like the PDF reader's pages (tables and text lines)."""
    from PIL import Image
    from .pdf import _line_groups, _line_text, build_table, is_real_table
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    im = _deskew(Image.open(png).convert("L"))
    edges, clean = find_rulings(im)
    clean_png = png.with_name(png.stem + "-clean.png")
    clean.save(clean_png)
    words = tesseract_words(clean_png)
    height = im.size[1] * 72.0 / DPI
    tables = []
    for i, cells in enumerate(_tables_from_edges(edges), start=1):
        t = build_table(cells, words, height, f"ocr page {pno} table {i}", pno)
        if t is not None and is_real_table(t) and t.nrows >= 2:
            for row in t.rows:
                for c in row:
                    c.text = _clean_numeric(c.text)
            tables.append(t)

    def inside(w: dict) -> bool:
        cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        return any(t.x0 - 1 <= cx <= t.x1 + 1 and t.top - 1 <= cy <= t.bottom + 1 for t in tables)

    out: list[tuple[float, Any]] = [(t.top, t) for t in tables]
    for line in _line_groups([w for w in words if not inside(w)]):
        text = squeeze(_line_text(line))
        if not text:
            continue
        top = min(w["top"] for w in line)
        bottom = max(w["bottom"] for w in line)
        if is_page_number(text, top > height * 0.9 or bottom < height * 0.1):
            continue
        out.append((top, text))
    out.sort(key=lambda x: x[0])
    low = [w for w in words if 0 <= w["conf"] < 60]
    if words and len(low) > len(words) * 0.3:
        doc.findings.append(Finding("ocr_low_confidence", f"page {pno}: {len(low)}/{len(words)} words below 60% confidence",
                                    {"page": pno}))
    return out
