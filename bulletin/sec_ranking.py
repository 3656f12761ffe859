"""Section 评优评差: the best and worst grassroots handling units by 综评分.

Units are the 基层承办单位 (``base_unit``), or the 承办单位 when the export has
none. Only units with at least ``min_volume`` transferred complaints are ranked
("注：交办量 15 件以上"): a unit with three complaints and one unhappy caller
should not be named 较差 in front of the city. With fewer eligible units than
``best_n + worst_n`` the lists are shortened so that no unit is on both.
"""

from __future__ import annotations

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Heading, Paragraph, Report
from hotline_nlp.bulletin.handling_rates import LABELS, RATES
from hotline_nlp.bulletin.units import by_score, compute_units, unit_table


def _column(ctx: Context) -> str | None:
    for col in ("base_unit", "unit"):
        if col in ctx.handled and ctx.handled[col].fillna("").astype(str).ne("").any():
            return col
    return None


def ranking_section(ctx: Context, report: Report, number: int) -> bool:
    col = _column(ctx)
    if col is None:
        report.omitted.append("“评优评差”情况：数据无承办单位列，本节从略。")
        return False
    if not (set(ctx.metrics) & {*RATES, "stars"}):
        report.omitted.append(
            "“评优评差”情况：数据无办结、满意度、按时反馈、回访或评星列，无法评分，本节从略。"
        )
        return False
    book, opts = ctx.book, ctx.options
    book.section = "评优评差"
    units = compute_units(ctx, ctx.handled, col)
    mv = opts.min_volume
    eligible = [u for u in units if u.metrics.volume >= mv and u.metrics.score is not None]
    kind = "基层单位" if col == "base_unit" else "承办单位"
    heading = Heading(f"{fmt.cn_number(number)}、“评优评差”情况", level=1)
    n_units = book.add(
        "ranking.units",
        f"涉及{kind}数",
        len(units),
        str(len(units)),
        ctx.where(f"{'基层承办单位' if col == 'base_unit' else '承办单位'}非空", transferred=True),
        ctx.handled.loc[ctx.handled[col].fillna("").astype(str) != "", "id"],
    )
    if not eligible:
        report.add(
            heading,
            Paragraph(
                f"{ctx.platform}转办诉求涉及{kind} {n_units} 个，"
                f"其中交办量 {mv} 件以上的单位不足，本期不作评优评差。"
            ),
        )
        return True
    worst_n = min(opts.worst_n, len(eligible) // 3)
    best_n = min(opts.best_n, len(eligible) - worst_n)
    best = by_score(eligible)[:best_n]
    worst = by_score(eligible, worst_first=True)[:worst_n]
    criteria = "、".join(LABELS[m] for m in (*RATES, "stars") if m in ctx.metrics)
    n_elig = book.add(
        "ranking.eligible",
        f"参评{kind}数（交办量 {mv} 件以上）",
        len(eligible),
        str(len(eligible)),
        ctx.where(f"交办量>={mv}", transferred=True),
        [i for u in eligible for i in u.metrics.ids],
    )
    best_label = "“十佳”" if best_n == 10 else "“优秀”"
    table_kind = "基层承办单位" if col == "base_unit" else "承办单位"
    text = (
        f"{ctx.platform}转办诉求涉及{kind} {n_units} 个，其中交办量 {mv} 件以上的 {n_elig} 个单位参与评比。"
        f"按照{criteria}等评分标准（综评分），{best[0].name}等 {best_n} 个单位被评为{best_label}承办单位（见表一）"
    )
    text += f"，{worst[0].name}等 {worst_n} 个单位为“较差”承办单位（见表二）。" if worst else "。"
    report.add(heading, Paragraph(text))
    note = f"注：交办量 {mv} 件以上。"
    report.add(
        unit_table(
            ctx, f"表一：{best_label}{table_kind}", best, f"ranking.{col}", stars_label="平均分", note=note
        )
    )
    if worst:
        report.add(
            unit_table(
                ctx, f"表二：“较差”{table_kind}", worst, f"ranking.{col}", stars_label="平均分", note=note
            )
        )
    return True
