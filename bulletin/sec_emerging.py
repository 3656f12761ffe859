"""Section 难点问题: the emerging issues found by the hotspot engine
(``hotline_nlp.topics.hotspots.emerging_issues``), each with its count, time
span and examples, in the bulletin's voice:

"物业公司不配合业主安装充电桩。今年前 6 个月，此类诉求 80 余件。如，市民反映……"

The engine decides what is emerging; this section only words it and registers
the counts as figures (the complaint ids come from the engine's issue record).
"""

from __future__ import annotations

import pandas as pd

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Heading, Paragraph, Report
from hotline_nlp.bulletin.examples import pick


def _engine():
    try:
        from hotline_nlp.topics.hotspots import emerging_issues
    except ImportError:
        return None
    return emerging_issues


def emerging_section(ctx: Context, report: Report, number: int) -> bool:
    engine = _engine()
    if engine is None:
        report.omitted.append("难点问题：热点发现模块（topics.hotspots）不可用，本节从略。")
        return False
    issues = engine(ctx.frame, ctx.period, **ctx.options.emerging)
    ctx.book.section = "难点问题"
    head = Heading(f"{fmt.cn_number(number)}、难点问题", level=1)
    if not issues:
        report.add(head, Paragraph("本期未发现新出现且持续上升的诉求问题。"))
        return True
    report.add(head)
    by_id = ctx.frame.set_index(ctx.frame["id"].astype(str), drop=False)
    for k, issue in enumerate(issues, start=1):
        report.add(_issue_paragraph(ctx, issue, k, by_id))
    return True


def _field(issue, *names, default=None):
    for n in names:
        if isinstance(issue, dict) and n in issue:
            return issue[n]
        if hasattr(issue, n):
            return getattr(issue, n)
    return default


def _issue_paragraph(ctx: Context, issue, k: int, by_id: pd.DataFrame) -> Paragraph:
    ids = [str(i) for i in _field(issue, "complaint_ids", "ids", default=[])]
    label = str(_field(issue, "label", "title", "name", default=f"新问题 {k}"))
    rows = by_id.loc[[i for i in ids if i in by_id.index]]
    in_period = rows.loc[ctx.period.contains(rows["created_at"])] if len(rows) else rows
    n = ctx.book.add(f"emerging.{k}.count", f"难点问题 {label} 诉求量", len(ids), f"{len(ids)} 件",
                     f"{ctx.period_filter}；热点发现模块识别的问题“{label}”", ids)
    span = ""
    if len(rows):
        first, last = rows["created_at"].min(), rows["created_at"].max()
        span = f"{fmt.date_cn(first)}至{fmt.date_cn(last)}，"
    text = f"{span}此类诉求 {n}"
    growth = _field(issue, "growth", "trend_text", default=None)
    if isinstance(growth, str) and growth:
        text += f"，{growth}"
    text += "。"
    examples = pick(in_period if len(in_period) else rows, 2) if len(rows) else []
    if examples:
        text += "如：" + "；".join(q for _, q in examples) + "。"
    return Paragraph(text, lead=f"{k}. {label}。")
