"""The new week's block steps of the weekly alert (on the workers, or here).

Why blocks: a week of a large platform (Beijing: ~410,000 complaints) must
not meet in one process. The week is cut into blocks of consecutive days
(``blocks.day_spans``), each one task over the pieces of its days and of the
look-back of its repeat check:

1. ``match_block`` (before the tracker's step): the kernel (``blocks.match``);
   the client gets only what the tracker needs (``WeekSums``): per issue, how
   many complaints and the sum of their vectors (``clustering.member_sums``),
   and the id hashes of the unmatched ones; rows, labels and vectors stay.
2. ``free_rows``: the unmatched complaints that enter the tracker's pool
   (id hash at most the week's ``tracker.pool_cut``), with their vectors.
3. the tracker steps in the client on these (``IssueTracker.step_matched``).
4. ``finish_block`` (after the step): each complaint's issue (its match
   followed through this week's merges, or the tracker's own placement of it),
   the week's count table part (``count_table.reduce_rows``; the week's parts
   are summed) and the part of the week's stored sample (``week_samples``);
   the block is kept for describing issues (``describe``), without vectors.

``label_block`` gives other weeks' complaints their issue for describing
(keyword documents, background): matched to today's issues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics.count_table import reduce_rows
from hotline_nlp.topics.engine.blocks import Block, keep_fields, match, span_rows
from hotline_nlp.topics.engine.pieces import rows_of
from hotline_nlp.topics.engine.run import ordered
from hotline_nlp.topics.sampling import priorities
from hotline_nlp.topics.tracker import WeekMatch, pool_cut
from scipy import sparse


@dataclass
class WeekSums:
    """What the tracker's step needs of a matched block."""

    n: int  # complaints of the block
    issues: np.ndarray  # issue ids with members in it
    sums: object  # their members' vector sums
    counts: np.ndarray  # their members
    free_prio: np.ndarray  # id hashes of the unmatched complaints


@dataclass
class WeekPart:
    """What the client reads of a finished block."""

    table: pd.DataFrame  # its part of the week's count table
    sample: pd.DataFrame  # its part of the week's stored sample


def match_block(item, rep, centroids, issue_ids, config, window_start, n_jobs=1) -> Block:
    """``(pieces, span)`` -> the block kept on the worker, with its ``WeekSums``."""
    pieces, span = item
    rows, own, checks = span_rows(pieces, span, config, window_start)
    m = match(rows, own, checks, rep, centroids, issue_ids, config, n_jobs)
    sums_ids, sums = cl.member_sums(m.x, m.labels)
    n_of = pd.Series(m.labels[m.labels >= 0]).value_counts()
    prio = priorities(m.rows["key"])
    summary = WeekSums(
        n=len(m.rows),
        issues=sums_ids,
        sums=sums,
        counts=np.array([int(n_of[k]) for k in sums_ids], np.int64),
        free_prio=prio[m.labels < 0],
    )
    return Block(
        keep_fields(m.rows), m.labels, m.original, x=m.x, prio=prio, summary=summary, chorus=m.chorus,
        chorus_root=m.chorus_root,
    )  # fmt: skip


def free_rows(kept: Block, cut) -> tuple[list, np.ndarray, object, list]:
    """The block's unmatched complaints with id hash <= ``cut`` (``tracker.pool_cut``):
    ids, times, vectors and chorus roots ("" none), in time order."""
    free = np.flatnonzero((kept.labels < 0) & (kept.prio <= np.uint64(cut)))
    rows = kept.rows
    roots = kept.chorus_root[free].tolist() if kept.chorus_root is not None else [""] * free.size
    return rows["key"].iloc[free].tolist(), rows["created_at"].to_numpy()[free], kept.x[free], roots


def relabel(rows: pd.DataFrame, labels: np.ndarray, placed, surviving=None) -> np.ndarray:
    """``labels`` with the tracker's own placements (``placed``: complaint id ->
    issue, which win) and, with ``surviving`` (issue id -> the id it survives as),
    followed through merges."""
    labels = np.asarray(labels, np.int64).copy()
    if placed is not None and len(placed):
        got = rows["key"].map(placed)
        hit = got.notna().to_numpy()
        labels[hit] = got[hit].to_numpy(np.int64)
    if surviving is not None:
        surv = np.asarray(surviving, np.int64)
        labels = np.where(labels >= 0, surv[np.maximum(labels, 0)], -1)
    return labels


def finish_block(
    kept: Block, week: str, surviving, placed, centroids, issue_ids, n_week: int, config
) -> Block:
    """The block after the tracker's step: each complaint's issue, its part of the
    week's count table and of the week's stored sample (``n_week``: the week's
    complaints, which set the sample's rate), as ``WeekPart``; the vectors are dropped."""
    rows, original = kept.rows, kept.original
    labels = relabel(rows, kept.labels, placed, surviving)
    table = reduce_rows(labels, original, rows["created_at"].to_numpy(), week, chorus=kept.chorus)
    idx = np.flatnonzero(ws.chosen_in(kept.prio, n_week))
    sim = np.zeros(idx.size, np.float32)
    if idx.size and len(issue_ids):
        _, sim = cl.assign(kept.x, centroids, config.tracker.cluster.assign_threshold, rows=idx, n_jobs=1)
    sample = ws.frame(rows.iloc[idx], original[idx], sim, ws.scale_for(n_week))
    return Block(rows, labels, original, summary=WeekPart(table, sample), chorus=kept.chorus)


def label_block(
    item, rep, centroids, issue_ids, config, window_start, placed=None, focus: bool = False
) -> Block:
    """``(pieces, span)`` -> a describing block of the span's complaints matched to
    today's issues (``placed``: the tracker's own placements, surviving ids, which
    win). ``focus``: the span is the report's week (a stored week shown again): its
    repeats are checked, with their look-back, so its originals are known;
    otherwise (look-back weeks, which only lend keyword documents and background)
    every row counts as original."""
    pieces, span = item
    if focus:
        rows, own, checks = span_rows(pieces, span, config, window_start)
    else:
        rows, checks = rows_of(pieces, span), None
        own = (0, len(rows))
    m = match(rows, own, checks, rep, centroids, issue_ids, config)
    return Block(keep_fields(m.rows), relabel(m.rows, m.labels, placed), m.original, chorus=m.chorus)


def week_match(ex, kept: list, S: list[WeekSums], pool_max: int) -> WeekMatch:
    """The blocks' sums added up per issue (in block order) and the pool's new
    complaints (``free_rows``, a map over the ``kept`` blocks): the week's
    unmatched ones with the ``pool_max`` smallest id hashes, in time order."""
    moved: dict[int, tuple] = {}
    for s in S:
        for j, (k, n) in enumerate(zip(s.issues, s.counts)):
            n0, v0 = moved.get(int(k), (0, None))
            moved[int(k)] = (n0 + int(n), s.sums[j] if v0 is None else v0 + s.sums[j])
    prio = np.concatenate([s.free_prio for s in S]) if S else np.zeros(0, np.uint64)
    free_ids, free_x, free_chorus = [], None, None
    if prio.size:
        got = ordered(ex, free_rows, kept, "alert-pool-new", cut=pool_cut(prio, pool_max))
        frames = [g for g in got if len(g[0])]
        if frames:
            keys = [k for g in frames for k in g[0]]
            times = np.concatenate([g[1] for g in frames])
            x = sparse.vstack([g[2] for g in frames], format="csr")
            order = np.argsort(times, kind="stable")  # time order, as one frame of the week would be
            free_ids, free_x = [keys[i] for i in order], x[order]
            roots = [r for g in frames for r in g[3]]
            free_chorus = [roots[i] for i in order]
    return WeekMatch(moved, free_ids, free_x, free_chorus=free_chorus)
