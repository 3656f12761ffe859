"""The hotspot reports as blocks of the bulletin's document model, so they are
rendered by the same renderers as the 专报 (md / html / docx) and quote
complaints the same masked way.

The weekly alert reads like a short 专报: 热点诉求分析 (categories with 环比 and
同比), then 新出现和快速上升的问题 (each emerging issue with its count, what was
expected, places and two example complaints with their 诉求编号), then the
week's issue table, with a trend chart of the issues. The range report is the
热点问题表 (热度排名, 热度指数, 时间范围, 地点/人群, 问题描述, 诉求编号).

Input is the plain dict ``topics.hotspots.weekly_alert`` / ``hot_issues``
return (the JSON contract); nothing here computes a figure.
"""

from __future__ import annotations

from datetime import date

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.chart import missing_font_note, trend_chart
from hotline_nlp.bulletin.document import Heading, Image, Paragraph, Report, Table, TitleBlock
from hotline_nlp.bulletin.examples import bulletin_quote
from hotline_nlp.topics.category_stats import change_note
from hotline_nlp.topics.status import status_words

PLATFORM = "12345 政务服务便民热线平台"
MAX_SERIES = 6  # issues drawn in the trend chart (emerging first)
MAX_IDS = 8  # complaint ids listed per issue in the hot-issues table


def _pct(x, now: int = 0, base: int | None = None) -> str:
    """+12.50%; without a change (no or too small a base): 新增 / 不适用 / —."""
    return change_note(now, base) if x is None else f"{x * 100:+.2f}%"


def _share(x) -> str:
    return f"{x * 100:.2f}%"


def _where(issue: dict) -> str:
    names = [p["name"] for p in issue.get("places", [])[:3]] + [
        g["name"] for g in issue.get("groups", [])[:2]
    ]
    return "、".join(names) or "—"


def chart_png(result: dict, max_series: int = MAX_SERIES) -> bytes | None:
    """Trend chart of the report's issues (emerging first), or None without issues."""
    issues = [i for i in result.get("issues", []) if i.get("weekly")][:max_series]
    if not issues:
        return None
    weeks = [w["week"] for w in issues[0]["weekly"]]
    series = {f"#{i['id']} {i['label'][:14]}": [w["count"] for w in i["weekly"]] for i in issues}
    hot = {f"#{i['id']} {i['label'][:14]}" for i in issues if i.get("emerging")}
    return trend_chart(
        series,
        [w.split("-")[-1] if len(weeks) > 20 else w for w in weeks],
        title=_chart_title(result),
        highlight=hot,
    )


def _chart_title(result: dict) -> str:
    return "热点问题周趋势图" if result.get("kind") == "weekly_alert" else "热点问题趋势图"


def _categories(result: dict) -> list[Paragraph]:
    cats = result.get("categories") or []
    if not cats:
        return [Paragraph("（数据无分类标签，未作分类统计。）")]
    out = []
    for k, c in enumerate(cats[:5], start=1):
        subs = "、".join(
            f"{s['category']}（占比 {_share(s['share'])}）" for s in c.get("subcategories", [])[:3]
        )
        out.append(
            Paragraph(
                f"诉求 {c['count']} 件，占诉求总量的 {_share(c['share'])}，"
                f"环比 {_pct(c.get('change_vs_previous'), c['count'], c.get('previous_count'))}，"
                f"同比 {_pct(c.get('change_vs_last_year'), c['count'], c.get('last_year_count'))}"
                + (f"，主要集中在{subs}。" if subs else "。"),
                lead=f"{k}. {c['category']}类",
            )
        )
    return out


def _examples(issue: dict, n: int = 2) -> str:
    """Two example complaints, quoted as the bulletin quotes (phones and plates masked)."""
    ex = [bulletin_quote(e["text"], e["id"]) for e in issue.get("examples", [])[:n]]
    return "如：" + "；".join(ex) + "。" if ex else ""


def _emerging(issues: list[dict]) -> list[Paragraph]:
    em = [i for i in issues if i.get("emerging")]
    if not em:
        return [Paragraph("本周未发现新出现或显著上升的诉求问题。")]
    out = []
    for k, i in enumerate(em, start=1):
        prev = i.get("previous_count")
        what = (status_words(i.get("status")) or "预警") + (
            f"，多人反映：{i['chorus']} 位来电人内容几乎相同" if i.get("many_callers") else ""
        )
        out.append(
            Paragraph(
                f"（问题 {i['id']}，{what}）。本周 {i['count']} 件"
                + (f"，上周 {prev} 件" if prev is not None else "")
                + f"，按其历史基线预期约 {i.get('expected', 0):.1f} 件（得分 {i.get('score', 0):.1f}）；"
                + f"首次出现于 {i.get('first_seen')}；涉及：{_where(i)}"
                + (f"；重复诉求 {i['repeats']} 件已合并" if i.get("repeats") else "")
                + "。"
                + _examples(i),
                lead=f"{k}. {i['label']}",
            )
        )
    return out


def _weekly_table(issues: list[dict]) -> Table:
    rows = [
        [
            str(i["id"]),
            i["label"],
            str(i["count"]),
            str(i.get("previous_count", "")),
            f"{i.get('expected', 0):.1f}",
            f"{i.get('score', 0):.1f}",
            ("预警：" if i.get("emerging") else "")
            + status_words(i.get("status"))
            + ("·多人反映" if i.get("many_callers") else ""),
            _where(i),
        ]
        for i in issues
    ]
    return Table(
        "本周诉求问题一览表", ["问题", "标签", "本周", "上周", "预期", "得分", "状态", "地点/人群"], rows
    )


def _described(issue: dict) -> str:
    """问题描述: the name, then the central title where it says more (a small
    issue's name is its title: not printed twice)."""
    label, desc = issue["label"], issue.get("description") or ""
    return label if not desc or desc in label or label in desc else f"{label}：{desc}"


def _hot_table(issues: list[dict], max_ids: int = MAX_IDS) -> Table:
    rows = []
    for i in issues:
        ids = i["complaint_ids"]
        shown = "、".join(ids[:max_ids]) + (f" 等 {len(ids)} 件" if len(ids) > max_ids else "")
        rows.append(
            [
                str(i["rank"]),
                str(i["id"]),
                f"{i['heat']:.1f}",
                f"{i['first_seen']} 至 {i['last_seen']}",
                _where(i),
                _described(i),
                shown,
            ]
        )
    return Table(
        "热点问题表",
        ["热度排名", "问题ID", "热度指数", "时间范围", "地点/人群", "问题描述", "诉求编号"],
        rows,
    )


def hotspot_document(result: dict) -> Report:
    """The weekly alert or the range report as a ``Report`` of blocks."""
    p = result["period"]
    weekly = result.get("kind") == "weekly_alert"
    if weekly:
        title = f"12345 热线热点预警 {p['label']}（{p['start']} 至 {p['end']}）"
        kind, issue = "热点预警", p["label"]
    else:
        title = f"热点问题表 {p['start']} 至 {p['end']}"
        kind, issue = "热点问题", f"{p['start']} 至 {p['end']}"
    report = Report(
        TitleBlock(
            platform=PLATFORM,
            kind=kind,
            issuer="",
            issue=issue,
            title=title,
            date=fmt.date_cn(date.fromisoformat(p["end"])),
        )
    )
    report.meta = {"kind": result.get("kind", "hot_issues"), "period": p}
    if weekly:
        report.add(
            Paragraph(
                f"本周共受理诉求 {result['total']} 件；历史基线为此前 {result['history']['weeks']} 周的 "
                f"{result['history']['complaints']} 件诉求（误报率 α = {result['settings']['alpha']}）。"
            ),
            Heading("一、热点诉求分析"),
            *_categories(result),
            Heading("二、新出现和快速上升的问题"),
            *_emerging(result["issues"]),
            Heading("三、本周诉求问题一览"),
            _weekly_table(result["issues"]),
        )
    else:
        report.add(
            Paragraph(f"期间共受理诉求 {result['total']} 件。"),
            Heading("一、热点诉求分析"),
            *_categories(result),
            Heading("二、热点问题"),
            _hot_table(result["issues"]),
        )
    png = chart_png(result)
    if png:
        report.add(Image(_chart_title(result), png))
    notes = list(result.get("notes", [])) + [n for n in [missing_font_note()] if n]
    if notes:
        report.add(Heading("说明", level=3))
        report.add(*(Paragraph(f"{k}. {n}", style="note") for k, n in enumerate(notes, start=1)))
    return report
