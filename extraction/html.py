"""HTML reader: a page (or markup buried in a script) → ``Document`` of text lines and tables.

Why it is written this way:
- Portals wrap the report in layout tables, put their own metadata table (索引号/发布机构) first
  and paste Word markup (``<p>``, ``<span>``, ``<o:p>``) into cells. Only *leaf* tables (no
  table inside) become ``Table`` blocks; layout tables are walked through as text.
- Inline markup is concatenated without separators (Word splits ``行``+``政复议`` across spans);
  block elements and ``<br>`` end a line.
- Some sources are not pages at all: a JS bundle whose string literal holds the report HTML with
  escaped quotes (``<td colspan=\\"2\\">``). Such escapes are undone before parsing.
- Bounded work: lxml's parser runs with ``huge_tree`` off (depth and size limits of libxml2) and
  the walk is iterative, so a pathological page cannot exhaust the Python stack.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree
from lxml import html as lxml_html

from .document import Document, Table, TableCell
from .encoding import decode
from .findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

BLOCK_TAGS = frozenset("""
address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption
figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary
table tbody thead tfoot tr td th ul title option select textarea legend
""".split())
SKIP_TAGS = frozenset("script style noscript template iframe object embed svg canvas head button".split())
_MAX_SPAN = 200
#: elements walked per page; a real report page has far fewer (Word markup included)
MAX_ELEMENTS = 150_000
#: slots a table's span expansion may occupy before its spans are ignored
MAX_GRID_SLOTS = 200_000
_SPACES = re.compile(r"[ \t\r\f\v]+")
_ESCAPED_MARKUP = re.compile(r'<[a-zA-Z][^<>]{0,200}=\\"')


def unescape_script_markup(text: str) -> str:
    """Undo string-literal escapes when markup sits inside a JS/JSON string (``\\"``, ``\\/``, ``\\n``)."""
    head = text[:2_000_000]
    if len(_ESCAPED_MARKUP.findall(head)) < 3 and head.count("\\u003c") < 5:
        return text
    def repl(m: re.Match[str]) -> str:
        ch = m.group(1)
        if ch == "n":
            return "\n"
        if ch == "t":
            return "\t"
        if ch == "r":
            return ""
        if ch.startswith("u"):
            try:
                return chr(int(ch[1:], 16))
            except ValueError:
                return m.group(0)
        return ch
    return re.sub(r"\\(u[0-9a-fA-F]{4}|[\"'/\\ntr])", repl, text)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", value or "") or 1), _MAX_SPAN))
    except ValueError:
        return 1


def _tag(el) -> str:
    t = el.tag
    if not isinstance(t, str):
        return ""
    return t.rsplit("}", 1)[-1].lower()


class _LineBuilder:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.buf.append(text)

    def flush(self) -> None:
        if self.buf:
            line = "".join(self.buf).replace("\xa0", " ").replace("\u3000", " ")
            for part in line.split("\n"):
                part = _SPACES.sub(" ", part).strip()
                if part:
                    self.lines.append(part)
            self.buf = []


def _walk(root, on_table=None, budget: list[int] | None = None) -> list:
    """Iterative walk in document order. Returns a list of blocks (str lines and Tables).

    ``budget`` is a one-item list of elements still allowed; the walk stops when it runs out.
    """
    blocks: list = []
    lb = _LineBuilder()

    def emit_lines() -> None:
        lb.flush()
        blocks.extend(lb.lines)
        lb.lines = []

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = _tag(el)
        if budget is not None and event == "start":
            budget[0] -= 1
            if budget[0] < 0:
                break
        if event == "start":
            if not tag:  # comment / processing instruction: its tail is text of the parent
                continue
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag == "table" and on_table is not None and el.find(".//table") is None:
                emit_lines()
                tbl = on_table(el)
                if tbl is not None:
                    blocks.append(tbl)
                walker.skip_subtree()
                continue
            if tag == "br":
                lb.add("\n")
            elif tag in BLOCK_TAGS:
                lb.add("\n")
            lb.add(el.text)
        else:
            if tag in BLOCK_TAGS or tag in ("table",):
                lb.add("\n")
            if el is not root:
                lb.add(el.tail)
    emit_lines()
    return blocks


def cell_text(el) -> str:
    """A cell's text: Word runs joined, paragraphs/``<br>`` as line breaks, blanks trimmed."""
    blocks = _walk(el)
    return "\n".join(b for b in blocks if isinstance(b, str))


def _read_table(el, index: int, findings: list[Finding]) -> Table | None:
    rows: list[list[TableCell]] = []
    for tr in el.iter("tr"):
        row = [TableCell(cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan")))
               for td in tr if _tag(td) in ("td", "th")]
        if row:
            rows.append(row)
    if not rows:
        return None
    # a rowspan never reaches past the table's last row (HTML clips it); hostile spans that
    # would still blow the grid up are dropped
    slots = 0
    for r, row in enumerate(rows):
        left = len(rows) - r
        for c in row:
            c.rowspan = min(c.rowspan, left)
            slots += c.rowspan * c.colspan
    if slots > MAX_GRID_SLOTS:
        for row in rows:
            for c in row:
                c.rowspan = c.colspan = 1
        findings.append(Finding("table_spans_ignored", f"html table {index}: spans would need {slots} slots"))
    return Table(rows, origin=f"html table {index}")


def read_html(data: bytes, opts: "ExtractOptions | None" = None) -> Document:
    declared = getattr(opts, "declared_encoding", None) if opts is not None else None
    dec = decode(data, declared, markup=True)
    doc = Document("html", findings=list(dec.findings))
    text = unescape_script_markup(dec.text)
    if not text.strip():
        doc.findings.append(Finding("empty_document", "no text in the HTML source"))
        return doc
    parser = lxml_html.HTMLParser(recover=True, huge_tree=False, remove_comments=True,
                                  remove_pis=True, no_network=True)
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        doc.findings.append(Finding("html_unparsable", str(exc)[:300]))
        doc.blocks = [ln.strip() for ln in re.sub(r"<[^>]+>", "\n", text).splitlines() if ln.strip()]
        return doc
    if root is None:
        return doc
    title_el = root.find(".//title")
    if title_el is not None:
        t = re.sub(r"\s+", " ", title_el.text_content() or "").strip()
        doc.title = t or None
    counter = iter(range(1, 10_000_000))
    budget = [MAX_ELEMENTS]
    doc.blocks = _walk(root, on_table=lambda el: _read_table(el, next(counter), doc.findings), budget=budget)
    if budget[0] < 0:
        doc.findings.append(Finding("document_truncated", f"page has more than {MAX_ELEMENTS} elements; "
                                    "the rest was not read"))
    return doc
