"""Assemble a 专报 from the data: title block, then the sections in the order
of the Panjin bulletin (总体情况 with its sub-sections, 难点问题, 评优评差), then a
说明 block with the definitions, the 综评分 formula and one line per section
left out for lack of data.

``build_report`` is the library entry point; ``write_report`` renders it to a
file (docx / html / md / json) and writes the figures appendix CSV beside it.
"""

from __future__ import annotations

import io
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pandas as pd
from hotline_nlp.bulletin import fmt, renderers
from hotline_nlp.bulletin.context import Context, Options
from hotline_nlp.bulletin.document import Heading, Paragraph, Report, TitleBlock
from hotline_nlp.bulletin.sec_emerging import emerging_section
from hotline_nlp.bulletin.sec_hot import hot_section
from hotline_nlp.bulletin.sec_overview import overview
from hotline_nlp.bulletin.sec_ranking import ranking_section
from hotline_nlp.bulletin.sec_units import units_section
from hotline_nlp.corpus.atomic import atomic_path
from hotline_nlp.topics.periods import Period

FORMATS = renderers.FORMATS


def _title(ctx: Context) -> TitleBlock:
    o = ctx.options
    when = o.date or fmt.date_cn(pd.Timestamp(date.today()))
    issue = o.issue or fmt.period_cn(ctx.period)
    return TitleBlock(
        platform=ctx.platform,
        kind="专 报",
        issuer=o.issuer,
        issue=issue,
        title=f"关于{ctx.platform}{fmt.period_short(ctx.period)}诉求办理情况的通报",
        date=when,
    )


def build_report(
    frame: pd.DataFrame,
    period: Period | str,
    options: Options | None = None,
    progress=None,
    emerging: list[dict] | None = None,
) -> Report:
    """Every section from ``frame`` (canonical columns, all periods: the
    comparison period is taken from it too). ``emerging``: the period's emerging
    issues (``topics.hotspots.emerging_issues``), which 难点问题 words (None: the
    section is left out, with a note). ``progress(step)`` is told each section
    as it starts."""
    step = progress or (lambda _s: None)
    step("总体情况")
    ctx = Context(frame, period, options or Options())
    report = Report(_title(ctx), figures=ctx.book)
    report.meta = {
        "period": ctx.period.to_json(),
        "compare": ctx.options.compare,
        "base_period": ctx.base_period.to_json(),
        "complaints_in_period": len(ctx.current),
        "weights": vars(ctx.options.weights),
        "min_volume": ctx.options.min_volume,
    }
    overview(ctx, report)
    number = 1
    mark = len(report.blocks)
    report.add(Heading(f"{fmt.cn_number(number)}、总体情况", level=1))
    sub = units_section(ctx, report, start=1)
    step("热点诉求分析")
    hot_section(ctx, report, sub)
    if len(report.blocks) == mark + 1:  # nothing under 总体情况
        report.blocks.pop()
    else:
        number += 1
    step("难点问题（热点发现）")
    if emerging_section(ctx, report, number, emerging):
        number += 1
    step("评优评差")
    if ranking_section(ctx, report, number):
        number += 1
    _notes(ctx, report)
    return report


def _notes(ctx: Context, report: Report) -> None:
    lines = []
    if ctx.metrics:
        lines.append(ctx.options.weights.describe())
    if "tagged_by" in ctx.frame:
        models = "、".join(sorted(set(ctx.frame["tagged_by"].astype(str))))
        lines.append(f"诉求分类（一级、二级分类）由模型 {models} 自动标注，非人工分类。")
    if ctx.options.rejected_rows:
        lines.append(
            f"数据文件中有 {ctx.options.rejected_rows} 条记录因数据问题（如受理时间无法识别、编号重复）未计入本报告，"
            "明细见 rejects 文件。"
        )
    lines += report.omitted
    lines.append(
        "本报告由 hotline-nlp 依据诉求数据自动生成，文中每一数字的统计口径及对应诉求编号见附表（figures CSV）。"
    )
    report.add(Heading("说明", level=3))
    for i, line in enumerate(lines, start=1):
        report.add(Paragraph(f"{i}. {line}", style="note"))


def appendix_path(output: Path) -> Path:
    return output.with_name(output.stem + ".figures.csv")


def write_report(
    report: Report, output: str | Path, fmt_name: str | None = None, *, md_images: str = "file"
) -> list[Path]:
    """Render to ``output``; return the files written (the report, its appendix CSV
    and, for Markdown with ``md_images='file'``, the chart PNG)."""
    return write_reports(report, [(output, fmt_name)], md_images=md_images)


def report_kind(output: str | Path, fmt_name: str | None = None) -> str:
    return renderers.format_name(fmt_name, output)


def write_reports(report: Report, outputs, *, md_images: str = "file") -> list[Path]:
    """Render to every ``(output, format or None)``, all or nothing: each file (and
    each report's figures appendix) is written to a temporary file beside it and
    the temporaries are renamed into place only once all are complete, so a full
    disk leaves the earlier outputs as they were, never a DOCX without its
    figures file. (JSON holds every figure itself: no appendix.)"""
    plans = [(Path(o), report_kind(o, f)) for o, f in outputs]
    written: list[Path] = []
    with ExitStack() as stack:
        for output, kind in plans:
            tmp = stack.enter_context(atomic_path(output))
            written.append(output)
            if kind == "docx":
                from hotline_nlp.bulletin.render_docx import render_docx

                buf = io.BytesIO()  # rendered in memory: a full disk fails one plain write
                render_docx(report, buf)
                tmp.write_bytes(buf.getvalue())
            elif kind == "md":
                from hotline_nlp.bulletin.render_md import render_md

                text, files = render_md(report, output, images=md_images)
                tmp.write_text(text, encoding="utf-8")
                written += files
            else:
                tmp.write_text(renderers.render_text(report, kind), encoding="utf-8")
            if kind == "json":
                continue
            appendix = stack.enter_context(atomic_path(appendix_path(output)))
            # utf-8-sig so that Excel, which the offices open it with, reads the Chinese
            appendix.write_text(report.figures.to_csv(), encoding="utf-8-sig")
            written.append(appendix_path(output))
    return written
