"""The range report's per-partition steps (``hot_issues``, ``--start/--end``):
what runs on the Dask workers, or in this process with the local executor.

They work on the weekly alert's pieces (``alert_pieces.load_piece``: each
partition's rows cut by ISO week, kept where loaded), restricted to the range
[start, end) (a range's first and last weeks may reach outside it). A task
gets the pieces of a few consecutive weeks and returns small things: document
frequencies, a sample, one reduction per issue, a bounded sample of rows.

``match_block`` is the map + groupby of the report: every complaint of its
weeks is matched to the issues (a complaint of the clustered sample keeps its
sample label, as ``clustering.discover`` gives it), repeats are found with a
look-back (``weekly_counts.count_rows``, as the alert counts), and the rows
are reduced per issue to what the heat index needs (``reduce_block``). The
block stays on the worker as a describing block (``issue_blocks``), which
returns only the rows that describe the top issues.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import alert_pieces as ap
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.emergence import decay_weights
from hotline_nlp.topics.periods import parse_period
from hotline_nlp.topics.week_pieces import ROW_FIELDS


def range_rows(pieces, start, end) -> pd.DataFrame:
    """The pieces' rows in [start, end), in time order."""
    rows = ap.rows_of(pieces)
    t = rows["created_at"]
    return rows.loc[(t >= start) & (t < end)].reset_index(drop=True)


def load_range_piece(source, options=None, weeks: frozenset = frozenset(), start=None, end=None) -> dict:
    """``alert_pieces.load_piece`` plus ``meta["in_range"]``: rows per week in [start, end)."""
    piece = ap.load_piece(source, options, weeks)
    inr = {}
    for w, g in piece["weeks"].items():
        t = g["created_at"]
        n = int(((t >= start) & (t < end)).sum())
        if n:
            inr[w] = n
    piece["meta"]["in_range"] = inr
    return piece


def scan(pieces, rep, start, end) -> dict:
    return ap.scan_week([range_rows(pieces, start, end)], rep)


def sample(pieces, rep, threshold: int, start, end):
    return ap.sample_week([range_rows(pieces, start, end)], rep, threshold)


def match_block(pieces, weeks, rep, centroids, issue_ids, sampled, config, start, end, half, n_jobs=1):
    """Match, dedup and reduce the ``weeks`` (consecutive) of the range; ``pieces``
    also hold the look-back before the first. Kept on the worker: the per-row
    result (``summary`` is what the client reads; ``rows``, ``labels`` and
    ``original`` make it a describing block, ``issue_blocks``)."""
    from hotline_nlp.topics import clustering as cl

    rows = range_rows(pieces, start, end)
    counts, sem, keys = ap.raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem  # a task's peak memory is its rows' vectors and the repeat check
    times = rows["created_at"].to_numpy()
    first, last = parse_period(weeks[0]), parse_period(weeks[-1])
    s0, b0 = (
        int(v) for v in np.searchsorted(times, np.array([first.start, last.end], dtype="datetime64[ns]"))
    )
    # only the block's own rows are matched; the look-back rows serve the repeat check alone
    best, _ = cl.assign(
        x, centroids, config.tracker.cluster.assign_threshold, rows=np.arange(s0, b0), n_jobs=n_jobs
    )
    own = rows["key"].iloc[s0:b0].map(sampled)
    idx = np.where(own.notna().to_numpy(), own.fillna(-1).to_numpy(np.int64), best)
    ids = np.asarray(issue_ids, np.int64)
    lab = np.where(idx >= 0, ids[np.maximum(idx, 0)] if len(ids) else -1, -1)
    tables, original = [], np.zeros(0, bool)
    for w in weeks:
        p = parse_period(w)
        lo = max(p.start - pd.Timedelta(days=wc.context_days(config)), start)
        a, s, b = np.searchsorted(times, np.array([lo, p.start, p.end], dtype="datetime64[ns]"))
        if b == s:
            continue
        table, dup = wc.count_rows(rows.iloc[a:b], x[a:b], keys[a:b], s - a, lab[s - s0 : b - s0], w, config)
        tables.append(table)
        original = np.concatenate([original, dup[s - a :] < 0])
    own = rows.iloc[s0:b0].reset_index(drop=True)
    summary = reduce_block(own, lab, original, tables, end, half)
    return {
        "summary": summary,
        "rows": own[[c for c in ROW_FIELDS if c in own]],
        "labels": lab,
        "original": original,
    }


def reduce_block(own: pd.DataFrame, lab, original, tables, end, half) -> dict:
    """The block's rows reduced per issue: weekly table, decayed volume of
    originals, caller hashes, likes."""
    ages = ((end - own["created_at"]).dt.total_seconds() / 86400).to_numpy()
    w = decay_weights(ages, half) * original
    m = lab >= 0
    f = pd.DataFrame({"issue": lab[m], "w": w[m]})
    out = {
        "table": pd.concat(tables, ignore_index=True) if tables else ct.empty_table(),
        "volume": f.groupby("issue")["w"].sum(),
        "has_caller": "caller" in own,
        "has_likes": "likes" in own,
    }
    if out["has_caller"]:
        c = own["caller"].fillna("").astype(str).to_numpy()[m]
        h = pd.util.hash_pandas_object(pd.Series(c, dtype=object), index=False).to_numpy()
        g = pd.DataFrame({"issue": lab[m], "h": h, "empty": c == ""})
        out["empty_callers"] = g.groupby("issue")["empty"].sum()
        full = g.loc[~g["empty"]]
        out["callers"] = {int(k): np.unique(v.to_numpy()) for k, v in full.groupby("issue")["h"]}
    if out["has_likes"]:
        lk = pd.to_numeric(own["likes"], errors="coerce").fillna(0).to_numpy()
        out["likes"] = pd.Series(lk[m]).groupby(lab[m]).sum()
    return out


def summary_of(kept: dict) -> dict:
    return kept["summary"]
