"""Markdown and HTML for the hotspot reports, in the bulletins' voice.

The weekly alert reads like a short 专报: 热点诉求分析 (categories with 环比 and
同比), then 新出现和快速上升的问题 (each emerging issue with its count, what was
expected, places and two example complaints with their 诉求编号), then the
week's issue table, with a trend chart of the issues. The range report is the
热点问题表 (热度排名, 热度指数, 时间范围, 地点/人群, 问题描述, 诉求编号).
"""

from __future__ import annotations

import base64
import html

from hotline_nlp.topics.category_stats import change_note
from hotline_nlp.topics.charts import FONT_MISSING_NOTE, cjk_font, trend_png

# The JSON keeps machine-readable statuses; people read them in Chinese.
STATUS_ZH = {"new": "新出现", "growing": "显著上升", "rising": "上升", "falling": "下降", "steady": "持平"}


def _pct(x, now: int = 0, base: int | None = None) -> str:
    return change_note(now, base) if x is None else f"{x * 100:+.2f}%"


def _share(x) -> str:
    return f"{x * 100:.2f}%"


def _where(issue: dict) -> str:
    names = [p["name"] for p in issue.get("places", [])[:3]] + [
        g["name"] for g in issue.get("groups", [])[:2]
    ]
    return "、".join(names) or "—"


def chart_png(result: dict, max_series: int = 6) -> bytes | None:
    """Trend chart of the report's issues (emerging first), or None without issues."""
    issues = [i for i in result.get("issues", []) if i.get("weekly")][:max_series]
    if not issues:
        return None
    weeks = [w["week"] for w in issues[0]["weekly"]]
    series = {f"#{i['id']} {i['label'][:14]}": [w["count"] for w in i["weekly"]] for i in issues}
    hot = {f"#{i['id']} {i['label'][:14]}" for i in issues if i.get("emerging")}
    title = "热点问题周趋势图" if result.get("kind") == "weekly_alert" else "热点问题趋势图"
    return trend_png(
        series, [w.split("-")[-1] if len(weeks) > 20 else w for w in weeks], title=title, highlight=hot
    )


def _category_lines(result: dict) -> list[str]:
    cats = result.get("categories") or []
    if not cats:
        return ["（数据无分类标签，未作分类统计。）"]
    out = []
    for k, c in enumerate(cats[:5], start=1):
        subs = "、".join(
            f"{s['category']}（占比 {_share(s['share'])}）" for s in c.get("subcategories", [])[:3]
        )
        out.append(
            f"{k}. **{c['category']}**类诉求 {c['count']} 件，占诉求总量的 {_share(c['share'])}，"
            f"环比 {_pct(c.get('change_vs_previous'), c['count'], c.get('previous_count'))}，"
            f"同比 {_pct(c.get('change_vs_last_year'), c['count'], c.get('last_year_count'))}"
            + (f"，主要集中在{subs}。" if subs else "。")
        )
    return out


def _example_text(issue: dict, n: int = 2) -> str:
    ex = [f"市民反映：{e['text'][:80]}（诉求编号：{e['id']}）" for e in issue.get("examples", [])[:n]]
    return "如：" + "；".join(ex) + "。" if ex else ""


def _emerging_lines(issues: list[dict]) -> list[str]:
    em = [i for i in issues if i.get("emerging")]
    if not em:
        return ["本周未发现新出现或显著上升的诉求问题。"]
    out = []
    for k, i in enumerate(em, start=1):
        prev = i.get("previous_count")
        what = "新出现" if i.get("status") == "new" else "显著上升"
        out.append(
            f"{k}. **{i['label']}**（问题 {i['id']}，{what}）。本周 {i['count']} 件"
            + (f"，上周 {prev} 件" if prev is not None else "")
            + f"，按其历史基线预期约 {i.get('expected', 0):.1f} 件（得分 {i.get('score', 0):.1f}）；"
            + f"首次出现于 {i.get('first_seen')}；涉及：{_where(i)}"
            + (f"；重复诉求 {i['repeats']} 件已合并" if i.get("repeats") else "")
            + "。"
            + _example_text(i)
        )
    return out


def _weekly_table(issues: list[dict]) -> list[str]:
    rows = [
        "| 问题 | 标签 | 本周 | 上周 | 预期 | 得分 | 状态 | 地点/人群 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i in issues:
        rows.append(
            f"| {i['id']} | {i['label']} | {i['count']} | {i.get('previous_count', '')} | "
            f"{i.get('expected', 0):.1f} | {i.get('score', 0):.1f} | "
            f"{'**预警**' if i.get('emerging') else STATUS_ZH.get(i.get('status', ''), i.get('status', ''))} | {_where(i)} |"
        )
    return rows


def _hot_table(issues: list[dict], max_ids: int = 8) -> list[str]:
    rows = [
        "| 热度排名 | 问题ID | 热度指数 | 时间范围 | 地点/人群 | 问题描述 | 诉求编号 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i in issues:
        ids = i["complaint_ids"]
        shown = "、".join(ids[:max_ids]) + (f" 等 {len(ids)} 件" if len(ids) > max_ids else "")
        rows.append(
            f"| {i['rank']} | {i['id']} | {i['heat']:.1f} | {i['first_seen']} 至 {i['last_seen']} | "
            f"{_where(i)} | {i['label']}：{i.get('description', '')} | {shown} |"
        )
    return rows


def to_markdown(result: dict, image_ref: str | None = None) -> str:
    """Markdown report. The chart is a data URI unless ``image_ref`` (a path to a
    PNG written by the caller) is given."""
    p = result["period"]
    lines = []
    if result.get("kind") == "weekly_alert":
        lines += [
            f"# 12345 热线热点预警 {p['label']}（{p['start']} 至 {p['end']}）",
            "",
            f"本周共受理诉求 {result['total']} 件；历史基线为此前 {result['history']['weeks']} 周的 "
            f"{result['history']['complaints']} 件诉求（误报率 α = {result['settings']['alpha']}）。",
            "",
            "## 一、热点诉求分析",
            "",
        ] + _category_lines(result)
        lines += ["", "## 二、新出现和快速上升的问题", ""] + _emerging_lines(result["issues"])
        lines += ["", "## 三、本周诉求问题一览", ""] + _weekly_table(result["issues"])
    else:
        lines += [
            f"# 热点问题表 {p['start']} 至 {p['end']}",
            "",
            f"期间共受理诉求 {result['total']} 件。",
            "",
            "## 一、热点诉求分析",
            "",
        ] + _category_lines(result)
        lines += ["", "## 二、热点问题", ""] + _hot_table(result["issues"])
    png = None if image_ref else chart_png(result)
    if image_ref or png:
        src = image_ref or "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        lines += ["", "## 趋势图", "", f"![热点问题趋势图]({src})"]
    notes = list(result.get("notes", [])) + ([] if cjk_font() else [FONT_MISSING_NOTE])
    if notes:
        lines += ["", "> " + "；".join(notes)]
    return "\n".join(lines) + "\n"


def to_html(result: dict) -> str:
    """A self-contained HTML page (chart embedded as a data URI)."""
    md = to_markdown(result, image_ref="__CHART__")
    png = chart_png(result)
    body = []
    table: list[list[str]] = []

    def flush():
        if table:
            head, *rest = table
            body.append(
                "<table><thead><tr>"
                + "".join(f"<th>{c}</th>" for c in head)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rest)
                + "</tbody></table>"
            )
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            cells = [_inline(c.strip()) for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-", " "} for c in cells):
                table.append(cells)
            continue
        flush()
        if line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("!["):
            if png:
                src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                body.append(f'<p><img alt="热点问题趋势图" src="{src}" style="max-width:100%"></p>')
        elif line.startswith("> "):
            body.append(f"<p class=note>{_inline(line[2:])}</p>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush()
    title = html.escape(md.splitlines()[0].lstrip("# "))
    style = (
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;max-width:960px;margin:2em auto;"
        "line-height:1.7}table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;"
        "padding:3px 6px}th{background:#f0f0f0}.note{color:#666;font-size:90%}"
    )
    return (
        f"<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{style}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def _inline(text: str) -> str:
    out = html.escape(text)
    while "**" in out:
        out = out.replace("**", "<b>", 1).replace("**", "</b>", 1)
    return out
