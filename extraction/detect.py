"""Format detection: "2019" | "2021" | "pre2019" | "not_a_report", from what is printed.

Why labels before years: late reports reuse old layouts and 2020 reports were allowed to depart
from the format, so the year only breaks ties. Table 2's column headings decide first
(本年制发件数… → 2021; 本年新制作数量/上一年项目数量… → 2019), then table 3's 2021-only rows.
Look-alikes (政府网站工作年度报表, notices about the format, news about a report) are recognised
from their titles; phrases live in ``data/report_markers.csv``.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import labels


@dataclass
class Detection:
    format: str
    reason: str
    score2019: int = 0
    score2021: int = 0
    statutory: int = 0


def _count(text: str, phrases: tuple[str, ...]) -> int:
    return sum(1 for p in phrases if p and p in text)


def is_decoy_title(title: str | None) -> bool:
    if not title:
        return False
    t = labels.squash(title)
    return any(p in t for p in labels.markers().get("decoy", ()))


def is_report_title(title: str | None) -> bool:
    if not title:
        return False
    t = labels.squash(title)
    return any(p in t for p in labels.markers().get("report", ()))


def label_scores(full_text: str) -> tuple[int, int]:
    """(2019 score, 2021 score) from the table labels printed anywhere in the document."""
    mk = labels.markers()
    s21 = _count(full_text, mk.get("format2021", ()))
    s19 = _count(full_text, tuple(p for p in mk.get("format2019", ()) if p != "处理决定数量"))
    if "处理决定数量" in full_text.replace("本年处理决定数量", ""):
        s19 += 1
    return s19, s21


def guess_format(full_text: str, year: int | None) -> str:
    """The statutory format the labels suggest, before any table is read."""
    s19, s21 = label_scores(full_text)
    if s21 != s19:
        return "2021" if s21 > s19 else "2019"
    return "2021" if (year or 0) >= 2021 else "2019"


def detect(full_text: str, title: str | None, year: int | None, has_numbers: bool,
           title_line: str | None = None) -> Detection:
    """``full_text``: squashed text of the whole document; ``has_numbers``: table 3 had values;
    ``title_line``: the whole line the title was printed in (news and notices *about* a report
    print the report's title followed by more words: 的解读, 发布, 出炉 ...)."""
    from .meta import title_tail
    mk = labels.markers()
    tail = title_tail(title, title_line)
    if not is_decoy_title(title) and is_decoy_title(title_line):
        title = title_line
    t = full_text
    # 处理决定数量 is part of 2021's 本年处理决定数量: counted for 2019 only when printed alone
    s19, s21 = label_scores(t)
    stat = _count(t, mk.get("statutory", ()))
    if is_decoy_title(title) and not (is_report_title(title) and has_numbers):
        return Detection("not_a_report", "title is a look-alike", s19, s21, stat)
    if stat >= 3 and (s19 or s21 or has_numbers):
        if s21 > s19:
            return Detection("2021", "2021 table labels", s19, s21, stat)
        if s19 > s21:
            return Detection("2019", "2019 table labels", s19, s21, stat)
        fmt = "2021" if (year or 0) >= 2021 else "2019"
        return Detection(fmt, "table labels ambiguous; by report year", s19, s21, stat)
    benign = labels.markers().get("benign_tail", ())
    if tail and len(tail) >= 2 and not has_numbers and not any(tail.startswith(b) for b in benign):
        return Detection("not_a_report", f"title line is about a report ({tail!r} follows the title)",
                         s19, s21, stat)
    if year is not None and year <= 2018 and (is_report_title(title) or _count(t, mk.get("report", ()))):
        return Detection("pre2019", "report for a year before 2019 without statutory tables", s19, s21, stat)
    if is_report_title(title) and year is not None and year <= 2018:
        return Detection("pre2019", "old report", s19, s21, stat)
    if is_report_title(title) and year is not None:
        # A report whose tables could not be read (images, attachments) still prints the statutory
        # section headings; news quoting a report's numbers and index pages listing reports do not.
        if _count(t, mk.get("report_section", ())) < 2:
            return Detection("not_a_report", "report title, but neither statutory tables nor the report's "
                             "section headings", s19, s21, stat)
        fmt = "2021" if year >= 2021 else "2019"
        return Detection(fmt, "report title but no statutory tables found", s19, s21, stat)
    if is_report_title(title) and year is None:
        # A column name (政府信息公开年报) printed as a page's title is not a report: without a
        # year and without tables, only the old free-form sections make it one.
        if _count(t, mk.get("pre2019_section", ())) >= 3:
            return Detection("pre2019", "report title, no year, free-form report sections", s19, s21, stat)
        return Detection("not_a_report", "report-like title without year, tables or report sections",
                         s19, s21, stat)
    return Detection("not_a_report", "no statutory tables and no report title", s19, s21, stat)
