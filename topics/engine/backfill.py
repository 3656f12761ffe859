"""The history of issues born in a warm week (``backfill``).

Why: an issue born in week ``w`` out of the pool has no counts in the weeks
counted before it existed (stored weeks, and weeks advanced earlier), and a
warm run does not re-read those weeks. Each such week gets, per such issue,
the larger of its exact members there (complaints that waited unassigned and
joined it, ``tracker.assignments_``, and those still in the pool that the
centroid rule gives it, ``pool_members``; counted as originals, dated to the
week's Monday): exact in the pool's weeks. Older weeks get the estimate from
their samples (``week_samples.estimate``, a map), spread evenly over them
(``week_samples.spread``). A week without a sample (a state from before
samples) has only the exact part, so such issues are scored from after it, or
from their first pool week (``run.known_from``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import count_table as ct
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics.engine.run import ordered
from hotline_nlp.topics.periods import week_bounds


def backfill(run, w: str) -> pd.DataFrame:
    """The count table of the issues born in week ``w`` over the weeks ``run`` (an
    ``alert.AlertRun``) counted before it; sets ``run.known_from`` where needed."""
    tr = run.tracker
    frozen = [k for k in run.frozen if k < w]
    born = [i.id for i in tr.issues_ if i.origin == "new" and i.born == w and i.merged_into is None]
    if not frozen or not born:
        return ct.empty_table()
    recs = []
    for k in frozen:
        n = pd.Series([v for v in tr.assignments_.get(k, {}).values() if v in set(born)]).value_counts()
        at = week_bounds(k)[0]
        recs += [(k, int(i), int(c), int(c), at, at, 0) for i, c in n.items()]
    exact = pd.DataFrame(recs, columns=ct.COLUMNS) if recs else ct.empty_table()
    exact = _add(exact, pool_members(run, born, set(frozen)))
    pool = set(tr.pool_span(tr.weeks_))  # counted exactly from the pool (pool_members)
    est = [(k, run.sample_of(k)) for k in frozen if k not in pool]
    est = [(k, s) for k, s in est if s is not None]
    whole = {k for k, s in est if len(s) and int(s["scale"].iloc[0]) == 1}
    got = ordered(
        run.ex, ws.estimate, est, "alert-estimate", rep=run.shared, centroids=tr.centroids_of(born),
        issue_ids=born, threshold=run.cfg.tracker.cluster.assign_threshold,
    )  # fmt: skip
    estimated = pd.concat(got or [ct.empty_table()], ignore_index=True)
    estimated = ws.spread(estimated, [k for k, _ in est], whole, lambda k: week_bounds(k)[0])
    table = ws.combine(exact, estimated)
    missing = [k for k in frozen if k not in pool and run.sample_of(k) is None]
    if missing:
        first = tr.pool_span(tr.weeks_)[0]
        after = [k for k in run.weeks if k > max(missing)]
        first = min(first, after[0]) if after else first
        run.known_from.update({i: first for i in born})
    return table


def pool_members(run, born, weeks: set) -> pd.DataFrame:
    """The complaints still in the pool (unassigned in their week) that the
    centroid rule gives to an issue born now, unless an older active issue
    is nearer: exact counts for the pool's weeks, as a re-match of those
    weeks would find them (as originals, dated to the week's Monday)."""
    tr, cfg = run.tracker, run.cfg
    if tr.pool_x_ is None or not born:
        return ct.empty_table()
    pw = np.asarray(tr.pool_weeks_, dtype=object)
    rows = np.flatnonzero(np.isin(pw, list(weeks)))
    if not rows.size:
        return ct.empty_table()
    thr = cfg.tracker.cluster.assign_threshold
    best, sim = cl.assign(tr.pool_x_, tr.centroids_of(born), thr, rows=rows, n_jobs=cfg.n_jobs)
    hit = best >= 0
    older = [k for k in (tr.issues_[a].id for a in tr.active_) if k not in set(born)]
    if hit.any() and older:  # issues born since the complaint waited may be nearer (as in a re-match)
        _, other = cl.assign(tr.pool_x_, tr.centroids_of(older), thr, rows=rows[hit], n_jobs=cfg.n_jobs)
        hit[np.flatnonzero(hit)] = sim[hit] >= other
    if not hit.any():
        return ct.empty_table()
    ids, wk = np.asarray(born, np.int64)[best[hit]], pw[rows[hit]]
    parts = []
    for k in sorted(set(wk)):
        m = wk == k
        at = np.full(int(m.sum()), week_bounds(k)[0], dtype="datetime64[ns]")
        parts.append(ct.reduce_rows(ids[m], np.ones(int(m.sum()), bool), at, k))
    return pd.concat(parts, ignore_index=True)


def _add(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Two count tables of disjoint complaints, summed per (week, issue)."""
    parts = [t for t in (a, b) if len(t)]
    if len(parts) < 2:
        return parts[0] if parts else ct.empty_table()
    return ct.per_week_issue(pd.concat(parts, ignore_index=True), "sum")
