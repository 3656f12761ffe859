"""Collapsing repeat complaints so that one angry caller is not a hotspot.

A complaint is a *repeat* of an earlier one (its original) when, within
``window_days``:

* its normalised text is identical (anywhere, issue or not), or
* it belongs to the same issue and either comes from the same caller, or its
  vector has cosine >= ``dup_cos`` with the original's (a copy-paste with a new
  date or phone number).

Issue counts use originals only; each issue also reports how many repeats it
absorbed. Comparing only inside an issue keeps this linear in practice: the
near-duplicate check never compares a noise complaint with the whole year.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from hotline_nlp.corpus.text import normalise

_BLOCK = 2000  # rows per similarity block inside one issue


def _text_keys(texts) -> np.ndarray:
    return np.array([hashlib.blake2b(normalise(t).encode("utf-8"), digest_size=8).hexdigest() for t in texts])


def find_repeats(times: pd.Series, texts, issues: np.ndarray, x=None, callers=None,
                 window_days: float = 7.0, dup_cos: float = 0.95) -> np.ndarray:
    """Position of each row's original (-1 for an original), rows in any order.

    ``times`` datetimes, ``texts`` strings, ``issues`` issue index per row (-1 =
    none), ``x`` unit row vectors (sparse or dense; optional), ``callers``
    caller ids (optional; empty values never match).
    """
    n = len(issues)
    dup_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return dup_of
    t = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[s]").astype(np.int64) / 86400.0
    order = np.argsort(t, kind="stable")
    keys = _text_keys(texts)
    window = float(window_days)

    last_seen: dict[str, int] = {}
    for i in order:  # identical text, issue or not
        j = last_seen.get(keys[i])
        if j is not None and t[i] - t[j] <= window:
            dup_of[i] = dup_of[j] if dup_of[j] >= 0 else j
        else:
            last_seen[keys[i]] = i

    caller = None
    if callers is not None:
        caller = np.array(["" if (c is None or (isinstance(c, float) and c != c)) else str(c).strip()
                           for c in callers], dtype=object)
    by_issue = np.lexsort((t, issues))  # issue, then time
    by_issue = by_issue[issues[by_issue] >= 0]
    bounds = np.flatnonzero(np.diff(issues[by_issue])) + 1
    for members in np.split(by_issue, bounds):
        if members.size:
            _within_issue(members, t, x, caller, window, dup_cos, dup_of)
    return dup_of


def _within_issue(members, t, x, caller, window, dup_cos, dup_of) -> None:
    originals: list[int] = []  # kept rows of this issue, in time order
    for start in range(0, len(members), _BLOCK):
        block = members[start : start + _BLOCK]
        # candidates: originals still inside the window of the block's first row
        lo = t[block[0]] - window
        cands = [o for o in originals if t[o] >= lo]
        pool = np.array(cands + list(block), dtype=np.int64)
        sims = None
        if x is not None and len(pool) > 1:
            s = x[block] @ x[pool].T
            sims = np.asarray(s.toarray() if hasattr(s, "toarray") else s)
        pos = {int(r): j for j, r in enumerate(pool)}
        for bi, i in enumerate(block):
            if dup_of[i] >= 0:
                continue  # identical text: already a repeat
            found = -1
            # newest original first: a repeat belongs to the latest matching one
            for o in reversed(cands):
                if t[i] - t[o] > window:
                    break
                same_caller = caller is not None and caller[i] != "" and caller[i] == caller[o]
                near = sims is not None and sims[bi, pos[int(o)]] >= dup_cos
                if same_caller or near:
                    found = o
                    break
            if found >= 0:
                dup_of[i] = found
            else:
                cands.append(int(i))
                originals.append(int(i))
        # keep the candidate list short: drop originals that left every future window
        if block.size:
            horizon = t[block[-1]] - window
            originals = [o for o in originals if t[o] >= horizon]
