"""Weekly counts per issue: the groupby behind the emergence test.

A week's rows are matched to the active issues (nearest centroid over the
threshold, ``clustering.assign``), their repeats found (``dedup``), and the
per-row result (issue, week, is-original) is reduced to one small table per
week: ``issue, originals, members, first_at, last_at``. The whole history's
rows never meet in one process; only these tables do.

Repeats are time-windowed: a complaint's original lies at most
``dedup_window_days`` before it. Each week is checked together with the
``context_days(cfg)`` (two windows) before it, so a week's repeats do not
depend on how the input is partitioned or which run (cold, warm) counts it.
Only a chain of repeats longer than that look-back (a near copy of a near copy
... reaching back more than two windows) can differ from a check over the
whole history at once (``dedup.check_repeats`` on every row, the engine before
issue 14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import dedup
from hotline_nlp.topics.count_table import per_week_issue


def context_days(config) -> float:
    """How far back a week's repeat check looks (two repeat windows)."""
    return 2.0 * float(config.dedup_window_days)


def repeats(rows: pd.DataFrame, x, keys: np.ndarray, config) -> dedup.RepeatCheck:
    """Each row's original (position in ``rows``; -1 = original) and chorus flag by
    the repeat rules (``dedup``), ``rows`` in time order with their vectors and text keys."""
    return dedup.check_repeats(
        rows["created_at"],
        None,
        x,
        rows["caller"].tolist() if "caller" in rows else None,
        config.dedup_window_days,
        config.dup_cos,
        config.caller_cos,
        text_keys=keys,
        chorus_cos=config.chorus_cos,
        chorus_days=config.chorus_days,
    )


def matrix(
    table: pd.DataFrame, issue_ids: list[int], weeks: list[str], column: str = "originals"
) -> np.ndarray:
    """(issues x weeks) of ``column``, rows = ``issue_ids``, columns = ``weeks``."""
    m = np.zeros((len(issue_ids), len(weeks)), dtype=np.int64)
    if not issue_ids or not len(table):
        return m
    row = {k: i for i, k in enumerate(issue_ids)}
    col = {w: j for j, w in enumerate(weeks)}
    r = table["issue"].map(row)
    c = table["week"].map(col)
    ok = r.notna() & c.notna()
    np.add.at(
        m, (r[ok].astype(np.int64).to_numpy(), c[ok].astype(np.int64).to_numpy()), table.loc[ok, column]
    )
    return m


def resolved(table: pd.DataFrame, resolve) -> pd.DataFrame:
    """``table`` with issue ids followed through merges and summed per (week, issue)."""
    if not len(table):
        return table
    t = table.assign(issue=table["issue"].map(lambda k: int(resolve(int(k)))))
    return per_week_issue(t, "sum")
