"""Report metadata: title, report_year, agency, and where printed 索引号, 发布机构, publication date.

Why the year comes from the title: a 2020 report is published in 2021, a late one in 2022; the
publication date says nothing about the year reported on. The title is found in the container
(HTML ``<title>``, PDF properties) or in the first lines, possibly wrapped over two lines
(``2024 年上海市科委政府信息公开工作`` / ``年度报告``). Portal metadata (索引号, 发布机构, 公开日期)
sits in a label/value table or in ``label：value`` lines; labels live in ``data/meta_labels.csv``.
"""
from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache

from . import labels
from .document import Document, Table



def _alts(kind: str) -> str:
    return "|".join(re.escape(p) for p in sorted(labels.markers().get(kind, ()), key=len, reverse=True))


@lru_cache(maxsize=None)
def _title_piece() -> re.Pattern[str]:
    # bounded: a title is at most ~70 characters, and an unbounded lazy prefix is quadratic
    return re.compile(r"[^\"'“”:：,，。;；<>\s|#]{0,70}?(?:" + _alts("title_end")
                      + r")(?:[（(](?:19|20)\d{2}(?:年度?)?[)）])?")


@lru_cache(maxsize=None)
def _period() -> re.Pattern[str]:
    return re.compile(r"(?:" + _alts("period") + r")[^。]{0,20}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
#: a year printed without 年 in a title (XX局2023政府信息公开…, …年度报告（2023）)
_BARE_YEAR = re.compile(r"(?<![\d.\-/])((?:19|20)\d{2})(?![\d.\-/号])")


def _title_year(title: str) -> re.Match[str] | None:
    return _YEAR.search(title) or _BARE_YEAR.search(title)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.．]\s*(\d{1,2})\s*[-月/.．]\s*(\d{1,2})\s*日?")
_INDEX_NO = re.compile(r"\b([0-9A-Za-z]{6,20}\s*/\s*\d{4}\s*-\s*\d{3,8})\b")


@lru_cache(maxsize=None)
def meta_labels() -> tuple[tuple[str, str], ...]:
    with (labels.DATA_DIR / "meta_labels.csv").open(encoding="utf-8", newline="") as fh:
        return tuple((r["field"], labels.squash(r["label"])) for r in csv.DictReader(fh))


def _text_lines(doc: Document, limit: int | None = None) -> list[str]:
    out: list[str] = []
    for b in doc.blocks:
        if isinstance(b, str):
            out.extend(x for x in b.split("\n") if x.strip())
        if limit is not None and len(out) >= limit:
            break
    return out


def iso_date(text: str) -> str | None:
    m = _DATE.search(labels.nfkc(text or ""))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


_CN_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "0000123456789")


def cn_years(text: str) -> str:
    """二〇二〇年 → 2020年 (titles sometimes print the year in Chinese numerals)."""
    return re.sub(r"[〇零○Ｏ一二三四五六七八九]{4}(?=\s*年)", lambda m: m.group(0).translate(_CN_DIGITS), text)


_TITLE_RUN = re.compile(r"[^\"'“”:：,，。;；<>\s|#]+")


@lru_cache(maxsize=None)
def _title_end() -> re.Pattern[str]:
    return re.compile(_alts("title_end"))


def _title_pieces(text: str):
    """``_title_piece().finditer(text)`` in linear time. The lazy scan restarts at every position of
    a run that holds no title ending, which is quadratic (a megabyte line without spaces stalled
    extraction for minutes, found by tests/test_fuzz_extraction.py); pieces never cross the
    delimiters, so each run is searched only up to just past its last title ending."""
    for run in _TITLE_RUN.finditer(text):
        ends = [m.end() for m in _title_end().finditer(run.group(0))]
        if ends:
            yield from _title_piece().finditer(run.group(0)[:ends[-1] + 20])


def _title_candidates(doc: Document) -> list[tuple[str, str]]:
    """(title piece, the whole line it came from) in document order."""
    lines = _text_lines(doc, 400)[:400]
    cands: list[tuple[str, str]] = []
    sources = ([doc.title] if doc.title else []) + lines
    for i, line in enumerate(sources):
        if len(line) > 2000:  # prose or junk, not a title line
            continue
        s = cn_years(labels.squash(line))
        nxt = cn_years(labels.squash(sources[i + 1])) if i + 1 < len(sources) else ""
        for text in (s, s + nxt if len(s) < 40 and len(nxt) < 20 else ""):
            if not text:
                continue
            found_here = False
            subjects = labels.markers().get("title_subject", ())
            for m in _title_pieces(text):
                piece = m.group(0)
                if text is not s and m.start() < len(s) and any(sub in nxt for sub in subjects) \
                        and any(sub in text[m.start():len(s)] for sub in subjects):
                    # the next line is a title of its own and this one a breadcrumb (首页>政务公开),
                    # not the agency of a title wrapped over two lines
                    continue
                if any(sub in piece for sub in subjects) \
                        and 8 <= len(piece) <= 70:
                    cands.append((piece, text))
                    found_here = True
            if found_here and text is s:
                break
    return cands


def find_title_line(doc: Document) -> tuple[str | None, str | None]:
    """The report title and the whole line it was printed in (for look-alike checks)."""
    cands = _title_candidates(doc)
    if not cands:
        return None, None
    # the most often printed wins (page title, heading, breadcrumb), then the first
    dated = [(p, ln) for p, ln in cands if _title_year(p)]
    cands = dated or cands
    pieces = [p for p, _ in cands]
    counts: dict[str, int] = {}
    for p in pieces:
        counts[p] = counts.get(p, 0) + 1
    best = max(pieces, key=lambda c: (counts[c], -pieces.index(c)))
    # a title whose agency sat on the line above (淮安市人民政府 / 2024年…报告) is the same title
    longer = [p for p in pieces if p != best and p.endswith(best)]
    if longer:
        best = max(longer, key=len)
    lines = [ln for p, ln in cands if p == best]
    # prefer the line where the title stands alone (a heading) over a longer one
    return best, min(lines, key=len)


def find_title(doc: Document) -> str | None:
    return find_title_line(doc)[0]


def title_tail(title: str | None, line: str | None) -> str:
    """What the title line says after the title, minus a site-name suffix (``-沭阳县发改局``)."""
    if not title or not line or title not in line:
        return ""
    tail = line[line.index(title) + len(title):]
    tail = re.split(r"[-_|—–]", tail, maxsplit=1)[0]
    return tail.strip("（）()【】[]《》“”\"' ")


def year_of(title: str | None) -> int | None:
    if not title:
        return None
    m = _title_year(cn_years(labels.squash(title)))
    return int(m.group(1)) if m else None


def year_from_text(doc: Document) -> int | None:
    """When the title names no year: the statistical period (数据统计期限自2020年1月1日…)."""
    # joined: the period is often broken over two printed lines (…统计周期 / 为 2024 年 1 月 1 日…)
    text = "".join(cn_years(labels.squash(line)) for line in _text_lines(doc, 300)[:300] if len(line) < 2000)
    m = _period().search(text[:200_000])
    return int(m.group(1)) if m else None


def agency_of(title: str | None) -> str | None:
    """The body named in the title: before the year (XX局2020年度…) or between year and subject
    (2019年XX办公厅政府信息公开…), or before the subject when the year trails (…报告（2020年度）)."""
    if not title:
        return None
    t = re.sub(r"[（(](?:19|20)\d{2}(?:年度?)?[)）]$", "", cn_years(labels.squash(title)))
    subject = min((k for k in (t.find(p) for p in labels.markers().get("title_subject", ())) if k >= 0),
                  default=-1)
    m = _title_year(t)
    if m and (subject < 0 or m.start() < subject):
        before = t[: m.start()]
        after = re.sub(r"^度", "", t[m.end(): subject if subject > m.end() else len(t)])
        cand = before or (after if subject > m.end() else "")
    else:
        cand = t[:subject] if subject > 0 else ""
    if cand.endswith("人民") and subject > 0 and t.startswith("政府", subject):
        # XX县人民政府信息公开…: 政府 belongs to the body and to the subject at once
        cand += "政府"
    for word in labels.markers().get("title_prefix", ()):
        cand = cand.removeprefix(word).removesuffix(word)
    cand = cand.strip("-_—:：")
    return cand or None


def _label_value_pairs(doc: Document) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    lines_seen = 0
    for b in doc.blocks:
        if lines_seen > 600:
            break
        if isinstance(b, Table):
            for row in b.rows[:40]:
                for k in range(len(row) - 1):
                    lab = labels.squash(row[k].text).rstrip(":：")
                    if lab and len(lab) <= 6:
                        pairs.append((lab, row[k + 1].text.strip()))
        else:
            for line in str(b).split("\n"):
                lines_seen += 1
                for m in re.finditer(r"([\u4e00-\u9fff ]{2,6})\s*[:：]\s*([^\s：:]+(?:\s\d{1,2}:\d{2}(?::\d{2})?)?)", line):
                    pairs.append((labels.squash(m.group(1)), m.group(2).strip()))
    for k, v in doc.meta_hints.items():
        pairs.append((labels.squash(k).rstrip(":："), v))
    return pairs


def compiler(doc: Document) -> str | None:
    """``本报告由淮安市人民政府办公室根据…编制``: the office that compiled the report."""
    head = cn_years(labels.squash("".join(_text_lines(doc, 40)[:40])))
    intro, verb = _alts("compiler_intro"), _alts("compiler_verb")
    if not intro or not verb:
        return None
    m = re.search(r"(?:" + intro + r")([^，,。；;《]{2,30}?)(?:" + verb + r")", head)
    return m.group(1) if m else None


def extract_meta(doc: Document) -> dict:
    meta: dict = {}
    title, line = find_title_line(doc)
    meta["title"] = title
    meta["_title_line"] = line
    meta["report_year"] = year_of(title) or year_from_text(doc)
    meta["agency"] = agency_of(title)
    found: dict[str, str] = {}
    pairs = _label_value_pairs(doc)
    for fld, lab in meta_labels():
        if fld in found:
            continue
        for plab, val in pairs:
            if plab == lab and val:
                if fld == "published":
                    d = iso_date(val)
                    if d:
                        found[fld] = d
                        break
                elif fld == "index_no":
                    found[fld] = re.sub(r"\s+", "", val)
                    break
                else:
                    found[fld] = val
                    break
    if "index_no" not in found:
        for line in _text_lines(doc, 120)[:120]:
            m = _INDEX_NO.search(line)
            if m:
                found["index_no"] = re.sub(r"\s+", "", m.group(1))
                break
    if "publisher" not in found:
        comp = compiler(doc)
        if comp:
            found["publisher"] = comp
    if "published" not in found:
        # the signature date at the end of the report
        for line in reversed(_text_lines(doc)[-40:]):
            s = labels.squash(line)
            if re.fullmatch(r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日", s):
                d = iso_date(s)
                if d:
                    found["published"] = d
                    break
    meta.update(found)
    if meta["report_year"] is None and meta.get("title"):
        # only a document whose title names a report gets a year guessed from its body
        meta["report_year"] = year_from_body(doc, meta.get("published"))
    return meta


_BODY_YEAR = re.compile(r"(?<![〔\[(（\d])((?:19|20)\d{2})\s*年(?!\s*\d{1,2}\s*月)")


def year_from_body(doc: Document, published: str | None) -> int | None:
    """A title without a year (XX局政府信息公开工作年度报告): the year the narrative speaks of
    (``2023年，我局…`` — the most often named, dates and 〔2021〕 document numbers aside), else the
    year before an early-year publication date (reports are due by the end of January)."""
    counts: dict[int, int] = {}
    for line in _text_lines(doc, 300)[:300]:
        for m in _BODY_YEAR.finditer(cn_years(labels.squash(line))):
            y = int(m.group(1))
            counts[y] = counts.get(y, 0) + 1
    pub_year = int(published[:4]) if published else None
    if pub_year is not None:
        counts = {y: n for y, n in counts.items() if y <= pub_year}
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]  # a tie (a list of reports of many years) names no year
    if published and int(published[5:7]) <= 6:
        return int(published[:4]) - 1
    return None
