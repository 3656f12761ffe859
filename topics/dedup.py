"""Collapsing repeat complaints so that one angry caller is not a hotspot.

Counts are of callers, not of texts. A complaint is a *repeat* of an earlier
one (its original) when, within ``window_days`` after it, the two may come from
one caller (the same caller id, or either without one) and:

* its normalised text is identical, or
* its vector has cosine >= ``dup_cos`` with the original's (a copy-paste with a
  new date), or
* the caller is the same and it is about the same thing (cosine >=
  ``caller_cos``): "第二次来电" about the same broken heating.

Two different callers never repeat each other, whatever their words: three
residents sending the same text about one bus line are three complaints (the
strongest sign of a shared problem, 多人反映同一问题). The one exception is an
export listing one message twice (identical text at the identical second under
two caller ids): that is one complaint.

Such near-identical texts from different callers within ``chorus_days`` are a
*chorus* (``RepeatCheck.chorus`` marks every row of one, ``chorus_cos``: the
cosine that counts as near-identical); the weekly alert flags an issue where
``HotspotConfig.chorus_callers`` of them fall in its week (多人反映).

Issue counts use originals only; each issue also reports how many repeats it
absorbed. The rules do not depend on issue assignments, so a replay computes
them once for the whole window.

Cost: candidates are found day by day against the preceding ``window_days``
only, and never by comparing every pair. Same-caller candidates come from an
index of callers; near-copy candidates from each complaint's ``PRUNE_TOP``
heaviest features (rare n-grams such as a compound's name), which two copies
share. Only candidate pairs get their full cosine computed. This keeps the
check near-linear at a million complaints a year, where the all-pairs product
of a week's vectors is the largest cost of a run.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hotline_nlp.corpus.text import normalise
from hotline_nlp.topics.clustering import centroid
from scipy import sparse

PRUNE_TOP = 24  # features per complaint used to find near-copy candidates
PRUNE_COS = 0.5  # cosine of the pruned vectors a candidate pair needs
VERIFY_CHUNK = 20_000  # candidate pairs whose full cosine is computed at once (memory bound)
SAME_TEXT_SCAN = 64  # earlier rows of one identical text a row is compared with (the latest)


def keys_of_texts(texts, normalised: bool = False) -> np.ndarray:
    """64-bit key of each text after ``normalise`` (identical texts, identical keys)."""
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b((t if normalised else normalise(t)).encode("utf-8"), digest_size=8).digest(),
                "little",
            )
            for t in texts
        ],
        dtype=np.uint64,
    )


def _callers(callers, n: int) -> np.ndarray:
    if callers is None:
        return np.full(n, "", dtype=object)
    return np.array(
        ["" if c is None or (isinstance(c, float) and c != c) else str(c).strip() for c in callers],
        dtype=object,
    )


def prune(x: sparse.csr_matrix, top: int = PRUNE_TOP) -> sparse.csr_matrix:
    """Each row's ``top`` largest weights, rows re-normalised."""
    x = sparse.csr_matrix(x, dtype=np.float32)
    nnz = np.diff(x.indptr)
    row = np.repeat(np.arange(x.shape[0]), nnz)
    order = np.lexsort((-x.data, row))  # by row, heaviest first
    rank = np.arange(order.size) - np.repeat(x.indptr[:-1], nnz)
    keep = order[rank < top]
    keep.sort()
    out = sparse.csr_matrix(
        (x.data[keep], x.indices[keep], np.concatenate(([0], np.cumsum(np.minimum(nnz, top))))), shape=x.shape
    )
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags((1.0 / norms).astype(np.float32)) @ out)


@dataclass
class RepeatCheck:
    """The repeat check of some rows (``check_repeats``; its ``dup_of`` is each row's original)."""

    dup_of: np.ndarray  # position of each row's original (-1: an original)
    # position of the first row of the row's chorus (-1: none): near-identical texts from
    # different callers within ``chorus_days``, linked transitively
    chorus_of: np.ndarray

    @property
    def chorus(self) -> np.ndarray:
        """Rows in a chorus."""
        return self.chorus_of >= 0


def check_repeats(
    times,
    texts,
    x=None,
    callers=None,
    window_days: float = 7.0,
    dup_cos: float = 0.95,
    caller_cos: float = 0.3,
    text_keys: np.ndarray | None = None,
    chorus_cos: float | None = None,
    chorus_days: float | None = None,
) -> RepeatCheck:
    """Each row's original and whether it is part of a chorus; rows in any order.

    ``times`` datetimes, ``texts`` strings (or ``None`` when ``text_keys`` are
    given), ``x`` unit row vectors (a sparse or dense matrix, or anything
    indexable like one; optional), ``callers`` caller ids (optional; empty
    matches any caller). When several earlier originals qualify, the latest is
    chosen. ``chorus_cos`` (None: ``dup_cos``) and ``chorus_days`` (None:
    ``window_days``; at most that) say what a chorus is (module doc)."""
    keys = text_keys if text_keys is not None else keys_of_texts(texts)
    n = len(keys)
    dup_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return RepeatCheck(dup_of, dup_of.copy())
    secs = pd.to_datetime(pd.Series(list(times))).to_numpy(dtype="datetime64[s]").astype(np.int64)
    t = secs / 86400.0
    order = np.argsort(t, kind="stable")
    if x is not None and not sparse.issparse(x) and isinstance(x, np.ndarray):
        x = sparse.csr_matrix(x)
    caller = _one_record(secs, keys, x, _callers(callers, n), dup_cos)
    chorus_cos = dup_cos if chorus_cos is None else float(chorus_cos)
    chorus_days = window_days if chorus_days is None else min(float(chorus_days), window_days)

    def one_caller(i: int, j: int) -> bool:
        """May rows i and j come from one caller?"""
        ci, cj = caller[i], caller[j]
        return ci == "" or cj == "" or ci == cj

    link: dict[int, int] = {}  # union-find over the rows of a chorus

    def root(i: int) -> int:
        while link.get(i, i) != i:
            i = link[i]
        return i

    def voices(i: int, j: int) -> None:
        """Link i and j into one chorus when two callers sent them within ``chorus_days``."""
        if not one_caller(i, j) and abs(t[i] - t[j]) <= chorus_days:
            a, b = root(int(i)), root(int(j))
            link.setdefault(a, a)
            link.setdefault(b, b)
            if a != b:
                link[max(a, b, key=lambda r: (t[r], r))] = min(a, b, key=lambda r: (t[r], r))

    recent: dict[int, deque] = {}  # text key -> its last SAME_TEXT_SCAN rows in the window, time order
    for i in order:  # identical text: the latest row that may be the same caller's, its original
        lst = recent.setdefault(int(keys[i]), deque(maxlen=SAME_TEXT_SCAN))
        while lst and t[i] - t[lst[0]] > window_days:
            lst.popleft()
        for j in reversed(lst):
            voices(i, j)
            o = dup_of[j] if dup_of[j] >= 0 else j
            if dup_of[i] < 0 and one_caller(i, j) and t[i] - t[o] <= window_days:
                dup_of[i] = o
        lst.append(int(i))
    if x is None:
        return RepeatCheck(_same_caller_only(order, t, caller, window_days, dup_of), _roots(link, root, n))
    sorted_rows = bool(np.all(order == np.arange(n)))

    ts = t[order]
    day = np.floor(ts).astype(np.int64)
    bounds = np.flatnonzero(np.diff(day)) + 1
    starts, ends = np.concatenate(([0], bounds)), np.concatenate((bounds, [n]))
    pruned: list[tuple[int, sparse.csr_matrix]] = []  # (first sorted position, pruned rows) per day
    by_caller: dict[str, list[int]] = defaultdict(list)  # caller -> sorted positions seen so far
    for a, b in zip(starts, ends):
        lo = int(np.searchsorted(ts, ts[a] - window_days, side="left"))
        xb = x[a:b] if sorted_rows else x[order[a:b]]
        pb = prune(xb)
        pruned = [(s0, p) for s0, p in pruned if s0 + p.shape[0] > lo]
        pruned.append((a, pb))
        w0 = pruned[0][0]
        pw = sparse.vstack([p for _, p in pruned], format="csr")[lo - w0 :]
        s = (pb @ pw.T).tocoo()
        ok = s.data >= PRUNE_COS
        pi, pj = s.row[ok].astype(np.int64) + a, s.col[ok].astype(np.int64) + lo  # sorted positions
        near = pj < pi
        cand = {(int(i), int(j)) for i, j in zip(pi[near], pj[near])}
        for p in range(a, b):
            c = caller[order[p]]
            if c != "":
                lst = by_caller[c]
                for q in reversed(lst):
                    if ts[q] < ts[a] - window_days:
                        break
                    cand.add((p, q))
                lst.append(p)
        if not cand:
            continue
        pairs = np.array(sorted(cand), dtype=np.int64)
        # full cosine of candidate pairs only, a bounded number of rows at a time
        v = np.empty(len(pairs), dtype=np.float32)
        for s0 in range(0, len(pairs), VERIFY_CHUNK):
            pp = pairs[s0 : s0 + VERIFY_CHUNK]
            xi = xb[pp[:, 0] - a]
            xj = x[order[pp[:, 1]]]
            v[s0 : s0 + VERIFY_CHUNK] = np.asarray(xi.multiply(xj).sum(axis=1)).ravel()
        best: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for (p, q), sim in zip(pairs.tolist(), v.tolist()):
            best[p].append((q, sim))
            if sim >= chorus_cos:
                voices(order[p], order[q])
        for p in range(a, b):
            i = order[p]
            if dup_of[i] >= 0 or p not in best:
                continue
            for q, sim in sorted(best[p], key=lambda e: -e[0]):  # the latest earlier original first
                j = order[q]
                if dup_of[j] >= 0 or t[i] - t[j] > window_days or not one_caller(i, j):
                    continue
                if sim >= dup_cos or (caller[i] != "" and caller[i] == caller[j] and sim >= caller_cos):
                    dup_of[i] = j
                    break
    return RepeatCheck(dup_of, _roots(link, root, n))


def _roots(link: dict, root, n: int) -> np.ndarray:
    """Each row's chorus root (its earliest row; -1: in none)."""
    out = np.full(n, -1, dtype=np.int64)
    for i in link:
        out[i] = root(i)
    return out


def chorus_clusters(pool_x, pool_ids, roots, is_now, found, min_new: int, nnz: int = 2000) -> list[tuple]:
    """(members, centroid) of each chorus with ``min_new`` of this week's rows among
    the tracker's pool (``pool_x`` rows, ids ``pool_ids``) that no pool cluster in
    ``found`` holds: 多人反映 of two or three callers is an issue, however small.
    ``roots``: the chorus root id of each of this week's pool rows (the last ones; ""
    none); an earlier pool row that is a root joins its chorus."""
    if not roots:
        return []
    taken = {int(r) for members, _ in found for r in members}
    at = {k: j for j, k in enumerate(pool_ids)}
    offset = len(pool_ids) - len(roots)
    groups: dict[str, set] = {}
    for r, key in enumerate(roots):
        if key and offset + r not in taken:
            groups.setdefault(key, set()).add(offset + r)
            if key in at and at[key] not in taken:
                groups[key].add(at[key])
    out = []
    for rows in groups.values():
        members = np.array(sorted(rows), dtype=np.int64)
        if int(np.asarray(is_now)[members].sum()) >= min_new:
            out.append((members, centroid(pool_x, members, nnz)))
    return out


def _one_record(secs: np.ndarray, keys, x, caller: np.ndarray, dup_cos: float) -> np.ndarray:
    """``caller`` with one message listed twice made one caller's: rows at the same
    second whose texts are identical (or cosine >= ``dup_cos``) take the first one's
    caller (exports that merge two sources list a message under two caller ids)."""
    order = np.argsort(secs, kind="stable")
    s = secs[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(s)]):
        rows = order[a:b]
        for p in range(1, len(rows)):
            i = rows[p]
            for j in rows[:p]:
                if keys[i] == keys[j] or (x is not None and float(x[i].multiply(x[j]).sum()) >= dup_cos):
                    caller[i] = caller[j]
                    break
    return caller


def _same_caller_only(order, t, caller, window_days, dup_of) -> np.ndarray:
    last: dict[str, int] = {}
    for i in order:
        c = caller[i]
        if dup_of[i] >= 0 or c == "":
            continue
        j = last.get(c)
        if j is not None and t[i] - t[j] <= window_days:
            dup_of[i] = j
        else:
            last[c] = int(i)
    return dup_of
