"""Section 难点问题: the emerging issues found by hotspot detection
(``hotline_nlp.topics.hotspots.emerging_issues``, computed by the caller and
given to ``build_report``), each with its count, time
span, where it comes from and examples, in the bulletin's voice:

"1. 物业公司不配合业主安装充电桩。2024年7月17日至12月31日，此类诉求 47 件，主要
分布在兴隆台区（11 件）……。如：市民反映……（诉求编号：……）。"

Hotspot detection decides what is emerging; this section only words it. The count is
the detector's (repeat calls about the same case are not counted twice); the
time span and the district split are recomputed here from the data behind
the issue's complaint ids, so each is a traceable figure.
"""

from __future__ import annotations

import pandas as pd
from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Heading, Paragraph, Report
from hotline_nlp.bulletin.examples import pick, quote_rows, trim
from hotline_nlp.corpus.text import strip_openers
from hotline_nlp.topics.keywords import is_informative
from hotline_nlp.topics.periods import parse_period
from hotline_nlp.topics.status import flagged_words

HEADLINE_CHARS = 30


def emerging_section(ctx: Context, report: Report, number: int, issues: list[dict] | None) -> bool:
    """The section wording ``issues`` (None: hotspot detection was not run)."""
    if issues is None:
        report.omitted.append("难点问题：本次未运行热点发现（--no-emerging），本节从略。")
        return False
    report.meta["emerging_issues"] = [
        {
            k: i.get(k)
            for k in (
                "id",
                "label",
                "description",
                "keywords",
                "count",
                "repeats",
                "first_seen",
                "last_seen",
                "weeks_flagged",
            )
        }
        for i in issues
    ]
    ctx.book.section = "难点问题"
    report.add(Heading(f"{fmt.cn_number(number)}、难点问题", level=1))
    if not issues:
        report.add(Paragraph("经热点发现模块逐周比对，本期未发现新出现且持续增多的诉求问题。"))
        return True
    report.add(
        Paragraph(f"经热点发现模块逐周比对，本期共有 {len(issues)} 类诉求新出现或显著增多，需引起关注：")
    )
    by_id = ctx.frame.set_index(ctx.frame["id"].astype(str), drop=False)
    for k, issue in enumerate(issues, start=1):
        report.add(_issue_paragraph(ctx, issue, k, by_id))
    return True


def _headline(issue: dict, k: int) -> str:
    """The engine's description (the most central complaint's title), without
    openers and pleas; its keyword label when there is none or when the title
    is a generic one ("问题反映", "求助") that names nothing."""
    text = trim(strip_openers(str(issue.get("description") or "")), limit=HEADLINE_CHARS)
    if text and not is_informative(text):
        text = ""
    return text or str(issue.get("label") or f"新问题 {k}")


def _issue_paragraph(ctx: Context, issue: dict, k: int, by_id: pd.DataFrame) -> Paragraph:
    book = ctx.book
    ids = [str(i) for i in issue.get("complaint_ids", [])]
    rows = by_id.loc[[i for i in ids if i in by_id.index]]
    rows = rows.loc[ctx.period.contains(rows["created_at"])]
    headline = _headline(issue, k)
    key = f"emerging.{k}"
    where = f"{ctx.period_filter}；热点发现模块识别的问题“{headline}”"
    repeats = int(issue.get("repeats") or 0)
    count = int(issue.get("count", len(rows)))
    n = book.add(
        f"{key}.count",
        f"难点问题 {headline} 诉求量",
        count,
        f"{count} 件",
        where + (f"（另有重复诉求 {repeats} 件不计）" if repeats else ""),
        rows["id"],
    )
    text = ""
    if len(rows):
        first, last = rows["created_at"].min(), rows["created_at"].max()
        text = f"{fmt.date_cn(first)}至{fmt.date_cn(last)}，"
    text += f"此类诉求 {n}"
    if repeats:
        shown = book.add(
            f"{key}.repeats",
            f"难点问题 {headline} 重复来电",
            repeats,
            f"{repeats} 件",
            where + "；热点发现模块判定为重复诉求（同一来电人同一事项，或文本几乎相同）",
            rows["id"],
        )
        text += f"（另有重复诉求 {shown}）"
    text += _districts(ctx, rows, key, where)
    text += "。"
    flagged = issue.get("first_flagged")
    if flagged:
        try:
            week = parse_period(flagged)
            what = flagged_words(issue.get("origin"), issue.get("first_seen"), week.start.date().isoformat())
            text += f"该问题自 {fmt.date_cn(week.start)}当周起被系统识别为{what}问题"
            seen = pd.Timestamp(issue["first_seen"]) if issue.get("first_seen") else None
            if seen is not None and seen < week.start:  # the issue's first complaint, as every view gives it
                text += f"（最早一件相关诉求见于{fmt.date_cn(seen)}）"
            text += "，多位来电人反映内容几乎相同（多人反映）。" if issue.get("chorus_weeks") else "。"
        except ValueError:
            pass
    example_ids = [str(e["id"]) for e in issue.get("examples", []) if isinstance(e, dict) and "id" in e]
    examples = quote_rows(
        by_id.loc[[i for i in example_ids if i in rows.index]], 2, avoid=[f"市民反映{headline}"]
    )
    if len(examples) < 2 and len(rows):
        examples += pick(
            rows,
            2 - len(examples),
            {i for i, _ in examples},
            [f"市民反映{headline}"] + [q for _, q in examples],
        )
    if examples:
        text += "如：" + "；".join(q for _, q in examples) + "。"
    return Paragraph(text, lead=f"{k}. {headline}。")


def _districts(ctx: Context, rows: pd.DataFrame, key: str, where: str) -> str:
    """'，主要分布在兴隆台区（11 件）、大洼区（9 件）' from the 所属区县 column, when it has one."""
    if "district" not in rows or rows.empty:
        return ""
    d = rows["district"].fillna("").astype(str)
    counts = d[d != ""].value_counts()
    top = [(name, int(c)) for name, c in counts.items() if c >= 2][:3]
    if not top:
        return ""
    parts = [
        f"{name}（"
        + ctx.book.add(
            f"{key}.district.{name}",
            f"难点问题 {key} {name} 诉求量",
            c,
            f"{c} 件",
            f"{where}；所属区县={name}",
            rows.loc[d == name, "id"],
        )
        + "）"
        for name, c in top
    ]
    return "，主要分布在" + "、".join(parts)
