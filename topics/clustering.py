"""Finding issues: reduce, cluster with HDBSCAN, and match vectors to centroids.

Why this split: HDBSCAN finds groups of any number and size and leaves the rest
as noise, which is what complaints look like (a few dense issues in a sea of
one-off requests), but it is super-linear and degrades in high dimensions. So
it runs on a PCA reduction of a bounded sample, and everything else (the rest
of the sample, next week's complaints) is matched to the issues' centroids by
cosine similarity in the full space with one threshold. Using the same
threshold rule for history and for the new week keeps their counts comparable,
which the emergence test relies on.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from hotline_nlp.corpus.resources import available_cores
from scipy import sparse
from threadpoolctl import threadpool_limits


@dataclass
class ClusterConfig:
    """Knobs of the clustering stage (defaults tuned on the 2019 real stream, see BENCHMARKS.md)."""

    min_cluster_size: int = 3
    min_samples: int = 2
    selection: str = "eom"  # HDBSCAN cluster_selection_method
    reduce_dims: int = 128  # TruncatedSVD dimensions HDBSCAN runs on (0 = dense input as is)
    max_points: int = 10_000  # HDBSCAN sample cap; the rest is assigned by centroid
    assign_threshold: float = 0.2  # cosine to a centroid needed to belong to an issue
    merge_threshold: float = 0.8  # clusters whose centroids are this close become one issue
    min_coherence: float = 0.25  # median member-to-centroid cosine a cluster needs (drops "blob" clusters)
    centroid_nnz: int = 2000  # a centroid keeps its largest weights only (memory, speed)
    seed: int = 0
    # clusterings of the history sample: each round after the first clusters what the rounds
    # before left as noise, in its own reduction (small issues hidden among large ones);
    # with min_cluster_size 3, 20 rounds place 74.5 % of 2019 H1 in an issue, 6 rounds 65 %, 1 round
    # 38 % (benchmarks/results/callers.md); a round that finds nothing ends them
    rounds: int = 20


def reduce(x, dims: int, seed: int = 0, max_features: int = 32_768) -> np.ndarray:
    """TruncatedSVD to ``dims`` (when that is a reduction), rows re-normalised, dense."""
    n, d = x.shape
    if dims <= 0 or d <= dims or n <= dims + 1:
        if sparse.issparse(x):
            # all-zero columns change no distance: densifying only the used ones
            # keeps a small pool small (100 rows x 2^20 hashed n-grams would be
            # an 800 MB array; their ~30,000 used columns are 24 MB)
            x = sparse.csr_matrix(x)
            x = x[:, np.unique(x.indices)].toarray()
        return _l2_dense(np.asarray(x))
    from sklearn.decomposition import TruncatedSVD

    if sparse.issparse(x) and d > max_features:
        # the randomized SVD's cost grows with the column count: keep the columns
        # most rows use (the dense semantic part always qualifies)
        df = np.bincount(sparse.csr_matrix(x).indices, minlength=d)
        x = x[:, np.sort(np.argsort(-df, kind="stable")[:max_features])]
    # one BLAS thread: the randomized SVD's QR and LU steps round differently with
    # another thread count, and over the noise rounds that changed which issues form
    # (the demo's W48 alert differed between one and two threads)
    with threadpool_limits(1):
        return _l2_dense(TruncatedSVD(n_components=dims, random_state=seed).fit_transform(x))


def _l2_dense(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)


# Up to this many points HDBSCAN runs on the full distance matrix ("generic"):
# in 128 SVD dimensions k-d trees prune almost nothing, and the matrix is 4-7x
# faster with the same labels (measured on the demo corpus: 4,000 points 0.65 s
# against 2.8 s, 7,000 points 2.2 s against 8.8 s). Above it the matrix's
# memory (n^2 doubles, ~200 MB at 5,000) is no longer worth it.
GENERIC_MAX = 5000


def sample_rows(n: int, cfg: ClusterConfig, priority: np.ndarray | None = None) -> np.ndarray:
    """The rows HDBSCAN sees: all of them, or a seeded random ``max_points`` (sorted).

    ``priority`` (a boolean mask) rows are taken first, the rest filled at
    random: the tracker's pool passes this week's complaints, so that a small
    new issue is not lost in a random sample of a large pool of older
    unassigned complaints."""
    if n <= cfg.max_points:
        return np.arange(n)
    rng = np.random.default_rng(cfg.seed)
    if priority is None:
        return np.sort(rng.choice(n, cfg.max_points, replace=False))
    first, others = np.flatnonzero(priority), np.flatnonzero(~np.asarray(priority, dtype=bool))
    if first.size >= cfg.max_points:
        return np.sort(rng.choice(first, cfg.max_points, replace=False))
    return np.sort(np.r_[first, rng.choice(others, cfg.max_points - first.size, replace=False)])


def default_clusterer(cfg: ClusterConfig, n: int, allow_single_cluster: bool = False):
    """HDBSCAN set up from ``cfg`` for ``n`` points (the default clusterer)."""
    import hdbscan

    return hdbscan.HDBSCAN(
        min_cluster_size=cfg.min_cluster_size,
        min_samples=min(cfg.min_samples, n - 1),
        cluster_selection_method=cfg.selection,
        metric="euclidean",
        core_dist_n_jobs=1,
        allow_single_cluster=allow_single_cluster,
        algorithm="generic" if n <= GENERIC_MAX else "prims_kdtree",
    )


def _fit_labels(clusterer, z: np.ndarray) -> np.ndarray:
    """Labels from any clusterer: ``fit_predict``, else ``fit`` then ``labels_``.
    A given clusterer is cloned first (sklearn's ``clone``), so the caller's
    object is never fitted and each call starts fresh."""
    from sklearn.base import clone

    try:
        est = clone(clusterer)
    except TypeError:  # not an sklearn estimator: use it as it is
        est = clusterer
    if hasattr(est, "fit_predict"):
        return np.asarray(est.fit_predict(z), dtype=np.int64)
    return np.asarray(est.fit(z).labels_, dtype=np.int64)


def cluster_labels(
    x,
    cfg: ClusterConfig,
    allow_single_cluster: bool = False,
    priority: np.ndarray | None = None,
    clusterer=None,
) -> np.ndarray:
    """Cluster labels (-1 = noise) for the rows of ``x``; rows beyond the sample
    cap (``sample_rows``) are left at -1 for the caller to assign by centroid.

    ``clusterer``: any object with ``fit_predict`` (or ``fit`` and ``labels_``),
    run on the reduced rows (``reduce``); None is HDBSCAN (``default_clusterer``).
    ``allow_single_cluster``: for small pools (the tracker's unassigned
    complaints), where the only group present may be the new issue itself;
    by default HDBSCAN never returns a single cluster and would call it noise.
    ``priority``: rows to sample first (``sample_rows``)."""
    n = x.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    if n < max(cfg.min_cluster_size, 2) + 1:
        return labels
    idx = sample_rows(n, cfg, priority)
    z = reduce(x[idx], cfg.reduce_dims, cfg.seed)
    if clusterer is None:
        labels[idx] = default_clusterer(cfg, len(idx), allow_single_cluster).fit_predict(z)
    else:
        labels[idx] = _fit_labels(clusterer, z)
    return labels


def centroid(x, rows, nnz: int = 2000) -> sparse.csr_matrix:
    """Unit mean of ``x[rows]`` keeping its ``nnz`` largest weights, as a 1-row CSR."""
    rows = np.asarray(rows)
    sub = x[rows]
    if sparse.issparse(sub):
        m = sparse.csr_matrix(np.ones((1, sub.shape[0]), dtype=np.float32)) @ sub  # stays sparse
        m = sparse.csr_matrix(m, dtype=np.float32)
        m.sum_duplicates()
        if nnz and m.nnz > nnz:
            keep = np.argpartition(np.abs(m.data), -nnz)[-nnz:]
            m = sparse.csr_matrix(
                (m.data[keep], (np.zeros(nnz, dtype=np.int64), m.indices[keep])), shape=m.shape
            )
    else:
        m = sparse.csr_matrix(np.asarray(sub, dtype=np.float32).sum(axis=0, keepdims=True))
    norm = float(np.sqrt(m.multiply(m).sum()))
    if norm > 0:
        m = m * np.float32(1.0 / norm)
    return sparse.csr_matrix(m, dtype=np.float32)


def centroids_of(x, labels: np.ndarray, nnz: int = 2000) -> tuple[sparse.csr_matrix, list[int]]:
    """Centroid of each non-noise label (CSR, one row each) and the labels in that order."""
    keys = sorted(int(k) for k in np.unique(labels) if k >= 0)
    if not keys:
        return sparse.csr_matrix((0, x.shape[1]), dtype=np.float32), []
    return sparse.vstack([centroid(x, np.flatnonzero(labels == k), nnz) for k in keys], format="csr"), keys


def merge_close(c: sparse.csr_matrix, threshold: float) -> np.ndarray:
    """Group index for each centroid: centroids with cosine >= threshold (transitively) share one."""
    k = c.shape[0]
    parent = np.arange(k)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if k > 1:
        sims = (c @ c.T).toarray()
        a, b = np.nonzero(np.triu(sims >= threshold, 1))
        for i, j in zip(a, b):
            ri, rj = find(int(i)), find(int(j))
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([find(i) for i in range(k)])
    _, group = np.unique(roots, return_inverse=True)
    return group


def similarities(x, c: sparse.csr_matrix) -> np.ndarray:
    """Dense (n, k) cosine matrix of unit rows ``x`` against unit centroids ``c``.

    A few rows against many centroids (a new pool cluster against every issue)
    is computed as ``(c @ x.T).T``: scipy converts the right operand to CSR, and
    converting one row is cheap where converting every centroid (``c.T``,
    millions of weights) per call made a week with many births quadratic."""
    if c.shape[0] == 0:
        return np.zeros((x.shape[0], 0), dtype=np.float32)
    if sparse.issparse(x) and sparse.issparse(c) and x.shape[0] < c.shape[0]:
        s = (sparse.csr_matrix(c) @ sparse.csr_matrix(x).T).T
    else:
        s = x @ c.T
    return np.asarray(s.toarray() if sparse.issparse(s) else s, dtype=np.float32)


def assign(
    x,
    c: sparse.csr_matrix,
    threshold: float,
    chunk: int = 8192,
    rows: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best centroid per row (-1 when its cosine is below ``threshold``) and that cosine.

    ``x`` is anything indexable like a CSR matrix; it is read ``chunk`` rows at a
    time. ``rows``: only these rows (results in their order).

    This product is most of a weekly alert's time at scale (two passes over the
    window), so chunks are multiplied on ``n_jobs`` threads (default: every core
    available): scipy's sparse product releases the GIL, 1.9x on 2 cores. Rows
    are read in this thread only, at most
    ``n_jobs + 1`` chunks in flight."""
    rows = np.arange(x.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    n = rows.size
    best = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float32)
    if c.shape[0] == 0 or n == 0:
        return best, sim
    ct = sparse.csr_matrix(c.T)  # once, not per chunk (scipy would convert the transpose every product)

    def score(part):
        m = part @ ct
        m = np.asarray(m.toarray() if sparse.issparse(m) else m, dtype=np.float32)
        j = m.argmax(axis=1)
        return j, m[np.arange(m.shape[0]), j]

    def store(s, result):
        j, v = result
        best[s : s + chunk] = np.where(v >= threshold, j, -1)
        sim[s : s + chunk] = v

    starts = range(0, n, chunk)
    jobs = min(n_jobs or available_cores(), len(starts))
    if jobs <= 1:
        for s in starts:
            store(s, score(x[rows[s : s + chunk]]))
        return best, sim
    with ThreadPoolExecutor(jobs) as pool:
        pending: deque = deque()
        for s in starts:
            pending.append((s, pool.submit(score, x[rows[s : s + chunk]])))
            if len(pending) > jobs:
                s0, f = pending.popleft()
                store(s0, f.result())
        for s0, f in pending:
            store(s0, f.result())
    return best, sim


def member_sums(x, labels: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """The labels present (>= 0, ascending) and the sum of their rows of ``x``
    (one CSR row each, float32): what moving an issue's centroid needs of a
    week's complaints, so the week can be matched where it is loaded and only
    these sums travel. One sparse product; each sum adds its rows in row order,
    as ``ones @ x[rows]`` does."""
    labels = np.asarray(labels, dtype=np.int64)
    keys, inverse = np.unique(labels, return_inverse=True)
    ok = keys >= 0
    if not ok.any():
        return np.zeros(0, np.int64), sparse.csr_matrix((0, x.shape[1]), dtype=np.float32)
    rows = np.flatnonzero(ok[inverse])
    slot = np.cumsum(ok) - 1  # label position -> row of the result
    ind = sparse.csr_matrix(
        (np.ones(rows.size, np.float32), (slot[inverse[rows]], rows)), shape=(int(ok.sum()), x.shape[0])
    )
    return keys[ok], sparse.csr_matrix(ind @ sparse.csr_matrix(x), dtype=np.float32)


def coherence(x, rows, c: sparse.csr_matrix) -> float:
    """Median cosine of ``x[rows]`` to the centroid ``c`` (1 row)."""
    return float(np.median(similarities(x[rows], c)[:, 0])) if len(rows) else 0.0


def drop_incoherent(x, labels: np.ndarray, cfg: ClusterConfig) -> np.ndarray:
    """Labels with clusters below ``min_coherence`` turned into noise.

    HDBSCAN's excess-of-mass selection sometimes returns one wide, loose cluster
    (a "blob" of unrelated complaints); its members are far from their mean.
    """
    out = labels.copy()
    for k in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == k)
        if coherence(x, rows, centroid(x, rows, cfg.centroid_nnz)) < cfg.min_coherence:
            out[rows] = -1
    return out


def rounds_of_labels(xs, cfg: ClusterConfig, clusterer=None) -> np.ndarray:
    """Cluster labels of ``xs`` over ``cfg.rounds`` rounds: the first clusters every
    row, each later one the rows still noise (reduced afresh: among fewer, more
    varied rows a small issue stands out), loose clusters dropped each time;
    stops early when a round finds nothing."""
    labels = drop_incoherent(xs, cluster_labels(xs, cfg, clusterer=clusterer), cfg)
    for _ in range(max(1, cfg.rounds) - 1):
        noise = np.flatnonzero(labels < 0)
        if noise.size <= cfg.min_cluster_size:
            break
        sub = drop_incoherent(xs[noise], cluster_labels(xs[noise], cfg, clusterer=clusterer), cfg)
        if not (sub >= 0).any():
            break
        labels[noise[sub >= 0]] = sub[sub >= 0] + int(labels.max()) + 1
    return labels


def discover(
    x, cfg: ClusterConfig, n_jobs: int | None = None, clusterer=None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Issues in ``x``: the clusterer (HDBSCAN by default) on a sample over
    ``cfg.rounds`` rounds (``rounds_of_labels``), drop loose clusters, merge
    near-identical ones, then assign every row by the centroid rule. Returns
    (centroids, issue index per row, -1 = none).

    Only the sample (``sample_rows``) is materialised; the final assignment
    streams through ``x`` in chunks."""
    n = x.shape[0]
    idx = sample_rows(n, cfg)
    xs = x[idx]
    labels = rounds_of_labels(xs, cfg, clusterer)
    c, keys = centroids_of(xs, labels, cfg.centroid_nnz)
    if not keys:
        return c, np.full(n, -1, dtype=np.int64)
    group = merge_close(c, cfg.merge_threshold)
    remap = {k: int(g) for k, g in zip(keys, group)}
    merged = np.array([remap.get(int(v), -1) for v in labels], dtype=np.int64)
    c, _ = centroids_of(xs, merged, cfg.centroid_nnz)
    best, _ = assign(x, c, cfg.assign_threshold, n_jobs=n_jobs)
    # a core member whose own centroid is below the threshold stays in its cluster
    best[idx] = np.where((best[idx] < 0) & (merged >= 0), merged, best[idx])
    return c, best
