"""One line on dispatch quality (派单质量) for the units section.

Why: a wrong first dispatch costs days (退单/改派), and platforms report
dispatch accuracy as a headline figure. When an export carries both the unit
actually assigned and the dispatcher's recommendation (``classify``'s
``pred_unit``), the bulletin says how often they agree. The recommendation is
compared with 承办单位, or with 基层承办单位 when it agrees with that column more
often (a dispatcher trained on ``--unit-col 基层承办单位``).
"""

from __future__ import annotations

from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Paragraph, Report

NAMES = {"unit": "承办单位", "base_unit": "基层承办单位"}


def dispatch_line(ctx: Context, report: Report) -> None:
    """Add the line when the period's handled complaints have both columns; else nothing."""
    df = ctx.handled
    if "rec_unit" not in df:
        return
    rec = df["rec_unit"].fillna("").astype(str)
    best = None
    for col in ("unit", "base_unit"):
        if col not in df:
            continue
        given = df[col].fillna("").astype(str)
        both = (rec != "") & (given != "")
        if both.any():
            hits = both & (rec == given)
            if best is None or hits.sum() > best[2].sum():
                best = (col, both, hits)
    if best is None:
        return
    col, both, hits = best
    n = int(both.sum())
    where = ctx.where(f"推荐承办单位与{NAMES[col]}均非空", transferred=True)
    total = ctx.book.add("dispatch.n", "有推荐承办单位的转办诉求", n, fmt.count(n), where, df["id"][both])
    rate = ctx.book.add(
        "dispatch.first_accuracy",
        "首次派单准确率（推荐与实际承办单位一致）",
        hits.sum() / n,
        fmt.pct(hits.sum() / n),
        where,
        df["id"][both],
        numerator_ids=df["id"][hits],
        base_ids=df["id"][both],
    )
    report.add(
        Paragraph(
            f"派单质量：{total}有智能派单推荐的诉求中，推荐的{NAMES[col]}与实际{NAMES[col]}一致的占 {rate}。"
        )
    )
