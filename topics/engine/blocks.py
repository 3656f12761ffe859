"""Blocks: one task's share of consecutive complaints, the one rule that cuts
them, and the one kernel every block runs (vectorise -> match to the issues ->
repeat check with look-back).

Why one kernel: the new week of the weekly alert, the history it counts, the
look-back weeks it describes and the range report's weeks are all "these
complaints, matched to these issues, with their repeats": each is a
``match`` over the block's rows and the look-back before them. What differs
is what a step reduces the result to (``week``, ``history``, ``range``).

A block is at most ``ROWS_PER_TASK`` complaints of consecutive days or weeks
(``cut``: a day or week over it is a block alone); its look-back rows come on
top. Every count is the same whatever the cut, since each repeat check carries
its own look-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import weekly_counts as wc
from hotline_nlp.topics.engine.pieces import raw_of, rows_of
from hotline_nlp.topics.periods import parse_period

# Complaints a block counts at most (its look-back rows come on top): more per
# task means fewer look-back reads; a day or week over it is a block alone.
ROWS_PER_TASK = 60_000
# What a block keeps of its rows for describing issues (the rest stays in the pieces).
ROW_FIELDS = ("id", "key", "created_at", "text", "title")


def cut(sizes: dict[str, int], budget: int | None = None) -> list[list[str]]:
    """Keys (days ``YYYY-MM-DD`` or ISO weeks, which sort in time order) with their
    complaints, cut into consecutive groups of at most ``budget`` complaints (a key
    over budget is a group alone; None: ``ROWS_PER_TASK``)."""
    budget = ROWS_PER_TASK if budget is None else budget
    out: list[list[str]] = []
    size = 0
    for k in sorted(sizes):
        n = sizes[k]
        if out and size + n <= budget:
            out[-1].append(k)
            size += n
        else:
            out.append([k])
            size = n
    return out


def spread_budget(total: int, n_workers: int) -> int:
    """A budget that gives every worker a block where the complaints allow."""
    return max(1, min(ROWS_PER_TASK, -(-total // max(1, n_workers))))


def day_spans(per_day: dict[str, int], budget: int | None = None) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Days with complaints cut into ``[start, end)`` spans (``cut``)."""
    groups = cut({d: n for d, n in per_day.items() if n}, budget)
    return [(pd.Timestamp(g[0]), pd.Timestamp(g[-1]) + pd.Timedelta(days=1)) for g in groups]


@dataclass
class Block:
    """A block's complaints kept where they were matched: their rows (``ROW_FIELDS``,
    time order), issue ids (-1 none) and original flags (not a repeat; rows whose
    repeats were not checked count as originals); until the tracker's step also
    their vectors and id hashes; ``summary``: what the client reads of it."""

    rows: pd.DataFrame
    labels: np.ndarray
    original: np.ndarray
    x: Any = None
    prio: np.ndarray | None = None
    summary: Any = None
    in_focus: np.ndarray | None = None
    chorus: np.ndarray | None = None  # rows in a chorus (``dedup``; None: not checked)
    chorus_root: np.ndarray | None = None  # the key of the first complaint of each row's chorus ("" none)


def summary_of(block: Block):
    return block.summary


@dataclass
class Matched:
    """The kernel's result for a block's own rows."""

    rows: pd.DataFrame  # own rows, time order
    x: Any  # their vectors
    labels: np.ndarray  # issue id per row (-1 none)
    sim: np.ndarray  # best cosine to the issues
    original: np.ndarray  # not a repeat
    chorus: np.ndarray  # in a chorus: another caller's near-identical text within days (``dedup``)
    chorus_root: np.ndarray  # the key of the chorus's first complaint ("" none)


def checks_of(times: np.ndarray, periods, ctx_days: float, floor) -> list[tuple]:
    """One repeat check per period ``(start, end)``: ``(a, s, b)`` positions in
    ``times`` of its look-back start (``ctx_days`` back, not before ``floor``),
    its first row and its end; empty periods are ``(s, s, s)``."""
    out = []
    for p0, p1 in periods:
        lo = max(p0 - pd.Timedelta(days=ctx_days), floor)
        a, s, b = (int(v) for v in np.searchsorted(times, np.array([lo, p0, p1], dtype="datetime64[ns]")))
        out.append((a, s, b) if b > s else (s, s, s))
    return out


def week_periods(weeks) -> list[tuple]:
    return [(parse_period(w).start, parse_period(w).end) for w in weeks]


def match(rows, own, checks, rep, centroids, issue_ids, config, n_jobs=1, sampled=None) -> Matched:
    """The kernel: ``rows`` (time order) vectorised, the ``own = (lo, hi)`` ones
    matched to the issues (rows of ``centroids``, ids ``issue_ids``; ``sampled``:
    key -> issue index of a clustered sample's rows, which keep their label), and
    repeat-checked (``weekly_counts.repeats``) per check ``(a, s, b)`` of
    ``checks_of`` (the checks tile ``own``; None: every row is an original)."""
    lo, hi = own
    counts, sem, keys = raw_of(rows, rep)
    x = rep.weigh(counts, sem, copy=False)
    del counts, sem  # a task's peak memory is its rows' vectors and the repeat check
    best, sim = cl.assign(
        x, centroids, config.tracker.cluster.assign_threshold, rows=np.arange(lo, hi), n_jobs=n_jobs
    )
    own_rows = rows.iloc[lo:hi].reset_index(drop=True)
    if sampled is not None:
        mine = own_rows["key"].map(sampled)
        best = np.where(mine.notna().to_numpy(), mine.fillna(-1).to_numpy(np.int64), best)
    ids = np.asarray(issue_ids, np.int64)
    labels = np.where(best >= 0, ids[np.maximum(best, 0)] if len(ids) else -1, -1)
    original, root = np.ones(hi - lo, bool), np.full(hi - lo, "", dtype=object)
    if checks is not None:
        ok, roots = [], []
        for a, s, b in checks:
            if b > s:
                g = wc.repeats(rows.iloc[a:b], x[a:b], keys[a:b], config)
                first = g.chorus_of[s - a :]
                ok.append(g.dup_of[s - a :] < 0)
                roots.append(
                    np.where(first >= 0, rows["key"].iloc[a:b].to_numpy(object)[np.maximum(first, 0)], "")
                )
        original = np.concatenate(ok) if ok else np.zeros(0, bool)
        root = np.concatenate(roots).astype(object) if roots else np.zeros(0, object)
    return Matched(own_rows, x[lo:hi], labels, np.asarray(sim), original, root != "", root)


def span_rows(pieces, span, config, floor) -> tuple[pd.DataFrame, tuple, list]:
    """The rows of ``span`` ``(start, end)`` with the look-back of their repeat
    check before them (not before ``floor``): rows, own positions, the one check."""
    rows = rows_of(pieces)
    times = rows["created_at"].to_numpy()
    ((a, s, b),) = checks_of(times, [span], wc.context_days(config), floor)
    rows = rows.iloc[a:b].reset_index(drop=True)
    return rows, (s - a, b - a), [(0, s - a, b - a)]


def keep_fields(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[[c for c in ROW_FIELDS if c in rows]]
