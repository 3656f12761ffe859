"""Section 3, 热点诉求分析: the top categories, each written as the bulletins do.

"1. 物业管理类诉求占比较大。同比下降 25.90%，占转办诉求总量的 12.10%，主要集中在
物业服务管理（占比 33.97%）、公共区域设施（占比 15.59%）3 个方面。如：市民反映……
（诉求编号：8213631）。" plus the 热点诉求趋势图.

The run-in head is chosen by rule from the numbers, never by judgement:
rank 1 -> 占比较大; change >= +20% -> 较为突出; +10%..+20% -> 关注度较高;
0..+10% -> 小幅上升; -10%..0 -> 需引起关注; <= -10% -> 有所下降; no base -> 关注度较高.
Sub-categories are listed largest first until they cover 60% of the category
(at most 4, each at least 5%). The chart is ``bulletin.chart`` (the one trend chart of
every report).
"""

from __future__ import annotations

import pandas as pd
from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.chart import missing_font_note, trend_chart
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Heading, Image, Paragraph, Report
from hotline_nlp.bulletin.examples import examples_for
from hotline_nlp.bulletin.handling_rates import handled
from hotline_nlp.topics.category_stats import category_table
from hotline_nlp.topics.periods import Period, weeks_between


def headline(rank: int, ch: float | None) -> str:
    if rank == 1:
        return "占比较大"
    if ch is None:
        return "关注度较高"
    if ch >= 0.2:
        return "较为突出"
    if ch >= 0.1:
        return "关注度较高"
    if ch > 0:
        return "小幅上升"
    if ch > -0.1:
        return "需引起关注"
    return "有所下降"


def main_subcategories(
    subs: list[dict], cover: float = 0.6, most: int = 4, least: float = 0.05
) -> list[dict]:
    out, total = [], 0.0
    for s in subs:
        if len(out) >= most or total >= cover or s["share"] < least:
            break
        out.append(s)
        total += s["share"]
    return out


def buckets(p: Period) -> tuple[str, list[tuple[str, pd.Timestamp, pd.Timestamp]]]:
    """Time buckets of the trend chart and their unit: days up to a month, ISO weeks
    up to a quarter, months beyond; clipped to the period."""
    days = (p.end - p.start).days
    if days <= 31:
        return "日", [
            (f"{d.month}/{d.day}", d, d + pd.Timedelta(days=1)) for d in pd.date_range(p.start, p.last_day)
        ]
    if days <= 92:
        out = []
        for w in weeks_between(p.start, p.end):
            s = max(w.start, p.start)
            out.append((f"{s.month}/{s.day}", s, min(w.end, p.end)))
        return "周", out
    months = pd.date_range(p.start, p.last_day, freq="MS")
    one_year = months[0].year == months[-1].year
    return "月", [
        (
            f"{m.month}月" if one_year else f"{m.year}-{m.month:02d}",
            m,
            min(m + pd.DateOffset(months=1), p.end),
        )
        for m in months
    ]


def _cat_name(cat: str) -> str:
    return cat if cat.endswith("类") else f"{cat}类"


def hot_section(ctx: Context, report: Report, number: int) -> bool:
    if "level1" not in ctx.frame or not ctx.current["level1"].fillna("").astype(str).ne("").any():
        report.omitted.append("热点诉求分析：数据无分类列（一级分类），且未用 --model 自动分类，本节从略。")
        return False
    book = ctx.book
    book.section = "热点诉求分析"
    opts = ctx.options
    rows = category_table(
        ctx.frame, ctx.period, top=opts.top_categories, transferred_only=True, min_base=opts.min_change_base
    )
    if not rows:
        report.omitted.append("热点诉求分析：本期无已分类诉求，本节从略。")
        return False
    scope = "转办诉求" if ctx.has_handling else "诉求"
    report.add(
        Heading(f"（{fmt.cn_number(number)}）热点诉求分析", level=2),
        Paragraph(f"群众反映高频问题主要集中在{'、'.join(r['category'] for r in rows)}等方面。"),
    )
    _chart(ctx, report, rows)
    cat_col = ctx.handled["level1"].fillna("").astype(str)
    change_key = "change_vs_last_year" if opts.compare == "last-year" else "change_vs_previous"
    base_key = "last_year_count" if opts.compare == "last-year" else "previous_count"
    for rank, r in enumerate(rows, start=1):
        cat, key = r["category"], f"hot.{r['category']}"
        filt = ctx.where(f"一级分类={cat}", transferred=True)
        book.add(f"{key}.count", f"{cat} 诉求量", r["count"], str(r["count"]), filt, r["complaint_ids"])
        parts = []
        if r[change_key] is not None:
            base_ids = _base_ids(ctx, cat)
            parts.append(
                book.add(
                    f"{key}.change",
                    f"{cat} {ctx.change_word}变化",
                    r[change_key],
                    fmt.change(r[change_key], ctx.change_word),
                    f"{filt} 对比 {ctx.base_filter}（{r[base_key]} 件）",
                    r["complaint_ids"],
                    base_ids=base_ids,
                )
            )
        share = book.add(
            f"{key}.share",
            f"{cat} 占{scope}总量比例",
            r["share"],
            fmt.pct(r["share"]),
            filt,
            r["complaint_ids"],
        )
        parts.append(f"占{scope}总量的 {share}")
        subs = main_subcategories(r["subcategories"])
        if subs:
            listed = "、".join(
                f"{s['category']}（占比 "
                + book.add(
                    f"{key}.sub.{s['category']}",
                    f"{cat} > {s['category']} 占比",
                    s["share"],
                    fmt.pct(s["share"]),
                    ctx.where(f"一级分类={cat}", f"二级分类={s['category']}", transferred=True),
                    s["complaint_ids"],
                )
                + "）"
                for s in subs
            )
            parts.append(
                f"主要集中在{listed}{len(subs)} 个方面" if len(subs) > 1 else f"主要集中在{listed}方面"
            )
        text = "，".join(parts) + "。"
        examples = examples_for(
            ctx.handled.loc[cat_col == cat], [s["category"] for s in subs], opts.examples_per_category
        )
        if examples:
            text += "如：" + "；".join(q for _, q in examples) + "。"
        report.add(Paragraph(text, lead=f"{rank}. {_cat_name(cat)}诉求{headline(rank, r[change_key])}。"))
    return True


def _base_ids(ctx: Context, cat: str) -> list[str]:
    if ctx.base is None or "level1" not in ctx.base:
        return []
    base, _ = handled(ctx.base)
    return base.loc[base["level1"] == cat, "id"].astype(str).tolist()


def _chart(ctx: Context, report: Report, rows: list[dict]) -> None:
    df = ctx.handled
    cats = [r["category"] for r in rows]
    unit, bks = buckets(ctx.period)
    series: dict[str, list[int]] = {}
    for cat in cats:
        sub = df.loc[df["level1"] == cat]
        ys = []
        for label, s, e in bks:
            hit = sub.loc[(sub["created_at"] >= s) & (sub["created_at"] < e)]
            ys.append(len(hit))
            ctx.book.add(
                f"trend.{cat}.{s.date().isoformat()}",
                f"趋势图 {cat} {label}",
                len(hit),
                str(len(hit)),
                f"受理时间 {s.date().isoformat()} 至 {(e - pd.Timedelta(days=1)).date().isoformat()}；"
                f"{'办理方式=转办；' if ctx.has_handling else ''}一级分类={cat}",
                hit["id"],
            )
        series[cat] = ys
    png = trend_chart(series, [b[0] for b in bks], ylabel=f"诉求量（件/{unit}）")
    report.add(Image("热点诉求趋势图", png))
    note = missing_font_note()
    if note:
        report.add(Paragraph(note, style="note"))
