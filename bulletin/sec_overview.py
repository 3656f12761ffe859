"""Section 1, the opening paragraph: totals, 直接答复 vs 转办, the four rates.

"2024 年上半年，市 12345 热线平台共受理各类诉求 16.47 万件(同比增长 16.58%)。其中，
平台直接答复 13.07 万件，转办 3.40 万件，办结率 98.88%，满意率 94.86%，按时反馈率
99.96%，有效回访率 97.20%。" Each clause appears only when its column exists; the
definitions of the rates used follow once, as a note.
"""

from __future__ import annotations

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Paragraph, Report
from hotline_nlp.bulletin.handling_rates import DEFINITIONS, LABELS, RATES, rate
from hotline_nlp.topics.category_stats import change_ratio, transferred_mask


def overview(ctx: Context, report: Report) -> None:
    book, cur = ctx.book, ctx.current
    book.section = "总体情况"
    total = book.add("overview.total", "受理诉求总量", len(cur), fmt.count(len(cur)), ctx.where(), cur["id"])
    text = f"{fmt.period_cn(ctx.period)}，{ctx.platform}共受理各类诉求 {total}"
    ch = None if ctx.base is None else change_ratio(len(cur), len(ctx.base), ctx.options.min_change_base)
    if ch is not None:
        shown = book.add(
            "overview.total_change",
            f"受理诉求总量{ctx.change_word}",
            ch,
            fmt.change(ch, ctx.change_word),
            f"({ctx.period_filter}) 对比 ({ctx.base_filter})",
            cur["id"],
            base_ids=ctx.base["id"],
        )
        text += f"（{shown}）"
    elif ctx.base is not None and len(ctx.base):
        report.omitted.append(
            f"{ctx.change_word}：{ctx.base_period.label} 仅有 {len(ctx.base)} 件诉求"
            f"（不足 {max(1, ctx.options.min_change_base)} 件），{ctx.change_word}变化不适用，未计算。"
        )
    else:
        report.omitted.append(
            f"{ctx.change_word}：数据不含 {ctx.base_period.label} 的诉求，未计算{ctx.change_word}变化。"
        )
    clauses = []
    mask = transferred_mask(cur)
    if mask is not None:
        direct, moved = cur.loc[~mask], cur.loc[mask]
        clauses.append(
            "平台直接答复 "
            + book.add(
                "overview.direct",
                "直接答复量",
                len(direct),
                fmt.count(len(direct)),
                ctx.where("办理方式≠转办"),
                direct["id"],
            )
        )
        clauses.append(
            "转办 "
            + book.add(
                "overview.transferred",
                "转办量",
                len(moved),
                fmt.count(len(moved)),
                ctx.where(transferred=True),
                moved["id"],
            )
        )
    else:
        report.omitted.append("直接答复与转办：数据无“办理方式”列，各项办理率按全部诉求计算。")
    used = []
    for m in RATES:
        if m not in ctx.metrics:
            continue
        r = rate(ctx.handled, m)
        shown = book.add(
            f"overview.{m}",
            LABELS[m],
            r.value,
            fmt.pct(r.value),
            ctx.where(transferred=True),
            r.denominator_ids,
            numerator_ids=r.numerator_ids,
        )
        clauses.append(f"{LABELS[m]} {shown}")
        used.append(m)
    if "stars" in ctx.metrics:
        given = ctx.handled.loc[ctx.handled["stars"].notna()]
        v = float(given["stars"].mean())
        clauses.append(
            "得星平均分 "
            + book.add(
                "overview.stars",
                "得星平均分",
                v,
                fmt.number(v),
                ctx.where("评星非空", transferred=True),
                given["id"],
            )
        )
        used.append("stars")
    missing = [LABELS[m] for m in (*RATES, "stars") if m not in ctx.metrics]
    if missing:
        report.omitted.append(f"{'、'.join(missing)}：数据无对应列（或该列为空），不作统计。")
    text += "。" + ("其中，" + "，".join(clauses) + "。" if clauses else "") + "具体情况通报如下："
    report.add(Paragraph(text, style="lead"))
    if used:
        defs = "；".join(DEFINITIONS[m] for m in used)
        basis = "交办件指办理方式为转办的诉求" if ctx.has_handling else "数据无办理方式列，交办件按全部诉求计"
        report.add(Paragraph(f"注：{defs}。{basis}。", style="note"))
