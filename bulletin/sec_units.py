"""Section 2: 各地区 / 市直部门 / 其他单位办理情况, one sub-section and table per
unit group (单位类型), or one table of all 承办单位 when the export has no 单位类型.

A group with at most ``top_units`` units is shown whole, ranked by 综评分 (the
县区 table of the Panjin bulletin); a larger one shows its ``top_units`` units
by volume ("受理诉求数量排名前十的市直部门") and names the ten most satisfied
among those with at least ``min_volume`` transferred complaints.
"""

from __future__ import annotations

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Heading, Paragraph, Report
from hotline_nlp.bulletin.sec_dispatch import dispatch_line
from hotline_nlp.bulletin.units import by_score, by_volume, compute_units, names, unit_table

GROUP_ORDER = ("县区", "市直部门", "其他单位")
HEADINGS = {"县区": "各地区办理情况", "市直部门": "市直部门办理情况", "其他单位": "其他单位办理情况"}
SUBJECT = {"县区": "各县区", "市直部门": "市直部门", "其他单位": "其他单位"}


def _groups(ctx: Context) -> list[tuple[str | None, object]]:
    df = ctx.handled
    if "unit_type" not in df or not df["unit_type"].fillna("").astype(str).ne("").any():
        return [(None, df)]
    types = df["unit_type"].fillna("").astype(str)
    present = [g for g in GROUP_ORDER if (types == g).any()]
    others = [g for g in types.value_counts().index if g and g not in GROUP_ORDER]
    return [(g, df.loc[types == g]) for g in present + others]


def units_section(ctx: Context, report: Report, start: int = 1) -> int:
    """Add the sub-sections (numbered from ``start``); return the next free number."""
    if "unit" not in ctx.handled or not ctx.handled["unit"].fillna("").astype(str).ne("").any():
        report.omitted.append("各地区、各部门办理情况：数据无“承办单位”列，本节从略。")
        return start
    ctx.book.section = "各地区、各部门办理情况"
    dispatch_line(ctx, report)
    n = start
    total = len(ctx.handled)
    for group, df in _groups(ctx):
        extra = (f"单位类型={group}",) if group else ()
        units = compute_units(ctx, df, "unit", *extra)
        if not units:
            continue
        key = f"units.{group or '全部'}"
        heading = HEADINGS.get(group, f"{group}办理情况") if group else "各承办单位办理情况"
        subject = SUBJECT.get(group, group) if group else "各承办单位"
        vol = ctx.book.add(
            f"{key}.total",
            f"{subject}受理量",
            len(df),
            fmt.count(len(df)),
            ctx.where(*extra, transferred=True),
            df["id"],
        )
        share = ctx.book.add(
            f"{key}.share",
            f"{subject}占转办量比例",
            len(df) / total if total else None,
            fmt.pct(len(df) / total if total else None),
            ctx.where(*extra, transferred=True),
            df["id"],
        )
        base = "全市转办量" if ctx.has_handling else "全部诉求"
        text = f"{subject}共受理诉求 {vol}" + (f"，占{base}的 {share}" if group else "") + "。"
        if len(units) <= ctx.options.top_units:
            shown, caption = by_score(units), f"{group or '承办单位'}办理情况"
            text += _leaders(ctx, units)
        else:
            shown = by_volume(units)[: ctx.options.top_units]
            caption = f"受理诉求数量排名前{fmt.cn_number(len(shown))}的{group or '承办单位'}"
            text += f"从受理诉求数量来看，{names(shown)}受理量排名前{fmt.cn_number(len(shown))}位。"
        report.add(Heading(f"（{fmt.cn_number(n)}）{heading}", level=2), Paragraph(text))
        note = "注：按综评分由高到低排列。" if len(units) <= ctx.options.top_units else ""
        report.add(unit_table(ctx, caption, shown, key, note=note))
        if len(units) > ctx.options.top_units:
            _satisfaction_ranking(ctx, report, units, group or "承办单位", key)
        n += 1
    return n


def _leaders(ctx: Context, units) -> str:
    """'其中，A、B 满意率较高，C、D 得星平均分较高。' among units with enough volume."""
    eligible = [u for u in units if u.metrics.volume >= ctx.options.min_volume]
    parts = []
    for metric, label in (("satisfied", "满意率较高"), ("stars", "得星平均分较高")):
        if metric not in ctx.metrics or len(eligible) < 3:
            continue
        vals = [u for u in eligible if u.metrics.get(metric) is not None]
        top = sorted(vals, key=lambda u: (-u.metrics.get(metric), -u.metrics.volume, u.name))[:2]
        if top:
            parts.append(f"{'和'.join(u.name for u in top)}{label}")
    return ("其中，" + "，".join(parts) + "。") if parts else ""


def _satisfaction_ranking(ctx: Context, report: Report, units, group: str, key: str) -> None:
    if "satisfied" not in ctx.metrics:
        return
    mv = ctx.options.min_volume
    eligible = [u for u in units if u.metrics.volume >= mv and u.metrics.get("satisfied") is not None]
    if not eligible:
        return
    top = sorted(eligible, key=lambda u: (-u.metrics.get("satisfied"), -u.metrics.volume, u.name))[
        : ctx.options.top_units
    ]
    best = top[0]
    shown = ctx.book.add(
        f"{key}.{best.name}.satisfied",
        f"{best.name} 满意率",
        best.metrics.get("satisfied"),
        fmt.pct(best.metrics.get("satisfied")),
        best.filter,
        best.metrics.rates["satisfied"].denominator_ids,
        numerator_ids=best.metrics.rates["satisfied"].numerator_ids,
    )
    report.add(
        Paragraph(
            f"诉求量 {mv} 件以上，办理满意率排名前{fmt.cn_number(len(top))}位的{group}：{names(top)}。"
            f"其中，{best.name}满意评价较高，满意率达到 {shown}。"
        )
    )
