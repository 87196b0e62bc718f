"""Render a cell map (code -> number or None) into real-looking report sources, for round trips.

Why: the corpus has nine reports; the shapes the extractor must survive are many. These renderers
build each listed shape from the *official* layout in ``data/cells.csv`` (labels, column headers,
row groups), so a test knows the truth of every cell and can assert the round trip is exact.
Layout options mirror real quirks: Word markup and split labels, rowspans, tables split across
several ``<table>``s with repeated headers, GBK bytes under a lying ``<meta charset>``, JS-escaped
markup, one cell per line, a row per line, markdown fragments.
"""
from __future__ import annotations

import html as htmlmod
import random
from dataclasses import dataclass

from extraction import spec

Cells = dict[str, "int | float | None"]

T2_SECTION = {  # the 第二十条 item each table-2 row is printed under
    "regulations": "（一）", "normative_docs": "（一）", "licensing": "（五）", "other_services": "（五）",
    "penalty": "（六）", "coercion": "（六）", "fees": "（八）", "procurement": "（九）",
}


@dataclass
class Style:
    word_markup: bool = False      # <p><span>..</span><o:p></o:p></p> and labels split across spans
    split_tables: bool = False     # table 3 split into two <table>s with the header repeated
    numbering: str = "official"    # official | ascii (1. → 1、, （一）→(一)) | none
    quotes: bool = True            # “三安全一稳定” with quotes
    short_normative: bool = False  # 规范性文件 instead of 行政规范性文件
    blank: str = ""                # how a null cell is printed ("", "/", "—", "&nbsp;")
    signed_plus: bool = True       # +9 for positive changes
    amount_unit: str = "万元"       # unit printed with 2019 amounts ("万元", "元")


def random_cells(fmt: str, rng: random.Random, null_rate: float = 0.1, hybrid: bool = False) -> Cells:
    out: Cells = {}
    for c in spec.cells(fmt, include_optional=hybrid):
        if hybrid and c.row.startswith("t3.other.") and c.code.count(".") == 3:
            continue
        if rng.random() < null_rate:
            out[c.code] = None
        elif c.kind == "signed":
            out[c.code] = rng.randint(-20, 20)
        elif c.kind == "amount_wan_yuan":
            out[c.code] = round(rng.randint(0, 10_000_000) / 10_000, 4)
        else:
            out[c.code] = rng.choice([0, 0, 1, 2, 3, rng.randint(0, 5000)])
    return out


def fmt_value(code: str, v, style: Style, fmt: str) -> str:
    kind = spec.cell(fmt, code).kind
    if v is None:
        return style.blank
    if kind == "signed":
        return f"+{v}" if v > 0 and style.signed_plus else str(v)
    if kind == "amount_wan_yuan":
        num = f"{v:.4f}".rstrip("0").rstrip(".")
        if fmt == "2021":
            return num
        if style.amount_unit == "元":
            yuan = round(v * 10_000, 2)
            return (f"{yuan:.2f}".rstrip("0").rstrip(".")) + "元"
        return f"{num}万元"
    return str(v)


def row_label(c: spec.CellSpec, style: Style, level: int = -1) -> str:
    text = c.row_label.split(" [")[0].split("/")[level]
    return relabel(text, style)


def relabel(text: str, style: Style) -> str:
    if not style.quotes:
        text = text.replace("“", "").replace("”", "")
    if style.short_normative and text == "行政规范性文件":
        text = "规范性文件"
    if style.numbering == "ascii":
        text = text.replace("（", "(").replace("）", ")").replace(".", "、", 1)
    elif style.numbering == "none":
        import re
        text = re.sub(r"^(?:[（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|\d+[.、])", "", text)
    return text


# ----------------------------------------------------------------------------------- structure

def t2_sections(fmt: str) -> list[tuple[str, list[str], list[str]]]:
    """[(item heading, column labels, row codes)] in printed order."""
    out: list[tuple[str, list[str], list[str]]] = []
    for c in spec.cells(fmt):
        if c.table != 2:
            continue
        item = "第二十条第" + T2_SECTION[c.row.split(".")[1]] + "项"
        if not out or out[-1][0] != item:
            out.append((item, [], []))
        if c.col_label not in out[-1][1]:
            out[-1][1].append(c.col_label)
        if c.row not in out[-1][2]:
            out[-1][2].append(c.row)
    return out


def t3_rows(fmt: str, hybrid: bool = False) -> list[tuple[str, list[str]]]:
    """[(row code, label levels)]: levels like ['三、本年度办理结果', '（三）不予公开', '1.属于国家秘密']."""
    out: list[tuple[str, list[str]]] = []
    for row in spec.rows(fmt, 3, include_optional=hybrid):
        if fmt == "2021" and hybrid and row.startswith("t3.other."):
            continue
        if fmt == "2021" and not hybrid and row == "t3.other":
            continue
        c = next(x for x in spec.cells(fmt, include_optional=True) if x.row == row)
        out.append((row, c.row_label.split(" [")[0].split("/")))
    return out


# ----------------------------------------------------------------------------------------- HTML

def _cell(text: str, style: Style, rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    esc = htmlmod.escape(text) if text != "&nbsp;" else text
    if style.word_markup:
        if len(text) > 2 and text != "&nbsp;":
            k = len(esc) // 2
            esc = f'<span style="font-family:宋体">{esc[:k]}</span><span lang="EN-US">{esc[k:]}</span>'
        inner = f'<p class="MsoNormal" align="center"><span>{esc}</span><o:p>&nbsp;</o:p></p>' if esc \
            else '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
    else:
        inner = esc
    return f"<td{attrs}>{inner}</td>"


def html_t2(cells: Cells, fmt: str, style: Style) -> str:
    parts = ['<table border="1">']
    for item, cols, rows in t2_sections(fmt):
        parts.append(f"<tr>{_cell(item, style, colspan=len(cols) + 1)}</tr>")
        parts.append("<tr>" + _cell("信息内容", style) + "".join(_cell(relabel(c, style), style) for c in cols) + "</tr>")
        for row in rows:
            label = row_label(next(x for x in spec.cells(fmt) if x.row == row), style)
            tds = [_cell(label, style)]
            for x in spec.cells(fmt):
                if x.row == row:
                    tds.append(_cell(fmt_value(x.code, cells.get(x.code), style, fmt), style))
            parts.append("<tr>" + "".join(tds) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def _t3_header(style: Style) -> str:
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    return ("<tr>" + _cell(corner, style, rowspan=3, colspan=3) + _cell("申请人情况", style, colspan=7) + "</tr>"
            "<tr>" + _cell("自然人", style, rowspan=2) + _cell("法人或其他组织", style, colspan=5)
            + _cell("总计", style, rowspan=2) + "</tr>"
            "<tr>" + "".join(_cell(x, style) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"))
            + "</tr>")


def html_t3(cells: Cells, fmt: str, style: Style, hybrid: bool = False) -> str:
    rows = t3_rows(fmt, hybrid)
    split_at = len(rows) // 2 if style.split_tables else None
    out = ['<table border="1">', _t3_header(style)]
    for idx, (row, levels) in enumerate(rows):
        if split_at is not None and idx == split_at:
            out.append('</table><p>（续表）</p><table border="1">' + _t3_header(style))
        tds = []
        for depth in range(len(levels)):
            prefix = levels[: depth + 1]
            starts = idx == 0 or t3_prefix(rows, idx - 1, depth) != prefix or (split_at is not None and idx == split_at)
            if not starts:
                continue
            if depth == len(levels) - 1:
                tds.append(_cell(relabel(levels[depth], style), style, colspan=3 - depth))
            else:
                span = 1
                k = idx + 1
                while k < len(rows) and t3_prefix(rows, k, depth) == prefix and \
                        not (split_at is not None and k == split_at):
                    span += 1
                    k += 1
                tds.append(_cell(relabel(levels[depth], style), style, rowspan=span))
        for col in spec.APPLICANT_COLUMNS:
            code = f"{row}.{col}"
            tds.append(_cell(fmt_value(code, cells.get(code), style, fmt), style))
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


def t3_prefix(rows, idx: int, depth: int) -> list[str] | None:
    levels = rows[idx][1]
    return levels[: depth + 1] if len(levels) > depth + 1 else None


def html_t4(cells: Cells, fmt: str, style: Style) -> str:
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    hdr = ("<tr>" + _cell("行政复议", style, colspan=5) + _cell("行政诉讼", style, colspan=10) + "</tr>"
           "<tr>" + "".join(_cell(o, style, rowspan=2) for o in outcomes)
           + _cell("未经复议直接起诉", style, colspan=5) + _cell("复议后起诉", style, colspan=5) + "</tr>"
           "<tr>" + "".join(_cell(o, style) for o in outcomes * 2) + "</tr>")
    vals = "".join(_cell(fmt_value(c.code, cells.get(c.code), style, fmt), style)
                   for c in spec.cells(fmt) if c.table == 4)
    return f'<table border="1">{hdr}<tr>{vals}</tr></table>'


def render_html(cells: Cells, fmt: str, title: str, style: Style | None = None, hybrid: bool = False,
                meta_table: bool = True, charset: str = "utf-8") -> str:
    style = style or Style()
    meta = ""
    if meta_table:
        meta = ('<table class="table_content"><tr><td>名称</td><td colspan="3">' + title + "</td></tr>"
                "<tr><td>索引号</td><td>014314799/2024-00002</td><td>分类</td><td>信息公开年报</td></tr>"
                "<tr><td>发布机构</td><td>某某局</td><td>公开日期</td><td>2024-01-17</td></tr></table>")
    body = (f"<h1>{title}</h1><p>一、总体情况</p><p>本年度，我局认真贯彻落实《条例》，主动公开信息120条。</p>"
            "<p>二、主动公开政府信息情况</p>" + html_t2(cells, fmt, style)
            + "<p>三、收到和处理政府信息公开申请情况</p>" + html_t3(cells, fmt, style, hybrid)
            + "<p><br/>四、政府信息公开行政复议、行政诉讼情况</p>" + html_t4(cells, fmt, style)
            + "<p>五、存在的主要问题及改进情况</p><p>一是公开质量有待提高，2024年将改进。</p>"
            "<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>")
    return (f'<!doctype html><html><head><meta charset="{charset}"><title>{title}-某某门户</title></head>'
            f"<body><div class=\"head\">{meta}</div><div class=\"content\">{body}</div></body></html>")


# ----------------------------------------------------------------------------------------- text

def text_blocks(cells: Cells, fmt: str, title: str, style: Style | None = None) -> list[list[str]]:
    """Rows of cells in printed order (headings as one-cell rows): the base of every text layout."""
    style = style or Style()
    rows: list[list[str]] = [[title], ["一、总体情况"], ["本年度，我局主动公开信息120条。"],
                             ["二、主动公开政府信息情况"]]
    for item, cols, codes in t2_sections(fmt):
        rows.append([item])
        rows.append(["信息内容"] + [relabel(c, style) for c in cols])
        for row in codes:
            c0 = next(x for x in spec.cells(fmt) if x.row == row)
            rows.append([row_label(c0, style)] + [fmt_value(x.code, cells.get(x.code), style, fmt)
                                                  for x in spec.cells(fmt) if x.row == row])
    rows.append(["三、收到和处理政府信息公开申请情况"])
    rows.append(["申请人情况"])
    rows.append(["自然人", "法人或其他组织", "总计"])
    rows.append(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])
    last_groups: list[str] = []
    for row, levels in t3_rows(fmt):
        for g in levels[:-1]:
            if g not in last_groups:
                rows.append([relabel(g, style)])
        last_groups = levels[:-1]
        rows.append([relabel(levels[-1], style)] + [fmt_value(f"{row}.{c}", cells.get(f"{row}.{c}"), style, fmt)
                                                   for c in spec.APPLICANT_COLUMNS])
    rows.append(["四、政府信息公开行政复议、行政诉讼情况"])
    rows.append(["行政复议", "行政诉讼"])
    rows.append(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3)
    rows.append([fmt_value(c.code, cells.get(c.code), style, fmt) for c in spec.cells(fmt) if c.table == 4])
    rows.append(["五、存在的主要问题及改进情况"])
    rows.append(["一是公开质量有待提高。"])
    return rows


def render_one_cell_per_line(cells: Cells, fmt: str, title: str, style: Style | None = None) -> str:
    return "\n\n".join(cell for row in text_blocks(cells, fmt, title, style) for cell in row) + "\n"


def render_row_per_line(cells: Cells, fmt: str, title: str, style: Style | None = None, sep: str = " ") -> str:
    """A row's cells share a line (``sep`` " ", "\t" or runs of spaces as in ``pdftotext -layout``)."""
    style = style or Style(blank="—")
    return "\n".join(sep.join(row) for row in text_blocks(cells, fmt, title, style)) + "\n"


def render_markdown(cells: Cells, fmt: str, title: str, style: Style | None = None,
                    drop_labels: set[str] | None = None) -> str:
    """Pipe tables; ``drop_labels``: row codes whose label is lost (the row keeps only numbers)."""
    style = style or Style()
    out: list[str] = []
    drop = drop_labels or set()
    label_to_code = {relabel(levels[-1], style): row for row, levels in t3_rows(fmt)}
    for row in text_blocks(cells, fmt, title, style):
        if len(row) == 1:
            out.append(row[0])
            continue
        if label_to_code.get(row[0]) in drop:
            row = row[1:]
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


def wrong_cells(truth: Cells, got: dict) -> dict:
    """Cells of ``truth`` that ``got`` misses or gets wrong: code -> (truth, got).

    A null must come back as null (a missing cell counts as wrong); numbers must agree to 1e-6.
    """
    out = {}
    for c, v in truth.items():
        g = got.get(c, "MISSING")
        if v is None or g is None or g == "MISSING":
            if not (v is None and g is None):
                out[c] = (v, g)
        elif abs(float(g) - float(v)) > 1e-6:
            out[c] = (v, g)
    return out
