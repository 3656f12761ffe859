"""DOCX rendering (python-docx), laid out like a printed 专报 (GB/T 9704 habits):
red masthead with 专 报 and a red rule, 小标宋 title, 仿宋 body with a two-character
first-line indent and fixed 28 pt line spacing, 黑体 一、 headings, 楷体 （一）
headings, bordered 宋体 tables with their 注, the chart inline, page numbers
"— 1 —" in the footer.

Font names are the ones Chinese offices have (仿宋_GB2312, 黑体, 楷体_GB2312, 宋体,
方正小标宋简体); Word or LibreOffice substitute the nearest installed CJK font
where one is missing.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from hotline_nlp.bulletin.document import Heading, Image, Paragraph, Report, Table

RED = RGBColor(0xC0, 0x00, 0x00)
BODY = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"
SONG = "宋体"
TITLE = "方正小标宋简体"
TEXT_WIDTH_CM = 15.6
LATIN = "Times New Roman"  # digits and Latin letters, as in printed 公文
BODY_PT = 15  # between 三号 (16) and 四号 (14): keeps 9-column tables and text on one page width


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), name)
    latin = LATIN if name in (BODY, SONG, KAI, TITLE) else name
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def _para(
    doc,
    text: str = "",
    *,
    font=BODY,
    size=BODY_PT,
    bold=False,
    color=None,
    align=None,
    indent=True,
    spacing: float | None = 28,
    before=0,
    after=0,
    keep_next=False,
):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = Pt(2 * size)
    if spacing:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(spacing)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.keep_with_next = keep_next
    if text:
        _font(p.add_run(text), font, size, bold, color)
    return p


def _bottom_rule(p, color="C00000", size=12) -> None:
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)


def _page_number_footer(section) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), SONG, 12)
    run = p.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    _font(run, SONG, 12)
    _font(p.add_run(" —"), SONG, 12)


def _masthead(doc, report: Report) -> None:
    tb = report.title
    _para(
        doc,
        tb.platform,
        font=SONG,
        size=18,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        spacing=None,
        before=12,
    )
    _para(
        doc,
        tb.kind,
        font=TITLE,
        size=48,
        bold=True,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        spacing=None,
        before=6,
        after=6,
    )
    p = _para(doc, indent=False, spacing=None, after=2)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    if tb.issuer:
        _font(p.add_run(tb.issuer), BODY, 14)
        _font(p.add_run("\t" + tb.issue), BODY, 14)
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(tb.issue), BODY, 14)
    _bottom_rule(p)
    _para(
        doc,
        tb.title,
        font=TITLE,
        size=20,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        spacing=None,
        before=18,
        after=12,
    )


def _shade(cell, fill="EDEDED") -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trpr.append(el)


def _cell_margins(table, cm: float) -> None:
    """Narrow left/right cell padding so that '100.00%' fits a 1.6 cm column."""
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(cm * 567)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tblpr.append(mar)


def _widths(n_cols: int, name_col: int) -> list[float]:
    """Column widths in cm over the 15.6 cm text width: 序号 narrow, 受理单位 wide."""
    if n_cols <= 2:
        return [1.2, 14.4][:n_cols]
    fixed = {0: 0.9, name_col: 3.4}
    rest = (TEXT_WIDTH_CM - sum(fixed.values())) / (n_cols - len(fixed))
    return [fixed.get(i, rest) for i in range(n_cols)]


def _table(doc, t: Table) -> None:
    _para(
        doc,
        t.caption,
        font=HEI,
        size=12,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        spacing=None,
        before=8,
        after=4,
        keep_next=True,
    )
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    name_col = 1 if len(t.columns) > 1 else 0
    widths = _widths(len(t.columns), name_col)
    for c, w in enumerate(widths):
        table.columns[c].width = Cm(w)
    _repeat_header(table.rows[0])
    _cell_margins(table, 0.06)
    for r, values in enumerate([t.columns] + t.rows):
        row = table.rows[r]
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Cm(widths[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if (c == name_col and r) else WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(1)
            # no keep-with-next inside tables: LibreOffice applies it to the whole table and
            # would push every table to a new page; long tables break, the header row repeats
            _font(p.add_run(str(value)), HEI if r == 0 else SONG, 8.5 if r == 0 else 9)
            if r == 0:
                _shade(cell)
    if t.note:
        _para(doc, t.note, font=BODY, size=11, indent=False, spacing=None, before=2, after=6)


def _image(doc, img: Image) -> None:
    p = _para(doc, indent=False, spacing=None, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, keep_next=True)
    p.add_run().add_picture(io.BytesIO(img.png), width=Cm(img.width_cm))
    _para(
        doc,
        img.caption,
        font=HEI,
        size=12,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        spacing=None,
        after=6,
    )


def render_docx(report: Report, output):
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(3.0), Cm(2.8)
    sec.left_margin = sec.right_margin = Cm((21.0 - TEXT_WIDTH_CM) / 2)
    _page_number_footer(sec)
    _masthead(doc, report)
    for b in report.blocks:
        if isinstance(b, Heading):
            font, size = {1: (HEI, BODY_PT + 1), 2: (KAI, BODY_PT + 1)}.get(b.level, (HEI, 12))
            _para(
                doc,
                b.text,
                font=font,
                size=size,
                bold=b.level <= 2,
                indent=b.level < 3,
                before=6,
                keep_next=True,
                spacing=28 if b.level < 3 else None,
            )
        elif isinstance(b, Paragraph):
            size = 11 if b.style == "note" else BODY_PT
            p = _para(doc, font=BODY, size=size, spacing=28 if b.style != "note" else 18)
            if b.lead:
                _font(p.add_run(b.lead), KAI, size, bold=True)
            _font(p.add_run(b.text), BODY, size)
        elif isinstance(b, Table):
            _table(doc, b)
        elif isinstance(b, Image):
            _image(doc, b)
    _para(doc, report.title.date, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False, before=18)
    if hasattr(output, "write"):  # a stream: the caller writes the bytes (all-or-nothing outputs)
        doc.save(output)
        return output
    output = Path(output)
    doc.save(str(output))
    return output
