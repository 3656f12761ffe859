"""Counts per category for a period, with 环比 / 同比 and sub-category shares.

This is the arithmetic behind every "物业管理类诉求 ... 同比下降 25.90%，占转办诉求
总量的 12.10%，主要集中在物业服务管理（占比 33.97%）" sentence. Hotspot detection
and the bulletin writer both read it, so the two can never disagree on a count.

Conventions (the bulletins' own):

* ``share`` of a category is its count over *all* complaints in the period (the
  denominator includes rows without a label), or over the transferred ones when
  ``transferred_only`` and the data has a ``handling`` column.
* a sub-category's ``share`` is its count over its category's count.
* changes are fractions (0.1658 means +16.58%); ``None`` when the base count is
  0, or when the data holds no complaint at all in the comparison period (the
  export does not reach back that far, so "0 last year" would be a lie).
"""

from __future__ import annotations

import pandas as pd
from hotline_nlp.topics.periods import Period, parse_period

UNLABELLED_L2 = "（未标二级分类）"
# Values of 办理方式 meaning "sent to a handling unit" (转办) as exports write them.
_TRANSFER_MARKERS = ("转办", "交办", "转部门", "派单", "转派")


def transferred_mask(frame: pd.DataFrame) -> pd.Series | None:
    """True for transferred (转办) complaints; ``None`` when there is no ``handling`` column.

    Anything mentioning 转办/交办/转部门/派单 counts as transferred; 直接答复,
    直办 and empty cells do not.
    """
    if "handling" not in frame:
        return None
    h = frame["handling"].fillna("").astype(str)
    mask = pd.Series(False, index=frame.index)
    for marker in _TRANSFER_MARKERS:
        mask |= h.str.contains(marker, regex=False)
    return mask


def as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


def in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    if "created_at" not in frame:
        raise ValueError("the complaints have no created_at (受理时间) column; periods cannot be selected")
    return frame.loc[period.contains(frame["created_at"])]


# Below this many complaints in the comparison period a percentage change says
# nothing (1 -> 2560 is "+255900%"); reports say 新增 or 不适用 instead.
MIN_CHANGE_BASE = 10


def change_ratio(now: int, base: int | None, min_base: int = MIN_CHANGE_BASE) -> float | None:
    """(now - base) / base, or None below ``min_base``: the one growth rule of the
    bulletin, the hotspot alert and the console (``change_note`` says why not)."""
    if base is None or base == 0 or base < min_base:
        return None
    return (now - base) / base


def change_note(now: int, base: int | None) -> str:
    """What to print instead of a percentage when ``change_ratio`` gives none."""
    if base is None:
        return "—"
    if base == 0:
        return "新增" if now else "不适用"
    return f"不适用（基数仅 {base} 件）"


def _base_counts(frame: pd.DataFrame, period: Period) -> pd.Series | None:
    """level1 counts in a comparison period, or None when the data has no rows there."""
    sub = in_period(frame, period)
    if sub.empty:
        return None
    return sub["level1"].value_counts()


def _ids(sub: pd.DataFrame) -> list[str]:
    return sub.sort_values("created_at", kind="stable")["id"].astype(str).tolist()


def category_table(
    frame: pd.DataFrame,
    period: Period | str,
    *,
    top: int | None = None,
    transferred_only: bool = False,
    min_base: int = MIN_CHANGE_BASE,
) -> list[dict]:
    """One dict per first-level category in ``period``, largest first.

    Each dict: ``category``, ``count``, ``share``, ``previous_count``,
    ``last_year_count``, ``change_vs_previous``, ``change_vs_last_year``,
    ``subcategories`` (``[{"category", "count", "share", "complaint_ids"}]``,
    largest first) and ``complaint_ids`` (in time order). Rows with an empty
    ``level1`` count in the denominator but get no row of their own.
    """
    if "level1" not in frame:
        raise ValueError("the complaints have no category (一级分类) column; tag them with a model first")
    period = as_period(period)
    data = frame
    if transferred_only:
        mask = transferred_mask(frame)
        if mask is not None:
            data = frame.loc[mask]
    current = in_period(data, period)
    total = len(current)
    prev = _base_counts(data, period.previous())
    last = _base_counts(data, period.last_year())

    labelled = current.loc[current["level1"].fillna("").astype(str) != ""]
    counts = labelled["level1"].value_counts()
    order = sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))
    if top is not None:
        order = order[:top]

    rows = []
    for cat in order:
        sub = labelled.loc[labelled["level1"] == cat]
        n = len(sub)
        p = None if prev is None else int(prev.get(cat, 0))
        ly = None if last is None else int(last.get(cat, 0))
        rows.append(
            {
                "category": str(cat),
                "count": n,
                "share": n / total if total else 0.0,
                "previous_count": p,
                "last_year_count": ly,
                "change_vs_previous": change_ratio(n, p, min_base),
                "change_vs_last_year": change_ratio(n, ly, min_base),
                "subcategories": _subcategories(sub),
                "complaint_ids": _ids(sub),
            }
        )
    return rows


def _subcategories(sub: pd.DataFrame) -> list[dict]:
    if "level2" not in sub:
        return []
    l2 = sub["level2"].fillna("").astype(str).replace("", UNLABELLED_L2)
    counts = l2.value_counts()
    order = sorted(counts.index, key=lambda c: (-int(counts[c]), c))
    n = len(sub)
    return [
        {
            "category": c,
            "count": int(counts[c]),
            "share": int(counts[c]) / n,
            "complaint_ids": _ids(sub.loc[l2 == c]),
        }
        for c in order
    ]
