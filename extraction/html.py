"""HTML reader: a page (or markup buried in a script) → ``Document`` of text lines and tables.

Why it is written this way:
- Portals wrap the report in layout tables, put their own metadata table (索引号/发布机构) first
  and paste Word markup (``<p>``, ``<span>``, ``<o:p>``) into cells. Only *leaf* tables (no
  table inside) become ``Table`` blocks; layout tables are walked through as text.
- Inline markup is concatenated without separators (Word splits ``行``+``政复议`` across spans);
  block elements and ``<br>`` end a line.
- Some sources are not pages at all: a JS bundle whose string literal holds the report HTML with
  escaped quotes (``<td colspan=\\"2\\">``). Such escapes are undone before parsing.
- Bounded work: lxml's parser runs with ``huge_tree`` off (depth and size limits of libxml2);
  text comes from lxml's C-level ``text_content()`` after line breaks are marked in the tree, so
  neither deep nesting nor millions of elements run Python loops per element.
"""
from __future__ import annotations

import re
from itertools import islice
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
#: text lines kept per page; a real report page has a few thousand at most
MAX_LINES = 200_000
#: slots a table's span expansion may occupy before its spans are ignored
MAX_GRID_SLOTS = 200_000
#: cells read per table (a statutory table has a few hundred)
MAX_TABLE_CELLS = 20_000
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
    if not value:
        return 1
    if value.isdigit():
        return max(1, min(int(value), _MAX_SPAN))
    try:
        return max(1, min(int(re.sub(r"\D", "", value or "") or 1), _MAX_SPAN))
    except ValueError:
        return 1


def _tag(el) -> str:
    t = el.tag
    if not isinstance(t, str):
        return ""
    return t.rsplit("}", 1)[-1].lower()


_BLOCK_LIST = tuple(sorted(BLOCK_TAGS - {"html"}))
_MARK = "\ue000"  # private use: XML-compatible, never in a real page after we strip it
_MARK_SPLIT = re.compile("\ue000T(\\d+)\ue000")


def _clean_lines(text: str) -> list[str]:
    if "\n" not in text and "  " not in text and "\t" not in text and "\xa0" not in text:
        t = text.replace("\u3000", " ").replace(_MARK, "").strip()
        return [t] if t else []
    text = text.replace("\xa0", " ").replace("\u3000", " ").replace(_MARK, "")
    out: list[str] = []
    for part in text.split("\n"):
        part = _SPACES.sub(" ", part).strip()
        if part:
            out.append(part)
    return out


def mark_breaks(root) -> None:
    """Put a line break where a block element or ``<br>`` is, so ``text_content()`` (fast, in C)
    keeps paragraph structure while inline runs (Word's split ``<span>``s) join up."""
    for el in root.iter("br"):
        el.tail = "\n" + (el.tail or "")
    for el in root.iter(*_BLOCK_LIST):
        if el is root:
            continue
        el.text = "\n" + (el.text or "")
        el.tail = "\n" + (el.tail or "")


def cell_text(el) -> str:
    """A cell's text: Word runs joined, paragraphs/``<br>`` as line breaks, blanks trimmed.

    Expects ``mark_breaks`` to have run on the tree (``read_html`` does)."""
    return "\n".join(_clean_lines(el.text_content()))


def _read_table(el, index: int, findings: list[Finding]) -> Table | None:
    rows: list[list[TableCell]] = []
    budget = MAX_TABLE_CELLS   # a hostile page of a million <td>s must cost bounded time (fuzzing)
    for tr in el.iter("tr"):
        row = [TableCell(cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan")))
               for td in islice((td for td in tr if _tag(td) in ("td", "th")), budget)]
        budget -= len(row)
        if row:
            rows.append(row)
        if budget <= 0:
            findings.append(Finding("table_truncated", f"html table {index}: more than {MAX_TABLE_CELLS} cells; "
                                    "the rest was not read"))
            break
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


def blocks_of(root, findings: list[Finding]) -> list:
    """Leaf tables become ``Table`` blocks (replaced by a marker in the tree); everything else is
    text lines in document order. Layout tables (a table holding a table) are read as text."""
    etree.strip_elements(root, *SKIP_TAGS, with_tail=False)
    mark_breaks(root)
    tables: list[Table | None] = []
    for i, t in enumerate([t for t in root.iter("table") if t.find(".//table") is None]):
        tables.append(_read_table(t, i + 1, findings))
        tail = t.tail
        t.clear()
        t.tail = tail
        t.text = f"\n{_MARK}T{i}{_MARK}\n"
    text = root.text_content()
    blocks: list = []
    parts = _MARK_SPLIT.split(text)
    for k, part in enumerate(parts):
        if k % 2 == 0:
            blocks.extend(_clean_lines(part))
            if len(blocks) > MAX_LINES:
                findings.append(Finding("document_truncated", f"page has more than {MAX_LINES} lines; "
                                        "the rest was not read"))
                return blocks[:MAX_LINES]
        else:
            tbl = tables[int(part)] if int(part) < len(tables) else None
            if tbl is not None:
                blocks.append(tbl)
    return blocks


def read_html(data: bytes, opts: "ExtractOptions | None" = None) -> Document:
    declared = getattr(opts, "declared_encoding", None) if opts is not None else None
    dec = decode(data, declared, markup=True)
    doc = Document("html", findings=list(dec.findings))
    text = unescape_script_markup(dec.text).replace(_MARK, "")
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
    doc.blocks = blocks_of(root, doc.findings)
    return doc
