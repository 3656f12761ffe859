"""The per-week counts of the weekly alert (topics.engine.history, topics.engine.pieces):
they do not depend on how the input is cut into partitions, and a week's repeats
are those of the repeat check over the week and its look-back."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pandas as pd
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.config import HotspotConfig
from hotline_nlp.topics.dedup import check_repeats
from hotline_nlp.topics.engine import history
from hotline_nlp.topics.engine import pieces as pc
from hotline_nlp.topics.engine.pieces import check_frame
from hotline_nlp.topics.periods import parse_period
from test_topics_hotspots import make_stream


def _pieces(frames, weeks):
    out = []
    for f in frames:
        piece = pc.load(f, weeks=frozenset(weeks))
        out += [pc.week_of((piece, w)) for w in weeks]
    return out


def test_counts_do_not_depend_on_the_partitioning():
    stream = make_stream(weeks=8, planted_from=4)
    # second calls from the same caller a few days later: repeats across week boundaries
    again = stream.sample(30, random_state=1).assign(
        id=lambda f: "r" + f["id"], created_at=lambda f: f["created_at"] + pd.Timedelta(days=3)
    )
    stream = pd.concat([stream, again], ignore_index=True)
    data = check_frame(stream)
    cfg = HotspotConfig()
    weeks = sorted(set(data["week"]))
    rep = Representation(embedder="none").fit(data["text"].tolist())
    x = rep.transform(data["text"].tolist())
    c, _ = cl.centroids_of(x, (np.arange(len(data)) % 5), 300)
    ids = [11, 12, 13, 14, 15]
    start = parse_period(weeks[0]).start
    target = weeks[3:6]
    whole = [
        astuple(r) for r in history.count_block((_pieces([data], weeks), target), rep, c, ids, cfg, start)
    ]
    part = np.random.default_rng(0).integers(0, 3, len(data))  # rows dealt at random to 3 partitions
    cut = [data.iloc[np.flatnonzero(part == k)] for k in range(3)]
    split = [astuple(r) for r in history.count_block((_pieces(cut, weeks), target), rep, c, ids, cfg, start)]
    assert [(w, n) for w, _, n, _ in whole] == [(w, n) for w, _, n, _ in split]
    for (_, a, _, sa), (_, b, _, sb) in zip(whole, split):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
        # the stored sample (week_samples) is the same rows, flags and cosines too
        order = ["key"]
        pd.testing.assert_frame_equal(
            sa.sort_values(order).reset_index(drop=True), sb.sort_values(order).reset_index(drop=True)
        )
    assert sum(t["members"].sum() - t["originals"].sum() for _, t, _, _ in whole) > 0  # repeats found

    # a week's originals are those of the repeat check over [week - two windows, week end)
    w = target[1]
    p = parse_period(w)
    rows = data.loc[(data["created_at"] >= p.start - pd.Timedelta(days=14)) & (data["created_at"] < p.end)]
    dup = check_repeats(rows["created_at"], rows["text"].tolist(), rep.transform(rows["text"].tolist()),
                       rows["caller"].tolist(), cfg.dedup_window_days, cfg.dup_cos, cfg.caller_cos).dup_of  # fmt: skip
    in_week = (rows["created_at"] >= p.start).to_numpy()
    table = dict(zip([t[0] for t in whole], [t[1] for t in whole]))[w]
    assert int(table["members"].sum()) <= int(in_week.sum())
    best, _ = cl.assign(rep.transform(rows["text"].tolist()), c, cfg.tracker.cluster.assign_threshold)
    want = int(((best >= 0) & in_week & (dup < 0)).sum())
    assert int(table["originals"].sum()) == want
