"""The records of the issues an alert or an emerging list shows, from an
``alert.AlertRun``: which describing blocks hold their complaints (the weeks
advanced in the run, re-matched stored weeks, the look-back weeks before
them), then ``describe.describe`` over them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hotline_nlp.topics.engine import describe as ds
from hotline_nlp.topics.engine import week as wk
from hotline_nlp.topics.engine.run import timed
from hotline_nlp.topics.periods import week_bounds


def placements(run, weeks) -> pd.Series:
    """The tracker's own placements of complaints of ``weeks`` (surviving ids)."""
    tr = run.tracker
    got = {k: tr.resolve(v) for w in weeks for k, v in tr.assignments_.get(w, {}).items() if v >= 0}
    return pd.Series(got, dtype=np.int64)


def alert_records(
    run, chosen: list[int], weeks: list[str], focus, lookback: bool = True, fold: dict | None = None
) -> dict:
    """Records of the ``chosen`` issues from the complaints of ``weeks`` (blocks
    finished in ``run``, or re-matched to today's issues for a stored week shown
    again) and, with ``lookback``, of the look-back weeks before them (matched to
    today's issues); ``focus``: the report's ``(start, end)``; ``fold``: issue id ->
    the id it is listed under (``topics.identity.fold_groups``), whose record holds
    its complaints too."""
    ex, cfg = run.ex, run.cfg
    c, ids = run.active()
    # futures (the shared vectoriser and centroids) go as task arguments: Dask resolves
    # those, not futures bound inside a partial
    shared = dict(rep=run.shared, centroids=ex.share(c), issue_ids=ids, config=cfg)
    blocks, mine = [], []
    first = min(weeks)
    back = [w for w in run.weeks_in(week_bounds(first)[0] - run.ctx, week_bounds(first)[0]) if w < first]
    if lookback and back:
        items = [(run._of(run.weeks_in(a, b)), (a, b)) for a, b in run.spans(back, spread=True)]
        got = ex.keep(
            wk.label_block, items, name="describe-lookback", window_start=run.start,
            placed=placements(run, back), **shared,
        )  # fmt: skip
        blocks += got
        mine += got
    for w in sorted(weeks):
        if w not in run.per_week:
            continue
        if w in run.finished:
            blocks += run.finished[w]
            continue
        wstart = max(week_bounds(w)[0] - run.history, run.start)
        items = [(run._of(run.weeks_in(a - run.ctx, b)), (a, b)) for a, b in run.spans([w])]
        got = ex.keep(
            wk.label_block, items, name="describe-week", window_start=wstart,
            placed=placements(run, [w]), focus=True, **shared,
        )  # fmt: skip
        blocks += got
        mine += got
    surviving = run.surviving()
    if fold:
        surviving = np.array([fold.get(int(k), int(k)) for k in surviving], dtype=np.int64)
    with timed("describe the issues shown"):
        out = ds.describe(
            ex, blocks, chosen, run.tracker, run.shared, surviving, placements(run, run.weeks), cfg,
            focus=focus,
        )  # fmt: skip
    ex.release(mine)
    return out
