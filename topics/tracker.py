"""Issues that keep their ids from week to week.

"Issue 17 grew for three weeks" only means something if issue 17 is the same
issue every week. The tracker therefore never re-clusters the past: it starts
from issues clustered once (``start``: the engine's sample of the history),
and then each new week (``step_matched``)

1. assigns the week's complaints to known issues by centroid cosine
   (``ClusterConfig.assign_threshold``) and moves those centroids a little
   (a running mean capped at ``centroid_memory`` complaints, so an issue can
   drift with its wording without jumping);
2. puts the rest into a pool of recent unassigned complaints (``pool_weeks``;
   at most ``pool_max`` of the week's, those with the smallest id hash)
   and runs HDBSCAN on the pool; a pool cluster holding at least
   ``min_new_in_week`` complaints of this week joins the known issue whose
   centroid is within ``absorb_threshold`` (the issue's outskirts), or else is
   born as a new issue with the next id, its ``parent`` being the closest
   existing issue;
3. merges issues whose centroids have come within ``merge_threshold``: the
   younger one is retired with ``merged_into`` (its id is never reused).

Step 1 needs the week's complaints only through a ``WeekMatch``: how many
went to each issue and the sum of their vectors, and the unmatched ones
(with vectors) that enter the pool. So the matching of a week of any size is
a map over its partitions (``engine.week``) and only those sums and the pool's
candidates reach the tracker.

``assignments_`` holds the placements the tracker made itself: the
complaints of a pool cluster that was born as an issue or absorbed into one
(in their own week's entry, also for complaints that waited in the pool).
Every other complaint follows the centroid rule of its week and is counted,
not listed (``weekly_counts``).

State is saved and loaded by ``tracker_store`` (JSON + ``.npz``, no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.dedup import chorus_clusters
from hotline_nlp.topics.sampling import priorities
from scipy import sparse

FORMAT = 1


@dataclass
class TrackerConfig:
    cluster: cl.ClusterConfig = field(default_factory=cl.ClusterConfig)
    pool_weeks: int = 6
    # at most this many pool complaints are kept (those with the smallest id hash):
    # a 19k-a-week stream keeps ~46k, a Beijing-size week alone would bring ~100k+
    pool_max: int = 50_000
    min_new_in_week: int = 2
    # a pool cluster needs this many members (the history's clustering may find smaller
    # ones, ClusterConfig.min_cluster_size): births of three split a rising issue into
    # small ones none of which is flagged (the demo's charger issue, 2024Q3)
    pool_min_cluster_size: int = 4
    centroid_memory: int = 200
    birth_coherence: float = 0.35  # median member-to-centroid cosine a new issue needs
    absorb_threshold: float = (
        0.35  # a pool cluster this close to a known issue joins it instead of being born
    )


@dataclass
class Issue:
    id: int
    born: str  # week label
    origin: str  # "history" (the first issues) | "new" (born from the pool)
    born_size: int
    parent: int | None = None
    parent_similarity: float | None = None
    merged_into: int | None = None
    weight: float = 0.0  # complaints behind the centroid (capped)
    lineage: list = field(default_factory=list)


@dataclass
class WeekMatch:
    """One week's complaints matched to the active issues, as ``step_matched`` takes it.

    ``moved``: issue id -> (complaints matched to it, the sum of their vectors as a
    1-row CSR); ``free_ids`` / ``free_x``: the unmatched complaints that enter the
    pool (at most ``pool_max``, the smallest id hashes, in time order) and their
    vectors; ``matched``: complaint id -> issue id (-1 none) of every complaint,
    when the match was made in this process (``match``), else None; ``free_chorus``:
    per free complaint, the id of the first complaint of its chorus ("" none: ``dedup``)."""

    moved: dict
    free_ids: list
    free_x: sparse.csr_matrix | None
    matched: dict | None = None
    free_chorus: list | None = None


def pool_cut(prio: np.ndarray, cap: int) -> np.uint64:
    """The largest id hash (``sampling.priorities``) of a week's unmatched
    complaints that may enter the pool: the ``cap`` smallest are kept, whatever
    the order or partitioning of the week."""
    prio = np.asarray(prio, dtype=np.uint64)
    if prio.size <= cap:
        return np.uint64(np.iinfo(np.uint64).max)
    return np.uint64(np.partition(prio, cap - 1)[cap - 1])


class IssueTracker:
    """Estimator-like: ``start`` (issues clustered elsewhere, ``set_pool``) then
    ``step_matched`` week by week; fitted attributes end in ``_``.

    ``n_jobs``: threads for matching complaints to centroids (default: every core
    available); ``clusterer``: what finds groups in the history and the pool
    (anything with ``fit_predict``; None is HDBSCAN). Both are run-time
    settings, not saved with the state."""

    def __init__(self, config: TrackerConfig | None = None, n_jobs: int | None = None, clusterer=None):
        self.config = config or TrackerConfig()
        self.n_jobs = n_jobs
        self.clusterer = clusterer

    # -- helpers -----------------------------------------------------------
    @property
    def active_(self) -> list[int]:
        """Positions (rows of ``centroids_``) of issues not merged away."""
        return [i for i, iss in enumerate(self.issues_) if iss.merged_into is None]

    def _init(self) -> None:
        self.issues_: list[Issue] = []
        self.centroids_ = None
        self.pool_ids_: list[str] = []
        self.pool_weeks_: list[str] = []
        self.pool_x_ = None
        self.assignments_: dict[str, dict[str, int]] = {}
        self.weeks_: list[str] = []
        self.next_id_ = 1

    def _pos(self, issue_id: int) -> int:
        return self._index[issue_id]

    def centroids_of(self, issue_ids) -> sparse.csr_matrix:
        """The centroids of these issues (rows in that order)."""
        return self.centroids_[[self._pos(int(k)) for k in issue_ids]]

    def _reindex(self) -> None:
        self._index = {iss.id: i for i, iss in enumerate(self.issues_)}

    def _new_issue(self, vec, week: str, origin: str, size: int, sims: np.ndarray | None = None) -> Issue:
        iss = Issue(id=self.next_id_, born=week, origin=origin, born_size=int(size), weight=float(size))
        self.next_id_ += 1
        act = self.active_
        if act and origin == "new":
            sims = cl.similarities(vec, self.centroids_[act])[0] if sims is None else sims
            j = int(sims.argmax())
            iss.parent, iss.parent_similarity = self.issues_[act[j]].id, round(float(sims[j]), 4)
        iss.lineage.append(
            {"week": week, "event": "born", "size": int(size), "origin": origin, "parent": iss.parent}
        )
        self.issues_.append(iss)
        self.centroids_ = (
            vec if self.centroids_ is None else sparse.vstack([self.centroids_, vec], format="csr")
        )
        self._reindex()
        return iss

    def start(
        self, centroids, labels: np.ndarray, weeks: list[str], history_weeks, scale: float = 1.0
    ) -> IssueTracker:
        """Begin from issues found elsewhere (the engine's clustered sample): ``centroids`` (k rows) and the cluster index of rows whose ISO
        ``weeks`` are given; an issue is born in its earliest member's week, its
        size is its members times ``scale`` (the history/sample ratio). No
        assignments and no pool yet (``set_pool``)."""
        self._init()
        first_week = min(weeks) if len(weeks) else ""
        if centroids is not None:
            for k in range(centroids.shape[0]):
                members = np.flatnonzero(labels == k)
                born = min(weeks[m] for m in members) if members.size else first_week
                self._new_issue(centroids[k], born, "history", int(round(members.size * scale)))
        self._reindex()
        self.weeks_ = sorted(set(history_weeks))
        return self

    def pool_span(self, weeks: list[str]) -> list[str]:
        """The weeks whose unassigned complaints stay in the pool (the last ``pool_weeks``)."""
        return list(weeks[-self.config.pool_weeks :])

    def set_pool(self, ids, weeks, x) -> None:
        """The pool of recent unassigned complaints (after ``start``)."""
        self._set_pool([str(i) for i in ids], weeks, x)

    def _set_pool(self, ids, weeks, x) -> None:
        ids, weeks = list(ids), list(weeks)
        if len(ids) > self.config.pool_max:  # a fixed id-hash sample, whatever the order
            keep = np.sort(np.argsort(priorities(ids), kind="stable")[: self.config.pool_max])
            ids, weeks = [ids[j] for j in keep], [weeks[j] for j in keep]
            x = sparse.csr_matrix(x)[keep]
        self.pool_ids_, self.pool_weeks_ = ids, weeks
        self.pool_x_ = sparse.csr_matrix(x) if x is not None and len(ids) else None

    def step_matched(self, week: str, m: WeekMatch) -> dict[str, int]:
        """Process one new week from its match (``WeekMatch``): move the matched
        issues' centroids, cluster the pool, births, absorptions, merges.
        Returns the week's complaints the tracker placed itself (pool births and
        absorptions): {complaint id: issue id}."""
        if not hasattr(self, "issues_"):
            self._init()
            self._reindex()
        if self.weeks_ and week <= self.weeks_[-1]:
            raise ValueError(f"week {week} is not after the last processed week {self.weeks_[-1]}")
        cfg = self.config
        self._move_by(m.moved)

        # new issues from the pool of recent unassigned complaints
        free = [str(i) for i in m.free_ids]
        pool_ids = self.pool_ids_ + free
        pool_weeks = self.pool_weeks_ + [week] * len(free)
        parts = [p for p in (self.pool_x_, m.free_x if free else None) if p is not None]
        pool_x = sparse.vstack(parts, format="csr") if parts else None
        result: dict[str, int] = {}
        born_members: set[int] = set()
        if pool_x is not None:  # (a pool too small to cluster may still hold a chorus)
            # births are where false alarms come from: a pool cluster must be tighter than a history one
            pool_cfg = replace(cfg.cluster, min_cluster_size=cfg.pool_min_cluster_size)
            strict = replace(pool_cfg, min_coherence=cfg.birth_coherence)
            is_now = np.array([w == week for w in pool_weeks])
            labels = cl.drop_incoherent(
                pool_x,
                cl.cluster_labels(pool_x, pool_cfg, priority=is_now, clusterer=self.clusterer),
                strict,
            )
            # a small pool may hold one group only: HDBSCAN calls that noise, so ask again
            # allowing a single cluster (a given clusterer is taken at its word)
            if not (labels >= 0).any() and self.clusterer is None:
                labels = cl.drop_incoherent(
                    pool_x,
                    cl.cluster_labels(pool_x, pool_cfg, allow_single_cluster=True, priority=is_now),
                    strict,
                )
            found = []  # (members, centroid) of each pool cluster with enough of this week
            for k in sorted(set(labels[labels >= 0].tolist())):
                members = np.flatnonzero(labels == k)
                if int(is_now[members].sum()) < cfg.min_new_in_week:
                    continue
                vec = cl.centroid(pool_x, members, cfg.cluster.centroid_nnz)
                # members are those the centroid rule accepts, as for every other week
                members = members[cl.similarities(pool_x[members], vec)[:, 0] >= cfg.cluster.assign_threshold]
                if int(is_now[members].sum()) >= cfg.min_new_in_week:
                    found.append((members, vec))
            found += chorus_clusters(
                pool_x, pool_ids, m.free_chorus, is_now, found, cfg.min_new_in_week, cfg.cluster.centroid_nnz
            )
            sims = _ClusterSims(self, [v for _, v in found])
            for j, (members, vec) in enumerate(found):
                iss = self._absorber(sims.row(j))
                if iss is not None:  # a known issue's outskirts, not a new issue: it grows instead
                    iss.lineage.append({"week": week, "event": "absorbed_pool", "size": int(members.size)})
                    rows_now = [r for r in members if pool_weeks[r] == week]
                    if rows_now:
                        _, sums = cl.member_sums(pool_x[rows_now], np.zeros(len(rows_now), np.int64))
                        self._move_by({iss.id: (len(rows_now), sums[0])})
                        sims.update(self._pos(iss.id))
                else:
                    iss = self._new_issue(vec, week, "new", members.size, sims=sims.row(j))
                    sims.update(self._pos(iss.id))
                born_members.update(members.tolist())
                for r in members:
                    if pool_weeks[r] == week:
                        result[pool_ids[r]] = iss.id
                    else:  # an earlier week's unassigned complaint joins the new issue
                        self.assignments_.setdefault(pool_weeks[r], {})[pool_ids[r]] = iss.id
        recent = set((self.weeks_ + [week])[-cfg.pool_weeks :])
        keep = [j for j in range(len(pool_ids)) if j not in born_members and pool_weeks[j] in recent]
        self._set_pool(
            [pool_ids[j] for j in keep], [pool_weeks[j] for j in keep], pool_x[keep] if keep else None
        )
        self._merge(week)
        self.assignments_[week] = result
        self.weeks_.append(week)
        return result

    def _absorber(self, sims: np.ndarray) -> Issue | None:
        """The active issue a pool cluster belongs to (centroid cosine >= absorb_threshold), if any;
        ``sims``: the cluster's cosines with the active issues (``_ClusterSims.row``)."""
        act = self.active_
        if not act:
            return None
        j = int(sims.argmax())
        return self.issues_[act[j]] if sims[j] >= self.config.absorb_threshold else None

    def _move_by(self, moved: dict) -> None:
        """Move the centroids of ``moved`` (issue id -> (complaints, sum of their
        vectors)): a running mean over at most ``centroid_memory`` complaints."""
        mem = self.config.centroid_memory
        nnz = self.config.cluster.centroid_nnz
        updates: dict[int, sparse.csr_matrix] = {}
        for issue_id in sorted(moved):
            n, total = moved[issue_id]
            if not n:
                continue
            p = self._pos(int(issue_id))
            iss = self.issues_[p]
            old = self.centroids_[p] * np.float32(min(iss.weight, mem))
            updates[p] = cl.centroid(sparse.csr_matrix(old + total, dtype=np.float32), [0], nnz)
            iss.weight = min(iss.weight + n, mem)
        if updates:
            self.centroids_ = _replace_rows(self.centroids_, updates)

    def _merge(self, week: str) -> None:
        act = self.active_
        if len(act) < 2:
            return
        group = cl.merge_close(self.centroids_[act], self.config.cluster.merge_threshold)
        for g in np.unique(group):
            members = [act[i] for i in np.flatnonzero(group == g)]
            if len(members) < 2:
                continue
            keep = min(members, key=lambda p: self.issues_[p].id)  # the older id survives
            for p in members:
                if p != keep:
                    self.issues_[p].merged_into = self.issues_[keep].id
                    self.issues_[p].lineage.append(
                        {"week": week, "event": "merged_into", "issue": self.issues_[keep].id}
                    )
                    self.issues_[keep].lineage.append(
                        {"week": week, "event": "absorbed", "issue": self.issues_[p].id}
                    )

    def resolve(self, issue_id: int) -> int:
        """The surviving id of an issue (follows ``merged_into``)."""
        seen = set()
        while issue_id >= 0 and issue_id not in seen:
            seen.add(issue_id)
            nxt = self.issues_[self._pos(issue_id)].merged_into
            if nxt is None:
                return issue_id
            issue_id = nxt
        return issue_id

    def issue(self, issue_id: int) -> Issue:
        return self.issues_[self._pos(issue_id)]

    # -- persistence -------------------------------------------------------


def _replace_rows(c: sparse.csr_matrix, updates: dict) -> sparse.csr_matrix:
    """``c`` with the rows in ``updates`` (position -> 1-row CSR) replaced, built
    from slices of its arrays (indexing ~2,000 rows one by one was most of a
    week's step at a large city's volume)."""
    data, idx, lens = [], [], []
    for p in range(c.shape[0]):
        r = updates.get(p)
        if r is None:
            a, b = c.indptr[p], c.indptr[p + 1]
            data.append(c.data[a:b])
            idx.append(c.indices[a:b])
            lens.append(b - a)
        else:
            data.append(r.data)
            idx.append(r.indices)
            lens.append(r.nnz)
    indptr = np.concatenate(([0], np.cumsum(lens))).astype(np.int64)
    out = sparse.csr_matrix(
        (np.concatenate(data).astype(np.float32), np.concatenate(idx), indptr), shape=c.shape
    )
    return out


class _ClusterSims:
    """Cosines of one week's pool clusters with the active issues, kept current
    while issues move (absorbing a cluster) or are born: one product for all
    clusters, then one column per change, instead of a product against every
    centroid per cluster (the same numbers, in the same order as ``active_``)."""

    def __init__(self, tracker: IssueTracker, vecs: list):
        self.tr, self.act = tracker, list(tracker.active_)
        self.v = sparse.vstack(vecs, format="csr") if vecs else None
        if self.v is None or not self.act:
            self.s = np.zeros((len(vecs), 0), np.float32)
        else:
            self.s = cl.similarities(self.v, tracker.centroids_[self.act])

    def row(self, j: int) -> np.ndarray:
        return self.s[j]

    def update(self, pos: int) -> None:
        """The centroid at row ``pos`` moved or was just born."""
        col = cl.similarities(self.v, self.tr.centroids_[pos])[:, 0]
        if pos in self.act:
            self.s[:, self.act.index(pos)] = col
        else:
            self.act.append(pos)
            self.s = np.column_stack([self.s, col])
