"""Generate non-HTML report fixtures from real gold values with real tools.

Why generated and not committed: the truth is the corpus ``gold.json`` (real numbers of a real
report); python-docx writes them into the official 2021 table layout with real merged cells
(``gridSpan``/``vMerge``), LibreOffice turns that DOCX into a PDF and a DOC, pdftoppm rasterises
the PDF and we add noise to make a scan. Each conversion runs once per test session (cached
here, in a temporary directory) because LibreOffice is slow.

Also usable by hand: ``python3 tests/docgen.py OUTDIR`` writes every kind for one corpus entry.
"""
from __future__ import annotations

import functools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extraction import spec  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
APPLICANT_HEADERS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def load_gold(slug: str) -> dict:
    return json.loads((CORPUS / slug / "gold.json").read_text(encoding="utf-8"))


def printed(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------------
# layout: the official 2021 tables as rows of (text, rowspan, colspan), plus where each code sits


def table2_rows(cells: dict) -> list[list[tuple[str, int, int]]]:
    v = lambda code: printed(cells.get(code))  # noqa: E731
    return [
        [("第二十条第（一）项", 1, 4)],
        [("信息内容", 1, 1), ("本年制发件数", 1, 1), ("本年废止件数", 1, 1), ("现行有效件数", 1, 1)],
        [("规章", 1, 1), (v("t2.regulations.issued"), 1, 1), (v("t2.regulations.repealed"), 1, 1), (v("t2.regulations.in_force"), 1, 1)],
        [("行政规范性文件", 1, 1), (v("t2.normative_docs.issued"), 1, 1), (v("t2.normative_docs.repealed"), 1, 1), (v("t2.normative_docs.in_force"), 1, 1)],
        [("第二十条第（五）项", 1, 4)],
        [("信息内容", 1, 1), ("本年处理决定数量", 1, 3)],
        [("行政许可", 1, 1), (v("t2.licensing.decisions"), 1, 3)],
        [("第二十条第（六）项", 1, 4)],
        [("信息内容", 1, 1), ("本年处理决定数量", 1, 3)],
        [("行政处罚", 1, 1), (v("t2.penalty.decisions"), 1, 3)],
        [("行政强制", 1, 1), (v("t2.coercion.decisions"), 1, 3)],
        [("第二十条第（八）项", 1, 4)],
        [("信息内容", 1, 1), ("本年收费金额（单位：万元）", 1, 3)],
        [("行政事业性收费", 1, 1), (v("t2.fees.amount"), 1, 3)],
    ]


def table2_rows_2019(cells: dict) -> list[list[tuple[str, int, int]]]:
    """Table 2 of the 2019 format notice (five sub-tables, signed 本年增/减 columns)."""
    v = lambda code: printed(cells.get(code))  # noqa: E731
    three = ("上一年项目数量", "本年增/减", "处理决定数量")
    rows: list[list[tuple[str, int, int]]] = [
        [("第二十条第（一）项", 1, 4)],
        [("信息内容", 1, 1), ("本年新制作数量", 1, 1), ("本年新公开数量", 1, 1), ("对外公开总数量", 1, 1)],
    ]
    for label, row in (("规章", "regulations"), ("规范性文件", "normative_docs")):
        rows.append([(label, 1, 1), *((v(f"t2.{row}.{c}"), 1, 1) for c in ("made", "published", "total"))])
    for item, pairs in (("第二十条第（五）项", (("行政许可", "licensing"), ("其他对外管理服务事项", "other_services"))),
                        ("第二十条第（六）项", (("行政处罚", "penalty"), ("行政强制", "coercion")))):
        rows.append([(item, 1, 4)])
        rows.append([("信息内容", 1, 1), *((h, 1, 1) for h in three)])
        for label, row in pairs:
            rows.append([(label, 1, 1), *((v(f"t2.{row}.{c}"), 1, 1) for c in ("prev_count", "change", "decisions"))])
    rows += [
        [("第二十条第（八）项", 1, 4)],
        [("信息内容", 1, 1), ("上一年项目数量", 1, 1), ("本年增/减", 1, 2)],
        [("行政事业性收费", 1, 1), (v("t2.fees.prev_count"), 1, 1), (v("t2.fees.change"), 1, 2)],
        [("第二十条第（九）项", 1, 4)],
        [("信息内容", 1, 1), ("采购项目数量", 1, 1), ("采购总金额", 1, 2)],
        [("政府集中采购", 1, 1), (v("t2.procurement.projects"), 1, 1), (v("t2.procurement.amount"), 1, 2)],
    ]
    return rows


def is_hybrid(cells: dict) -> bool:
    return cells.get("t3.other.total") is not None


def table3_row_specs(cells: dict, fmt: str = "2021") -> list[tuple[str, list[str]]]:
    """(row code, label levels) in printed order for table 3 (2021 hybrid aware; 2019 as is)."""
    hybrid = is_hybrid(cells) or fmt == "2019"
    seen: dict[str, list[str]] = {}
    for c in spec.cells(fmt, include_optional=True):
        if c.table != 3:
            continue
        row = c.row
        if row.startswith("t3.other"):
            single = row == "t3.other"
            if single != hybrid:
                continue
        seen.setdefault(row, c.row_label.split("/"))
    return list(seen.items())


def table3_rows(cells: dict, fmt: str = "2021") -> list[list[tuple[str, int, int]]]:
    specs = table3_row_specs(cells, fmt)
    rows: list[list[tuple[str, int, int]]] = [
        [(T3_NOTE, 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [(h, 1, 1) for h in APPLICANT_HEADERS[1:6]],
    ]
    # how many rows each level-0 / level-1 group spans
    count0: dict[str, int] = {}
    count1: dict[tuple[str, str], int] = {}
    for _, levels in specs:
        if len(levels) >= 2:
            count0[levels[0]] = count0.get(levels[0], 0) + 1
        if len(levels) == 3:
            count1[(levels[0], levels[1])] = count1.get((levels[0], levels[1]), 0) + 1
    done0: set[str] = set()
    done1: set[tuple[str, str]] = set()
    for row, levels in specs:
        line: list[tuple[str, int, int]] = []
        if len(levels) == 1:
            line.append((levels[0], 1, 3))
        else:
            if levels[0] not in done0:
                done0.add(levels[0])
                line.append((levels[0], count0[levels[0]], 1))
            if len(levels) == 2:
                line.append((levels[1], 1, 2))
            else:
                key = (levels[0], levels[1])
                if key not in done1:
                    done1.add(key)
                    line.append((levels[1], count1[key], 1))
                line.append((levels[2], 1, 1))
        line.extend((printed(cells.get(f"{row}.{col}")), 1, 1) for col in spec.APPLICANT_COLUMNS)
        rows.append(line)
    return rows


def table4_rows(cells: dict) -> list[list[tuple[str, int, int]]]:
    heads = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*((h, 2, 1) for h in heads), ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(h, 1, 1) for h in heads * 2],
        [(printed(cells.get(f"t4.{g}.{c}")), 1, 1) for g in spec.REVIEW_GROUPS for c in spec.REVIEW_COLUMNS],
    ]


# ---------------------------------------------------------------------------------------------
# DOCX with python-docx


def _fill_table(document, rows: list[list[tuple[str, int, int]]], repeat_header: int = 0, row_height_cm: float | None = None,
                ruled: bool = True, label_cols: int = 0, label_cm: float | None = None, vcenter: bool = False,
                text_cm: float = 15.2):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    ncols = sum(cs for _, _, cs in rows[0])
    table = document.add_table(rows=len(rows), cols=ncols)
    if ruled:
        table.style = "Table Grid"
    # collect every cell once (table.cell() is O(cells) per call), write the texts, then merge:
    # merged regions never overlap, so the collected cells stay valid
    flat = table._cells
    grid = [flat[r * ncols:(r + 1) * ncols] for r in range(len(rows))]
    occupied: set[tuple[int, int]] = set()
    merges = []
    for r, line in enumerate(rows):
        c = 0
        for text, rs, cs in line:
            while (r, c) in occupied:
                c += 1
            cell = grid[r][c]
            cell.text = text
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9)
            if rs > 1 or cs > 1:
                merges.append((cell, grid[r + rs - 1][c + cs - 1]))
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            c += cs
    if label_cm and label_cols:
        # narrow (or wide) label columns: every cell of the column gets the width (Word/LO read tcW)
        # the other columns share what is left of the text width (A4/Letter portrait: 15.2 cm)
        table.autofit = False
        rest = max(1.0, (text_cm - label_cols * label_cm) / max(1, ncols - label_cols))
        widths = [label_cm] * label_cols + [rest] * (ncols - label_cols)
        for c, w in enumerate(widths):
            table.columns[c].width = Cm(w)  # w:gridCol, what LibreOffice lays out by
        for r in range(len(rows)):
            for c, w in enumerate(widths):
                grid[r][c].width = Cm(w)
    for a, b in merges:
        a.merge(b)
    if vcenter:
        from docx.enum.table import WD_ALIGN_VERTICAL
        for cell in table._cells:
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    for r, row in enumerate(table.rows):
        if row_height_cm:
            row.height = Cm(row_height_cm)
        if r < repeat_header:
            trpr = row._tr.get_or_add_trPr()
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            trpr.append(el)
    return table


#: layout variants for unruled/ruled PDF fixtures: label column width (cm), cells centred
#: vertically, every page landscape, page numbers in the footer
STYLES: dict[str, dict] = {
    "": {},
    "narrow": {"label_cm": 1.2, "page_numbers": True},
    "wide": {"label_cm": 2.2},
    "centred": {"vcenter": True, "page_numbers": True},
    "landscape": {"landscape_all": True, "label_cm": 2.0, "page_numbers": True},
}


def _page_number_footer(section) -> None:
    """``- N -`` centred in the footer (a PAGE field), as most reports print it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    section.footer.is_linked_to_previous = False
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("- ")
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText" if text == "PAGE" else "w:t")
            el.text = text
        run._r.append(el)
    p.add_run(" -")


def write_docx(gold: dict, path: Path, *, repeat_header: bool = True, landscape_t4: bool = True,
               nested: bool = False, ruled: bool = True, style: str = "") -> Path:
    """A report in the official layout: title, sections, tables 2-4 with merged cells.

    ``nested`` wraps table 2 in a one-cell layout table (a frame some portals' DOCX use);
    ``style`` picks a layout variant from ``STYLES``.
    """
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    meta, cells = gold["meta"], gold["cells"]
    st = STYLES[style]
    d = docx.Document()
    d.core_properties.title = meta["title"]
    if st.get("landscape_all"):
        sec = d.sections[0]
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
        landscape_t4 = False
    if st.get("page_numbers"):
        _page_number_footer(d.sections[0])
    look = {"label_cm": st.get("label_cm"), "vcenter": st.get("vcenter", False),
            "text_cm": 22.0 if st.get("landscape_all") else 15.2}
    p = d.add_paragraph(meta["title"])
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    year = meta["report_year"]
    d.add_paragraph(f"本报告由{meta.get('publisher') or meta['agency']}根据《中华人民共和国政府信息公开条例》要求编制。"
                    f"报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。")
    d.add_paragraph("一、总体情况")
    for i in range(6):
        d.add_paragraph(f"{year}年，{meta['agency']}坚持以人民为中心，持续推进政务公开工作第{i + 1}项举措，"
                        "不断提升政府信息公开质量和实效，切实保障人民群众知情权、参与权、表达权和监督权。")
    d.add_paragraph("二、主动公开政府信息情况")
    if nested:
        frame = d.add_table(rows=1, cols=1)
        inner_cell = frame.cell(0, 0)
        inner_cell.text = "表二"
        inner = inner_cell.add_table(rows=1, cols=1)
        _nest_rows(inner, table2_rows(cells))
    else:
        _fill_table(d, table2_rows_2019(cells) if meta["format"] == "2019" else table2_rows(cells), ruled=ruled,
                    label_cols=1, **look)
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    _fill_table(d, table3_rows(cells, meta["format"]), repeat_header=3 if repeat_header else 0, row_height_cm=1.0, ruled=ruled,
                label_cols=3, **look)
    if landscape_t4:
        sec = d.add_section()
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _fill_table(d, table4_rows(cells), ruled=ruled, vcenter=look["vcenter"])
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph("政务公开工作仍存在一些不足，下一步将持续改进。")
    d.add_paragraph("六、其他需要报告的事项")
    d.add_paragraph(f"{year}年，本机关未收取政府信息公开信息处理费。")
    d.save(str(path))
    return path


def _nest_rows(inner, rows) -> None:
    """Rebuild ``inner`` (a 1x1 table inside a cell) as the full table 2 with merges."""
    ncols = sum(cs for _, _, cs in rows[0])
    for _ in range(ncols - 1):
        inner.add_column(inner._parent.width if hasattr(inner._parent, "width") else 1000)
    for _ in range(len(rows) - 1):
        inner.add_row()
    inner.style = "Table Grid"
    occupied: set[tuple[int, int]] = set()
    for r, line in enumerate(rows):
        c = 0
        for text, rs, cs in line:
            while (r, c) in occupied:
                c += 1
            cell = inner.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(inner.cell(r + rs - 1, c + cs - 1))
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            cell.text = text
            c += cs


# ---------------------------------------------------------------------------------------------
# LibreOffice, pdftoppm, noise


def soffice_convert(src: Path, fmt: str, outdir: Path, timeout: float = 180) -> Path:
    """``soffice --headless --convert-to FMT`` with a private profile (parallel-safe)."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        subprocess.run(cmd, check=True, timeout=timeout, capture_output=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if not out.exists():
        raise RuntimeError(f"LibreOffice did not write {out}")
    return out


def scan_pdf(pdf: Path, out: Path, dpi: int = 200, seed: int = 7, rotate: float = 0.4) -> Path:
    """Rasterise with pdftoppm, add speckle noise and a slight skew, save an image-only PDF."""
    from PIL import Image, ImageFilter

    tmp = Path(tempfile.mkdtemp(prefix="scan-"))
    try:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(tmp / "p")],
                       check=True, timeout=180, capture_output=True)
        rng = random.Random(seed)
        pages = []
        for png in sorted(tmp.glob("p*.png")):
            im = Image.open(png).convert("L")
            px = im.load()
            w, h = im.size
            for _ in range(w * h // 400):  # salt and pepper
                px[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 255))
            im = im.rotate(rotate, expand=False, fillcolor=255, resample=Image.BILINEAR)
            im = im.filter(ImageFilter.GaussianBlur(0.4))
            pages.append(im.convert("RGB"))
        pages[0].save(str(out), "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def first_page_png(pdf: Path, out: Path, dpi: int = 200) -> Path:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf),
                    str(out.with_suffix(""))], check=True, timeout=120, capture_output=True)
    return out


# ---------------------------------------------------------------------------------------------
# cached per session


@functools.lru_cache(maxsize=None)
def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="nianbao-docgen-"))


@functools.lru_cache(maxsize=None)
def docx_fixture(slug: str, repeat_header: bool = True, nested: bool = False, ruled: bool = True, style: str = "") -> Path:
    name = (f"{slug}{'-rh' if repeat_header else ''}{'-nested' if nested else ''}{'' if ruled else '-unruled'}"
            f"{'-' + style if style else ''}.docx")
    return write_docx(load_gold(slug), workdir() / name, repeat_header=repeat_header, nested=nested, ruled=ruled,
                      style=style)


@functools.lru_cache(maxsize=None)
def pdf_fixture(slug: str, repeat_header: bool = True, ruled: bool = True, style: str = "") -> Path:
    src = docx_fixture(slug, repeat_header, ruled=ruled, style=style)
    out = workdir() / ("pdf-" + src.stem)
    out.mkdir(exist_ok=True)
    return soffice_convert(src, "pdf", out)


def pdf_fixtures(specs: list[tuple[str, bool, bool, str]]) -> list[Path]:
    """Several PDFs in one LibreOffice run (start-up dominates a conversion's time)."""
    todo = [s for s in specs if s not in _made]
    if todo:
        srcs = [docx_fixture(slug, rh, ruled=ruled, style=style) for slug, rh, ruled, style in todo]
        out = workdir() / "pdf-batch"
        out.mkdir(exist_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
        try:
            subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                            "--convert-to", "pdf", "--outdir", str(out), *map(str, srcs)],
                           check=True, timeout=300, capture_output=True)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        for spec_, src in zip(todo, srcs):
            made = out / (src.stem + ".pdf")
            if not made.exists():
                raise RuntimeError(f"LibreOffice did not write {made}")
            _made[spec_] = made
    return [_made[s] for s in specs]


_made: dict[tuple[str, bool, bool, str], Path] = {}


@functools.lru_cache(maxsize=None)
def doc_fixture(slug: str) -> Path:
    src = docx_fixture(slug, True)
    out = workdir() / ("doc-" + src.stem)
    out.mkdir(exist_ok=True)
    return soffice_convert(src, "doc", out)


@functools.lru_cache(maxsize=None)
def scan_fixture(slug: str) -> Path:
    return scan_pdf(pdf_fixture(slug, True), workdir() / f"{slug}-scan.pdf")


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


if __name__ == "__main__":
    slug = sys.argv[2] if len(sys.argv) > 2 else "huaian-szf-2024"
    dest = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    dest.mkdir(parents=True, exist_ok=True)
    for p in (docx_fixture(slug), pdf_fixture(slug), pdf_fixture(slug, False), doc_fixture(slug), scan_fixture(slug)):
        shutil.copy(p, dest / p.name)
        print(dest / p.name)
    os.sys.exit(0)


def make_encrypted_pdf(out: Path, password: str = "secret") -> Path:
    """A small report page exported by LibreOffice with an open password (for bad-input tests).

    Committed as ``tests/fixtures/generated/encrypted.pdf``; rebuild with
    ``python3 -c "import docgen; docgen.make_encrypted_pdf(docgen.Path('fixtures/generated/encrypted.pdf'))"``.
    """
    import docx
    d = docx.Document()
    d.add_paragraph("淮安市人民政府2024年政府信息公开工作年度报告")
    _fill_table(d, table4_rows(load_gold("huaian-szf-2024")["cells"]))
    work = Path(tempfile.mkdtemp(prefix="enc-"))
    try:
        src = work / "encrypted.docx"
        d.save(str(src))
        opts = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                f'"DocumentOpenPassword":{{"type":"string","value":"{password}"}}}}')
        made = soffice_convert(src, opts, work)
        shutil.copy(made, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
