"""One identity per issue in every view (issue 31, item 3).

Why: the weekly alert, the console, the range report and the bulletin's
难点问题 each used to grow their own tracker from a different starting week
(the alert from its week, the bulletin from its period's first week, the range
report clustered afresh and numbered its own issues), so one mixing-station
issue was #24 (first seen 2019-07-03) in the W49 alert and #140 and #141 (first
seen 2019-11-02) in the 2019Q4 bulletin. The one source of truth is now the
tracker's timeline:

* ``anchor_week``: a cold run (no ``--state-dir``) starts its tracker at a
  fixed week, the first ISO week of the half-year (``HotspotConfig.anchor``)
  holding the first week it asks about, and steps week by week from there, as
  weekly runs would have. Every week of a half-year, and every month, quarter
  or half-year bulletin period, lies in one such span, so their views replay
  the same timeline and agree on ids and first complaints. A ``--state-dir``
  is the timeline itself (warm runs continue it).
* ``overlap_ids``: the range report still clusters its range afresh (its
  ranking needs the whole range's groups), then each of its clusters takes the
  id of the tracker issue holding most of its members (at least
  ``HotspotConfig.identity_overlap`` of them); clusters sharing one tracker
  issue are one issue; the rest get fresh ids after the tracker's last one.
* ``fold_groups``: issues whose centroids are within
  ``HotspotConfig.fold_cos`` (below the tracker's merge threshold: two births
  of one problem in different words) are listed as one, under the older id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl

# first ISO week of each span a cold run's tracker starts from
ANCHORS = {"week": None, "quarter": (1, 14, 27, 40), "half": (1, 27), "year": (1,)}


def anchor_week(week: str, anchor: str) -> str:
    """The ISO week a cold run's tracker starts from to answer about ``week``
    (``YYYY-Www``): the first week of its span (``ANCHORS``); ``"week"``: the week
    itself (each run its own timeline)."""
    if anchor not in ANCHORS:
        raise ValueError(f"anchor must be one of {sorted(ANCHORS)}, got {anchor!r}")
    starts = ANCHORS[anchor]
    if starts is None:
        return week
    year, w = week.split("-W")
    first = max(s for s in starts if s <= int(w))
    return f"{year}-W{first:02d}"


def fold_groups(centroids, ids: list[int], threshold: float) -> dict[int, int]:
    """Issue id -> the id it is listed under: issues whose centroids (rows of
    ``centroids``, in the order of ``ids``) are within cosine ``threshold``,
    transitively, are one, under the smallest (oldest) id."""
    ids = [int(k) for k in ids]
    if len(ids) < 2:
        return {k: k for k in ids}
    group = cl.merge_close(centroids, threshold)
    out = {}
    for g in np.unique(group):
        members = [ids[i] for i in np.flatnonzero(group == g)]
        for k in members:
            out[k] = min(members)
    return out


def overlap_ids(
    keys: np.ndarray, labels: np.ndarray, tracker_of: pd.Series, min_share: float, next_id: int
) -> dict[int, int]:
    """Range cluster id -> issue id: each cluster (``labels`` >= 0 of the complaints
    ``keys``) takes the tracker issue (``tracker_of``: complaint key -> tracker issue
    id, surviving) holding the most of its members, when that is at least
    ``min_share`` of them; the others get fresh ids from ``next_id`` on, in
    cluster order (never an id the tracker gave)."""
    labels = np.asarray(labels, np.int64)
    m = labels >= 0
    frame = pd.DataFrame({"r": labels[m], "t": pd.Series(keys[m]).map(tracker_of).to_numpy()})
    sizes = frame.groupby("r").size()
    hit = frame.dropna(subset=["t"]).astype({"t": np.int64})
    best = {}
    if len(hit):
        n = hit.groupby(["r", "t"]).size().reset_index(name="n")
        n = n.sort_values(["r", "n", "t"], ascending=[True, False, True]).drop_duplicates("r")
        best = {int(r): (int(t), int(k)) for r, t, k in n.itertuples(index=False)}
    out = {}
    for r in sorted(int(v) for v in sizes.index):
        t, k = best.get(r, (None, 0))
        if t is not None and k >= min_share * int(sizes[r]):
            out[r] = t
        else:
            out[r] = next_id
            next_id += 1
    return out
