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
whole history at once (``dedup.find_repeats`` on every row, the engine before
issue 14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import dedup, week_samples
from hotline_nlp.topics.alert_pieces import raw_of, rows_of
from hotline_nlp.topics.count_table import empty_table, per_week_issue, reduce_rows
from hotline_nlp.topics.periods import parse_period


def context_days(config) -> float:
    """How far back a week's repeat check looks (two repeat windows)."""
    return 2.0 * float(config.dedup_window_days)


def repeats(rows: pd.DataFrame, x, keys: np.ndarray, config) -> np.ndarray:
    """Each row's original (position in ``rows``; -1 = original) by the repeat
    rules (``dedup``), ``rows`` in time order with their vectors and text keys."""
    return dedup.find_repeats(
        rows["created_at"],
        None,
        x,
        rows["caller"].tolist() if "caller" in rows else None,
        config.dedup_window_days,
        config.dup_cos,
        config.caller_cos,
        text_keys=keys,
    )


def count_rows(rows: pd.DataFrame, x, keys: np.ndarray, n_ctx: int, labels: np.ndarray, week: str, config):
    """Count one week: ``rows`` are the look-back rows (the first ``n_ctx``) then the
    week's rows, in time order; ``labels`` the issue per week row (-1 none).

    Returns ``(table, dup_of)``: the week's table (``COLUMNS``) and each row's
    original (position in ``rows``; -1 = original)."""
    dup_of = repeats(rows, x, keys, config)
    own = rows.iloc[n_ctx:]
    table = reduce_rows(labels, dup_of[n_ctx:] < 0, own["created_at"].to_numpy(), week)
    return table, dup_of


def count_block(pieces, weeks: list[str], rep, centroids, issue_ids, config, window_start, n_jobs=1) -> list:
    """Count ``weeks`` (consecutive) from ``pieces`` (their rows and the look-back
    before the first). Returns ``[(week, table, total rows, sample)]``, the
    sample being the week's ``week_samples.frame`` (kept by ``--state-dir``).

    Only the counted weeks' rows are matched to the issues; the look-back rows
    serve the repeat check alone."""
    rows = rows_of(pieces)
    counts, sem, keys = raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem  # a task's peak memory is its rows' vectors and the repeat check
    times = rows["created_at"].to_numpy()
    first, last = parse_period(weeks[0]), parse_period(weeks[-1])
    lo, hi = np.searchsorted(times, np.array([first.start, last.end], dtype="datetime64[ns]"))
    best = np.full(len(rows), -1, np.int64)
    sim = np.zeros(len(rows), np.float32)
    best[lo:hi], sim[lo:hi] = cl.assign(
        x, centroids, config.tracker.cluster.assign_threshold, rows=np.arange(lo, hi), n_jobs=n_jobs
    )
    ids = np.asarray(issue_ids, np.int64)
    labels = np.where(best >= 0, ids[np.maximum(best, 0)] if len(ids) else -1, -1)
    out = []
    for w in weeks:
        p = parse_period(w)
        lo = max(p.start - pd.Timedelta(days=context_days(config)), window_start)
        a, s, b = np.searchsorted(times, np.array([lo, p.start, p.end], dtype="datetime64[ns]"))
        if b == s:
            out.append((w, empty_table(), 0, None))
            continue
        table, dup_of = count_rows(rows.iloc[a:b], x[a:b], keys[a:b], s - a, labels[s:b], w, config)
        m, scale = week_samples.chosen(rows["key"].iloc[s:b])
        sample = week_samples.frame(rows.iloc[s:b].loc[m], (dup_of[s - a :] < 0)[m], sim[s:b][m], scale)
        out.append((w, table, int(b - s), sample))
    return out


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
