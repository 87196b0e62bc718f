"""Render cells into the official templates exactly as TRS/Hanweb portals publish them.

Why a second renderer: ``extract_render`` builds tables from ``cells.csv`` one value per column;
real portals paste the templates of 国办公开办函〔2021〕30号 and of the 2019 notice from Word, so
single-value rows of table 2 span three columns, 本年增/减 and 采购总金额 span two, the corner cell
carries the 勾稽 note, 三、本年度办理结果 spans 22 (2021) or 20 (2019) rows vertically, and every
cell is ``<td style=…><p class=MsoNormal><span style=…>…</span></p></td>`` inside a
``TRS_Editor``/``#zoom`` wrapper. Values come from the caller (real gold values in the tests).
"""
from __future__ import annotations

from extraction import spec

Cells = dict[str, "int | float | None"]

TD_STYLE = 'style="border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt" valign="center"'


def td(text: str, rowspan: int = 1, colspan: int = 1, word: bool = True) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    if not word:
        return f"<td{attrs}>{text}</td>"
    inner = (f'<p class="MsoNormal" align="center" style="text-align:center"><span style="font-size:10.5pt;'
             f'font-family:宋体">{text}</span></p>') if text else '<p class="MsoNormal"><span>&nbsp;</span></p>'
    return f"<td {TD_STYLE}{attrs}>{inner}</td>"


def _v(cells: Cells, code: str, blank: str, fmt_num=None) -> str:
    v = cells.get(code)
    if v is None:
        return blank
    if fmt_num:
        return fmt_num(code, v)
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


T3_2021 = [
    ("t3.new", ["一、本年新收政府信息公开申请数量"]),
    ("t3.carried_over", ["二、上年结转政府信息公开申请数量"]),
    ("t3.granted", ["三、本年度办理结果", "（一）予以公开"]),
    ("t3.partial", ["三、本年度办理结果", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"]),
    ("t3.denied.state_secret", ["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密"]),
    ("t3.denied.law_forbidden", ["三、本年度办理结果", "（三）不予公开", "2.其他法律行政法规禁止公开"]),
    ("t3.denied.security_stability", ["三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"]),
    ("t3.denied.third_party", ["三、本年度办理结果", "（三）不予公开", "4.保护第三方合法权益"]),
    ("t3.denied.internal_affairs", ["三、本年度办理结果", "（三）不予公开", "5.属于三类内部事务信息"]),
    ("t3.denied.process_info", ["三、本年度办理结果", "（三）不予公开", "6.属于四类过程性信息"]),
    ("t3.denied.enforcement_file", ["三、本年度办理结果", "（三）不予公开", "7.属于行政执法案卷"]),
    ("t3.denied.admin_query", ["三、本年度办理结果", "（三）不予公开", "8.属于行政查询事项"]),
    ("t3.unable.not_held", ["三、本年度办理结果", "（四）无法提供", "1.本机关不掌握相关政府信息"]),
    ("t3.unable.need_creation", ["三、本年度办理结果", "（四）无法提供", "2.没有现成信息需要另行制作"]),
    ("t3.unable.unclear", ["三、本年度办理结果", "（四）无法提供", "3.补正后申请内容仍不明确"]),
    ("t3.not_processed.petition", ["三、本年度办理结果", "（五）不予处理", "1.信访举报投诉类申请"]),
    ("t3.not_processed.duplicate", ["三、本年度办理结果", "（五）不予处理", "2.重复申请"]),
    ("t3.not_processed.publication", ["三、本年度办理结果", "（五）不予处理", "3.要求提供公开出版物"]),
    ("t3.not_processed.excessive", ["三、本年度办理结果", "（五）不予处理", "4.无正当理由大量反复申请"]),
    ("t3.not_processed.confirm", ["三、本年度办理结果", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"]),
    ("t3.other.no_correction", ["三、本年度办理结果", "（六）其他处理",
                                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"]),
    ("t3.other.no_fee", ["三、本年度办理结果", "（六）其他处理",
                         "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"]),
    ("t3.other.other", ["三、本年度办理结果", "（六）其他处理", "3.其他"]),
    ("t3.total", ["三、本年度办理结果", "（七）总计"]),
    ("t3.carried_next", ["四、结转下年度继续办理"]),
]
T3_2019 = [r for r in T3_2021 if not r[0].startswith("t3.other.")]
T3_2019.insert(20, ("t3.other", ["三、本年度办理结果", "（六）其他处理"]))
T3_COLS = spec.APPLICANT_COLUMNS
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def t3_html(cells: Cells, fmt: str, blank: str = "0", word: bool = True, numfmt=None) -> str:
    rows = T3_2021 if fmt == "2021" else T3_2019
    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">',
           "<tr>" + td(CORNER, 3, 3, word) + td("申请人情况", 1, 7, word) + "</tr>",
           "<tr>" + td("自然人", 2, 1, word) + td("法人或其他组织", 1, 5, word) + td("总计", 2, 1, word) + "</tr>",
           "<tr>" + "".join(td(x, word=word) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"))
           + "</tr>"]
    for i, (code, levels) in enumerate(rows):
        tds = []
        for depth, lab in enumerate(levels):
            prev = rows[i - 1][1] if i else []
            if depth < len(levels) - 1:
                if len(prev) > depth and prev[: depth + 1] == levels[: depth + 1]:
                    continue
                span = sum(1 for _, l in rows[i:] if l[: depth + 1] == levels[: depth + 1])
                # contiguous span
                span = 0
                for _, l in rows[i:]:
                    if l[: depth + 1] != levels[: depth + 1]:
                        break
                    span += 1
                tds.append(td(lab, span, 1, word))
            else:
                tds.append(td(lab, 1, 3 - depth, word))
        tds += [td(_v(cells, f"{code}.{c}", blank, numfmt), word=word) for c in T3_COLS]
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "".join(out)


def t4_html(cells: Cells, fmt: str, blank: str = "0", word: bool = True, numfmt=None) -> str:
    oc = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    hdr = ("<tr>" + td("行政复议", 1, 5, word) + td("行政诉讼", 1, 10, word) + "</tr>"
           "<tr>" + "".join(td(o, 2, 1, word) for o in oc) + td("未经复议直接起诉", 1, 5, word)
           + td("复议后起诉", 1, 5, word) + "</tr>" "<tr>" + "".join(td(o, word=word) for o in oc * 2) + "</tr>")
    codes = [c.code for c in spec.cells(fmt) if c.table == 4]
    vals = "".join(td(_v(cells, c, blank, numfmt), word=word) for c in codes)
    return f'<table class="MsoNormalTable" border="1">{hdr}<tr>{vals}</tr></table>'


def t2_html_2021(cells: Cells, blank: str = "0", word: bool = True, numfmt=None, split: bool = False) -> str:
    v = lambda c: _v(cells, c, blank, numfmt)  # noqa: E731
    parts = [
        ["<tr>" + td("第二十条第（一）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("本年制发件数", word=word) + td("本年废止件数", word=word)
         + td("现行有效件数", word=word) + "</tr>",
         "<tr>" + td("规章", word=word) + "".join(td(v(f"t2.regulations.{c}"), word=word)
                                               for c in ("issued", "repealed", "in_force")) + "</tr>",
         "<tr>" + td("行政规范性文件", word=word) + "".join(td(v(f"t2.normative_docs.{c}"), word=word)
                                                     for c in ("issued", "repealed", "in_force")) + "</tr>"],
        ["<tr>" + td("第二十条第（五）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("本年处理决定数量", 1, 3, word) + "</tr>",
         "<tr>" + td("行政许可", word=word) + td(v("t2.licensing.decisions"), 1, 3, word) + "</tr>"],
        ["<tr>" + td("第二十条第（六）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("本年处理决定数量", 1, 3, word) + "</tr>",
         "<tr>" + td("行政处罚", word=word) + td(v("t2.penalty.decisions"), 1, 3, word) + "</tr>",
         "<tr>" + td("行政强制", word=word) + td(v("t2.coercion.decisions"), 1, 3, word) + "</tr>"],
        ["<tr>" + td("第二十条第（八）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("本年收费金额（单位：万元）", 1, 3, word) + "</tr>",
         "<tr>" + td("行政事业性收费", word=word) + td(v("t2.fees.amount"), 1, 3, word) + "</tr>"],
    ]
    tb = '<table class="MsoNormalTable" border="1" cellspacing="0">'
    if split:
        return "".join(tb + "".join(p) + "</table>" for p in parts)
    return tb + "".join("".join(p) for p in parts) + "</table>"


def t2_html_2019(cells: Cells, blank: str = "0", word: bool = True, numfmt=None, split: bool = False,
                 amount_header: str = "采购总金额") -> str:
    v = lambda c: _v(cells, c, blank, numfmt)  # noqa: E731
    three = ("prev_count", "change", "decisions")
    parts = [
        ["<tr>" + td("第二十条第（一）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("本年新制作数量", word=word) + td("本年新公开数量", word=word)
         + td("对外公开总数量", word=word) + "</tr>"]
        + ["<tr>" + td(lab, word=word) + "".join(td(v(f"t2.{r}.{c}"), word=word) for c in ("made", "published", "total"))
           + "</tr>" for r, lab in (("regulations", "规章"), ("normative_docs", "规范性文件"))],
        ["<tr>" + td("第二十条第（五）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("上一年项目数量", word=word) + td("本年增/减", word=word)
         + td("处理决定数量", word=word) + "</tr>"]
        + ["<tr>" + td(lab, word=word) + "".join(td(v(f"t2.{r}.{c}"), word=word) for c in three) + "</tr>"
           for r, lab in (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项"))],
        ["<tr>" + td("第二十条第（六）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("上一年项目数量", word=word) + td("本年增/减", word=word)
         + td("处理决定数量", word=word) + "</tr>"]
        + ["<tr>" + td(lab, word=word) + "".join(td(v(f"t2.{r}.{c}"), word=word) for c in three) + "</tr>"
           for r, lab in (("penalty", "行政处罚"), ("coercion", "行政强制"))],
        ["<tr>" + td("第二十条第（八）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("上一年项目数量", word=word) + td("本年增/减", 1, 2, word) + "</tr>",
         "<tr>" + td("行政事业性收费", word=word) + td(v("t2.fees.prev_count"), word=word)
         + td(v("t2.fees.change"), 1, 2, word) + "</tr>"],
        ["<tr>" + td("第二十条第（九）项", 1, 4, word) + "</tr>",
         "<tr>" + td("信息内容", word=word) + td("采购项目数量", word=word) + td(amount_header, 1, 2, word) + "</tr>",
         "<tr>" + td("政府集中采购", word=word) + td(v("t2.procurement.projects"), word=word)
         + td(v("t2.procurement.amount"), 1, 2, word) + "</tr>"],
    ]
    tb = '<table class="MsoNormalTable" border="1" cellspacing="0">'
    if split:
        return "".join(tb + "".join(p) + "</table>" for p in parts)
    return tb + "".join("".join(p) for p in parts) + "</table>"


def page(title: str, fmt: str, t2: str, t3: str, t4: str, published: str = "2024-01-20",
         heading: str | None = None) -> str:
    """A TRS article page: portal chrome, the metadata table, then ``.TRS_Editor`` inside ``#zoom``."""
    p = lambda s: f'<p class="MsoNormal" style="text-indent:2em"><span style="font-family:仿宋_GB2312">{s}</span></p>'  # noqa
    h = heading if heading is not None else title
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<title>{title}_某某市人民政府</title></head><body>'
        '<div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a>政府信息公开年报</a></div>'
        '<table class="xxgk_table"><tr><td>索引号：</td><td>11320800MB1234567X/2024-00012</td>'
        '<td>主题分类：</td><td>其他</td></tr><tr><td>发布机构：</td><td>某某市人民政府办公室</td>'
        f'<td>发文日期：</td><td>{published}</td></tr></table>'
        f'<div class="article"><h2 class="title">{h}</h2><div class="info">发布时间：{published} 来源：本网</div>'
        '<div id="zoom"><div class="TRS_Editor"><style>.TRS_Editor P{line-height:2;font-size:12pt}</style>'
        + p("本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制。")
        + p("一、总体情况") + p("（一）主动公开。全年主动公开政府信息1234条。")
        + p("（二）依申请公开。全年收到政府信息公开申请56件。")
        + p("二、主动公开政府信息情况") + t2
        + p("三、收到和处理政府信息公开申请情况") + t3
        + p("四、政府信息公开行政复议、行政诉讼情况") + t4
        + p("五、存在的主要问题及改进情况") + p("一是公开内容不够全面。二是解读形式单一。")
        + p("六、其他需要报告的事项") + p("本年度未收取信息处理费。")
        + '</div></div></div><div class="footer">主办：某某市人民政府办公室 网站标识码：3208000001</div>'
        '</body></html>')
