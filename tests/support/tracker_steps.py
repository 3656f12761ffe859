"""The issue tracker driven in one process, as the unit tests drive it: cluster a
history (``bootstrap``), match a week (``match``), step a week (``step``).

The engine never does this (it starts the tracker from a clustered sample and
steps it from per-block sums, ``topics.engine``); these are the same rules on
one frame's vectors, built from the tracker's public steps (``start``,
``set_pool``, ``step_matched``), so the tests can check the tracker alone."""

from __future__ import annotations

import numpy as np
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.sampling import priorities
from hotline_nlp.topics.tracker import IssueTracker, WeekMatch, pool_cut


def bootstrap(tr: IssueTracker, ids: list[str], weeks: list[str], x) -> np.ndarray:
    """Cluster a history (rows = complaints, ``weeks`` their ISO week labels); the
    recent unmatched ones form the pool. Returns each row's issue id (-1 none)."""
    ids = [str(i) for i in ids]
    cfg = tr.config.cluster
    c, labels = cl.discover(x, cfg, tr.n_jobs, tr.clusterer) if len(ids) else (None, np.zeros(0, np.int64))
    tr.start(c, labels, weeks, weeks)
    issue_ids = np.array([tr.issues_[k].id if k >= 0 else -1 for k in labels], dtype=np.int64)
    if tr.weeks_:
        recent = set(tr.pool_span(tr.weeks_))
        keep = [j for j, (w, k) in enumerate(zip(weeks, issue_ids)) if k < 0 and w in recent]
        tr.set_pool([ids[j] for j in keep], [weeks[j] for j in keep], x[keep] if keep else None)
    return issue_ids


def match(tr: IssueTracker, ids: list[str], x) -> tuple[WeekMatch, dict]:
    """A week's complaints matched to the active issues: the ``WeekMatch`` and
    {complaint id: issue id or -1}."""
    ids = [str(i) for i in ids]
    act = tr.active_
    assigned = np.full(len(ids), -1, np.int64)
    if len(ids) and act:
        best, _ = cl.assign(x, tr.centroids_[act], tr.config.cluster.assign_threshold, n_jobs=tr.n_jobs)
        assigned = np.array([tr.issues_[act[b]].id if b >= 0 else -1 for b in best], dtype=np.int64)
    keys, sums = cl.member_sums(x, assigned) if len(ids) else (np.zeros(0, np.int64), None)
    counts = [int((assigned == k).sum()) for k in keys]
    rest = np.flatnonzero(assigned < 0)
    if rest.size:
        prio = priorities([ids[j] for j in rest])
        rest = rest[prio <= pool_cut(prio, tr.config.pool_max)]
    moved = {int(k): (n, sums[j]) for j, (k, n) in enumerate(zip(keys, counts))}
    m = WeekMatch(moved, [ids[j] for j in rest], x[rest] if rest.size else None)
    return m, {i: int(k) for i, k in zip(ids, assigned)}


def step(tr: IssueTracker, week: str, ids: list[str], x) -> dict[str, int]:
    """One new week: {complaint id: issue id or -1} for every complaint of it."""
    m, matched = match(tr, ids, x)
    return {**matched, **tr.step_matched(week, m)}
