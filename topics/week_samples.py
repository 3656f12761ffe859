"""A fixed id-hash sample of each counted week, kept in ``--state-dir`` so a warm
run can give an issue born today a baseline over the stored weeks.

Why: a warm run does not re-read the stored weeks (that is what makes it
cheap), but an issue born this week out of the pool would then have no
history except the few complaints that waited in the pool, and on a stream
where recurring patterns are found late it is flagged as "emerging" every
time (on the synthetic 1M stream: 329 warm alerts against 3 cold). A cold run
re-matches the whole history to it. The sample is the middle way: when a week
is counted, the rows whose id hash falls below ``2**64 / 2**k`` are kept
(``k`` the smallest shift giving at most ``SAMPLE_CAP`` rows, so the scale
``2**k`` is a whole number and the counts stay integers), with their normalised text,
time, whether each was an original (not a repeat) and its best cosine to the
issues of that time. An issue born in a warm run is credited, in each stored
week, with ``scale`` x the sampled rows that are closer to it than to what
they matched then (and over the assignment threshold): an unbiased estimate
of the count a cold run's re-match would give, with sampling noise (about
+-1/sqrt(sampled members) relative).

The sample is by id hash (``sampling.priorities``), so it does not depend
on how the input is partitioned or on which process counted the week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.corpus.text import normalise_many
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.count_table import COLUMNS, empty_table, per_week_issue, reduce_rows
from hotline_nlp.topics.sampling import ALL, priorities

SAMPLE_CAP = 2048  # rows kept per counted week at most (19k-row weeks keep 1/16, ~1,200 rows)
FIELDS = ["key", "text", "created_at", "original", "sim", "scale"]


def shift_for(n: int, cap: int = SAMPLE_CAP) -> int:
    """The smallest ``k`` with ``n / 2**k <= cap``."""
    k = 0
    while n > cap << k:
        k += 1
    return k


def scale_for(n_week: int) -> int:
    """How many complaints each sampled one stands for in a week of ``n_week``."""
    return 1 << shift_for(n_week)


def chosen_in(prio: np.ndarray, n_week: int) -> np.ndarray:
    """Which rows (their id hashes ``prio``, ``sampling.priorities``) of a week
    of ``n_week`` complaints are in its sample: any part of the week decides
    alone, so a week counted in several blocks gets one sample."""
    k = shift_for(n_week)
    if not k:
        return np.ones(len(prio), bool)
    return np.asarray(prio, np.uint64) <= np.uint64(ALL >> k)


def chosen(keys) -> tuple[np.ndarray, int]:
    """Which of a week's rows (their ``keys``, the whole week) are in its sample,
    and the scale (each sampled row stands for ``scale`` rows)."""
    if not shift_for(len(keys)):
        return np.ones(len(keys), bool), 1
    return chosen_in(priorities(keys), len(keys)), scale_for(len(keys))


def frame(rows: pd.DataFrame, original: np.ndarray, sim: np.ndarray, scale: int) -> pd.DataFrame:
    """The stored sample: the sampled ``rows`` with each one's original flag and
    best cosine to the issues it was matched against."""
    return pd.DataFrame(
        {
            "key": rows["key"].to_numpy().astype(str),
            "text": normalise_many(rows["text"].astype(str).tolist()),  # as vectorised (idempotent)
            "created_at": rows["created_at"].to_numpy(),
            "original": np.asarray(original, bool),
            "sim": np.asarray(sim, np.float32),
            "scale": np.full(len(rows), scale, np.int64),
        }
    )[FIELDS]


def estimate(item, rep, centroids, issue_ids, threshold: float) -> pd.DataFrame:
    """``(week, sample)`` -> estimated counts (``count_table.COLUMNS``) of the
    issues ``issue_ids`` (rows of ``centroids``) in that week: a sampled row
    counts for the nearest of them when that cosine reaches ``threshold`` and
    beats the row's stored best cosine (what it matched when the week was
    counted). That is the re-match a cold run does (``emergence``: every earlier
    complaint matched afresh to today's issues), on the sample."""
    week, sample = item
    if sample is None or not len(sample) or not len(issue_ids):
        return empty_table()
    counts, sem = rep.raw(sample["text"].tolist())  # stored normalised
    best, sim = cl.assign(rep.weigh(counts, sem, copy=False), centroids, threshold, n_jobs=1)
    hit = (best >= 0) & (sim > sample["sim"].to_numpy(np.float32))
    if not hit.any():
        return empty_table()
    ids = np.asarray(issue_ids, np.int64)
    return reduce_rows(
        ids[best[hit]],
        sample["original"].to_numpy()[hit],
        sample["created_at"].to_numpy()[hit],
        week,
        weight=sample["scale"].to_numpy()[hit],
    )


def spread(estimated: pd.DataFrame, weeks: list[str], whole: set, monday) -> pd.DataFrame:
    """Each issue's estimated total over ``weeks`` spread evenly over them, in
    whole complaints (week i gets ``floor((i+1)T/n) - floor(iT/n)``), dated to
    each week's Monday (``monday(week)``). Weeks in ``whole`` (sampled whole,
    scale 1: their estimate is an exact count) keep their own counts.

    Why: a sampled week's estimate moves in steps of its scale (16 complaints
    for a 19k-a-week stream), so an issue with 3 complaints a week shows 0,
    0, 16, 0 ... and the trend test reads the 16s as bursts. The total over many
    weeks is what the sample estimates well; spread, it is a flat baseline with
    the right mean."""
    if not len(estimated):
        return empty_table()
    kept = estimated["week"].isin(whole)
    rough_weeks = [w for w in weeks if w not in whole]
    n = len(rough_weeks)
    recs = []
    for k, g in estimated.loc[~kept].groupby("issue", sort=True):
        o_tot, m_tot = int(g["originals"].sum()), int(g["members"].sum())
        for i, w in enumerate(rough_weeks):
            o = (i + 1) * o_tot // n - i * o_tot // n
            m = (i + 1) * m_tot // n - i * m_tot // n
            if m:
                recs.append((w, int(k), o, m, monday(w), monday(w), 0))
    parts = [t for t in (estimated.loc[kept], pd.DataFrame(recs, columns=COLUMNS)) if len(t)]
    return pd.concat(parts, ignore_index=True)[COLUMNS] if parts else empty_table()


def combine(exact: pd.DataFrame, estimated: pd.DataFrame) -> pd.DataFrame:
    """Per (week, issue), the larger of the exact count (complaints that waited in
    the pool and joined the issue) and the sample's estimate."""
    parts = [t for t in (exact, estimated) if len(t)]
    if not parts:
        return empty_table()
    return per_week_issue(pd.concat(parts, ignore_index=True), "max")
