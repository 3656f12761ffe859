"""Collapsing repeat complaints so that one angry caller is not a hotspot.

A complaint is a *repeat* of an earlier one (its original) when, within
``window_days`` after it:

* its normalised text is identical, or
* its vector has cosine >= ``dup_cos`` with the original's (a copy-paste with a
  new date or phone number), or
* it comes from the same caller and is about the same thing (cosine >=
  ``caller_cos``): "第二次来电" about the same broken heating.

Issue counts use originals only; each issue also reports how many repeats it
absorbed. The rules do not depend on issue assignments, so a replay computes
them once for the whole window. Candidates are found day by day against the
preceding ``window_days`` only, which keeps the cost near-linear in the rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import sparse

from hotline_nlp.corpus.text import normalise


def _text_keys(texts) -> list[str]:
    return [hashlib.blake2b(normalise(t).encode("utf-8"), digest_size=8).hexdigest() for t in texts]


def _callers(callers, n: int) -> np.ndarray:
    if callers is None:
        return np.full(n, "", dtype=object)
    return np.array(["" if c is None or (isinstance(c, float) and c != c) else str(c).strip() for c in callers],
                    dtype=object)


def find_repeats(times, texts, x=None, callers=None, window_days: float = 7.0, dup_cos: float = 0.95,
                 caller_cos: float = 0.3) -> np.ndarray:
    """Position of each row's original (-1 for an original); rows in any order.

    ``times`` datetimes, ``texts`` strings, ``x`` unit row vectors (sparse or
    dense; optional), ``callers`` caller ids (optional; empty never matches).
    """
    n = len(texts)
    dup_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return dup_of
    t = pd.to_datetime(pd.Series(list(times))).to_numpy(dtype="datetime64[s]").astype(np.int64) / 86400.0
    order = np.argsort(t, kind="stable")
    keys = _text_keys(texts)
    caller = _callers(callers, n)

    last_seen: dict[str, int] = {}
    for i in order:  # identical text
        j = last_seen.get(keys[i])
        if j is not None and t[i] - t[j] <= window_days:
            dup_of[i] = dup_of[j] if dup_of[j] >= 0 else j
        else:
            last_seen[keys[i]] = int(i)
    if x is None:
        return _same_caller_only(order, t, caller, window_days, dup_of)

    x = sparse.csr_matrix(x) if not sparse.issparse(x) else x.tocsr()
    ts = t[order]
    day = np.floor(ts).astype(np.int64)
    bounds = np.flatnonzero(np.diff(day)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(order)]))
    for a, b in zip(starts, ends):
        lo = int(np.searchsorted(ts, ts[a] - window_days, side="left"))
        block, cands = order[a:b], order[lo:b]
        s = (x[block] @ x[cands].T).tocsr()
        s.data[s.data < min(dup_cos, caller_cos)] = 0
        s.eliminate_zeros()
        for bi, i in enumerate(block):
            if dup_of[i] >= 0:
                continue
            row = slice(s.indptr[bi], s.indptr[bi + 1])
            for cj, v in sorted(zip(s.indices[row], s.data[row]), key=lambda p: -p[0]):
                j = cands[cj]
                pos_j, pos_i = lo + cj, a + bi
                if pos_j >= pos_i or dup_of[j] >= 0 or t[i] - t[j] > window_days:
                    continue  # only earlier originals inside the window
                if v >= dup_cos or (caller[i] != "" and caller[i] == caller[j] and v >= caller_cos):
                    dup_of[i] = j
                    break
    return dup_of


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
