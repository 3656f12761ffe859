"""Per-unit metrics and the unit tables shared by sections 2 (各地区 / 各部门办理情况)
and 5 (评优评差).

Every cell of a unit table is a registered figure whose filter names the unit,
so "兴隆台区 满意率 95.28%" can be traced to the complaints behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from hotline_nlp.bulletin import fmt
from hotline_nlp.bulletin.context import Context
from hotline_nlp.bulletin.document import Table
from hotline_nlp.bulletin.handling_rates import LABELS, RATES, UnitMetrics, unit_metrics

UNIT_LABEL = {"unit": "承办单位", "base_unit": "基层承办单位", "unit_type": "单位类型"}


@dataclass
class Unit:
    name: str
    metrics: UnitMetrics
    filter: str


def compute_units(ctx: Context, df: pd.DataFrame, col: str, *extra_filter: str) -> list[Unit]:
    """Metrics per distinct non-empty value of ``col`` in ``df`` (transferred complaints)."""
    names = df[col].fillna("").astype(str)
    out = []
    for name, sub in df.groupby(names, sort=True):
        if not name:
            continue
        out.append(
            Unit(
                name,
                unit_metrics(sub, ctx.metrics, ctx.options.weights),
                ctx.where(*extra_filter, f"{UNIT_LABEL.get(col, col)}={name}", transferred=True),
            )
        )
    return out


def by_volume(units: list[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: (-u.metrics.volume, u.name))


def by_score(units: list[Unit], worst_first: bool = False) -> list[Unit]:
    """Best first (score, then volume, then name); ``worst_first`` reverses the score order
    but still prefers larger units on ties, as they weigh more on the public."""

    def key(u: Unit):
        s = u.metrics.score if u.metrics.score is not None else float("-inf")
        return ((s if worst_first else -s), -u.metrics.volume, u.name)

    return sorted(units, key=key)


def metric_columns(ctx: Context) -> list[str]:
    cols = ["stars"] if "stars" in ctx.metrics else []
    return cols + [m for m in RATES if m in ctx.metrics] + ["score"]


def unit_table(
    ctx: Context,
    caption: str,
    units: list[Unit],
    key: str,
    *,
    stars_label: str = "得星平均分",
    note: str = "",
) -> Table:
    """A bulletin table: 序号 受理单位 交办总量 [得星平均分] [rates…] 综评分."""
    book = ctx.book
    cols = metric_columns(ctx)
    header = ["序号", "受理单位", "交办总量"] + [stars_label if c == "stars" else LABELS[c] for c in cols]
    rows = []
    for i, u in enumerate(units, start=1):
        m = u.metrics
        k = f"{key}.{u.name}"
        row = [
            str(i),
            u.name,
            book.add(f"{k}.volume", f"{u.name} 交办总量", m.volume, str(m.volume), u.filter, m.ids),
        ]
        for c in cols:
            if c == "stars":
                row.append(
                    book.add(
                        f"{k}.stars",
                        f"{u.name} 得星平均分",
                        m.stars,
                        fmt.number(m.stars),
                        u.filter + "；评星非空",
                        m.star_ids,
                    )
                )
            elif c == "score":
                row.append(
                    book.add(
                        f"{k}.score",
                        f"{u.name} 综评分",
                        m.score,
                        fmt.number(m.score),
                        u.filter + "；" + ctx.options.weights.describe(),
                        m.ids,
                    )
                )
            else:
                r = m.rates[c]
                row.append(
                    book.add(
                        f"{k}.{c}",
                        f"{u.name} {LABELS[c]}",
                        r.value,
                        fmt.pct(r.value),
                        u.filter,
                        r.denominator_ids,
                        numerator_ids=r.numerator_ids,
                    )
                )
        rows.append(row)
    return Table(caption, header, rows, note)


def names(units: list[Unit]) -> str:
    return "、".join(u.name for u in units)
