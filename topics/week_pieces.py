"""The new week's per-block steps of the weekly alert: what runs on the Dask
workers (or, with the local executor, in this process; one code path).

Why blocks: a week of a large platform (Beijing: ~410,000 complaints) must
not meet in one process. The week is cut into blocks of consecutive days
(``day_blocks``: at most ``ROWS_PER_TASK`` complaints, a busier day alone),
and each block is one task over the pieces (``alert_pieces.load_piece``) of
its days and of the look-back of its repeat check:

1. ``match_block`` (before the tracker's step): the block's complaints are
   vectorised, matched to the active issues (``clustering.assign``) and
   repeat-checked with their look-back (``weekly_counts.repeats``). The client
   gets only what the tracker needs: per issue, how many complaints and the
   sum of their vectors (``clustering.member_sums``), and the id hashes of
   the unmatched ones; the rows, labels and vectors stay on the worker.
2. ``free_rows``: the unmatched complaints that enter the tracker's pool
   (id hash at most the week's ``tracker.pool_cut``), with their vectors.
3. the tracker steps in the client on these (``IssueTracker.step_matched``).
4. ``finish_block`` (after the step): each complaint's issue (its match
   followed through this week's merges, or the tracker's own placement of it),
   the week's count table part (``count_table.reduce_rows``; the week's parts
   are summed), the part of the week's stored sample (``week_samples``), and
   the block kept for describing issues (``issue_blocks``), without vectors.

``label_block`` gives the look-back weeks' complaints their issue for
describing (keyword documents, background): matched to today's issues.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.alert_pieces import priorities, raw_of, rows_of
from hotline_nlp.topics.count_table import reduce_rows

# Complaints a block counts at most (its look-back rows come on top); a day
# over it is a block of its own. The range report cuts its weeks the same way.
ROWS_PER_TASK = 60_000
# What a block keeps of its rows for describing issues (the rest stays in the pieces).
ROW_FIELDS = ("id", "key", "created_at", "text", "title")


def day_blocks(per_day: dict[str, int], budget: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive days (``YYYY-MM-DD`` -> complaints) cut into ``[start, end)``
    spans of at most ``budget`` complaints; a day over budget is a span alone.
    Counts do not depend on the cut (each span has its own look-back)."""
    out: list[list] = []
    size = 0
    for day in sorted(d for d, n in per_day.items() if n):
        t0 = pd.Timestamp(day)
        n = per_day[day]
        if out and size + n <= budget:
            out[-1][1] = t0 + pd.Timedelta(days=1)
            size += n
        else:
            out.append([t0, t0 + pd.Timedelta(days=1)])
            size = n
    return [(a, b) for a, b in out]


def _span_rows(pieces, span, config, window_start) -> tuple[pd.DataFrame, int]:
    """The rows of ``span`` with the look-back of their repeat check before
    them (from ``window_start`` on), and how many of them are look-back."""
    rows = rows_of(pieces)
    t0, t1 = span
    lo = max(t0 - pd.Timedelta(days=wc.context_days(config)), window_start)
    times = rows["created_at"].to_numpy()
    a, s, b = np.searchsorted(times, np.array([lo, t0, t1], dtype="datetime64[ns]"))
    return rows.iloc[a:b].reset_index(drop=True), int(s - a)


def _labels(best: np.ndarray, issue_ids) -> np.ndarray:
    ids = np.asarray(issue_ids, np.int64)
    return np.where(best >= 0, ids[np.maximum(best, 0)] if len(ids) else -1, -1)


def match_block(item, rep, centroids, issue_ids, config, window_start, n_jobs=1) -> dict:
    """``(pieces, span)`` -> the block kept on the worker (see the module doc);
    its ``summary`` is what the client reads (``summary_of``)."""
    pieces, span = item
    rows, n_ctx = _span_rows(pieces, span, config, window_start)
    counts, sem, keys = raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem
    own = np.arange(n_ctx, len(rows))
    best, _ = cl.assign(x, centroids, config.tracker.cluster.assign_threshold, rows=own, n_jobs=n_jobs)
    labels = _labels(best, issue_ids)
    dup_of = wc.repeats(rows, x, keys, config)
    x_own = x[n_ctx:]
    del x
    sums_ids, sums = cl.member_sums(x_own, labels)
    n_of = pd.Series(labels[labels >= 0]).value_counts()
    free = np.flatnonzero(labels < 0)
    own_rows = rows.iloc[n_ctx:].reset_index(drop=True)
    prio = priorities(own_rows["key"])
    summary = {
        "n": len(own_rows),
        "issues": sums_ids,
        "sums": sums,
        "counts": np.array([int(n_of[k]) for k in sums_ids], np.int64),
        "free_prio": prio[free],
    }
    return {
        "summary": summary,
        "rows": own_rows[[c for c in ROW_FIELDS if c in own_rows]],
        "x": x_own,
        "labels": labels,
        "original": dup_of[n_ctx:] < 0,
        "prio": prio,
    }


def summary_of(kept: dict) -> dict:
    return kept["summary"]


def free_rows(kept: dict, cut) -> tuple[list, np.ndarray, object]:
    """The block's unmatched complaints with id hash <= ``cut`` (``tracker.pool_cut``):
    ids, times and vectors, in time order."""
    free = np.flatnonzero((kept["labels"] < 0) & (kept["prio"] <= np.uint64(cut)))
    rows = kept["rows"]
    return rows["key"].iloc[free].tolist(), rows["created_at"].to_numpy()[free], kept["x"][free]


def finish_block(kept: dict, week: str, surviving, placed, centroids, issue_ids, n_week: int, config) -> dict:
    """The block after the tracker's step: each complaint's issue (``surviving``:
    issue id -> the id it survives as, through merges; ``placed``: complaint id
    -> issue, the tracker's own placements of this week, which win), its part of
    the week's count table and of the week's stored sample (``n_week``: the
    week's complaints, which set the sample's rate). Returns the describing
    block (``issue_blocks``: rows, labels, original) with ``table`` and
    ``sample``; the vectors are dropped."""
    rows, original = kept["rows"], kept["original"]
    labels = kept["labels"].copy()
    if len(placed):
        own = rows["key"].map(placed)
        hit = own.notna().to_numpy()
        labels[hit] = own[hit].to_numpy(np.int64)
    surv = np.asarray(surviving, np.int64)
    labels = np.where(labels >= 0, surv[np.maximum(labels, 0)], -1)
    table = reduce_rows(labels, original, rows["created_at"].to_numpy(), week)
    take = ws.chosen_in(kept["prio"], n_week)
    idx = np.flatnonzero(take)
    sim = np.zeros(idx.size, np.float32)
    if idx.size and len(issue_ids):
        _, sim = cl.assign(kept["x"], centroids, config.tracker.cluster.assign_threshold, rows=idx, n_jobs=1)
    sample = ws.frame(rows.iloc[idx], original[idx], sim, ws.scale_for(n_week))
    return {
        "rows": rows,
        "labels": labels,
        "original": original,
        "table": table,
        "sample": sample,
    }


def finished_part(block: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the client reads of a finished block: its count table part and sample part."""
    return block["table"], block["sample"]


def label_block(
    item, rep, centroids, issue_ids, config, window_start, placed=None, focus: bool = False
) -> dict:
    """``(pieces, span)`` -> a describing block (``issue_blocks``) of the span's
    complaints matched to today's issues (``placed``: complaint id -> issue, the
    tracker's own placements, surviving ids, which win). ``focus``: the span is the report's
    week (a stored week shown again): its repeats are checked, with their
    look-back, so its originals are known; otherwise (look-back weeks, which
    only lend keyword documents and background) every row counts as original."""
    pieces, span = item
    if focus:
        rows, n_ctx = _span_rows(pieces, span, config, window_start)
    else:
        every = rows_of(pieces)
        t = every["created_at"]
        rows, n_ctx = every.loc[(t >= span[0]) & (t < span[1])].reset_index(drop=True), 0
    counts, sem, keys = raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem
    own = np.arange(n_ctx, len(rows))
    best, _ = cl.assign(x, centroids, config.tracker.cluster.assign_threshold, rows=own, n_jobs=1)
    labels = _labels(best, issue_ids)
    original = wc.repeats(rows, x, keys, config)[n_ctx:] < 0 if focus else np.ones(len(own), bool)
    own_rows = rows.iloc[n_ctx:].reset_index(drop=True)
    if placed is not None and len(placed):
        hit = own_rows["key"].map(placed)
        m = hit.notna().to_numpy()
        labels[m] = hit[m].to_numpy(np.int64)
    return {
        "rows": own_rows[[c for c in ROW_FIELDS if c in own_rows]],
        "labels": labels,
        "original": original,
    }
