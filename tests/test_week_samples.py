"""The stored week samples (topics.week_samples) and what a warm run does with
them: an issue born in a warm week gets a baseline in the stored weeks, close
to what a cold run's re-match of the whole history would give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import week_samples as ws
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.config import HotspotConfig
from hotline_nlp.topics.engine.pieces import check_frame
from hotline_nlp.topics.hotspots import weekly_alert
from hotline_nlp.topics.periods import parse_period
from hotline_nlp.topics.tracker import IssueTracker, TrackerConfig
from hotline_nlp.topics.tracker_store import load_tracker
from test_topics_hotspots import make_stream


def test_the_sample_is_a_power_of_two_share_chosen_by_id_alone():
    assert ws.shift_for(ws.SAMPLE_CAP) == 0 and ws.shift_for(ws.SAMPLE_CAP + 1) == 1
    keys = pd.Series([f"k{i}" for i in range(20_000)])
    m, scale = ws.chosen(keys)
    assert scale == 16 and 0.8 * 20_000 / 16 < m.sum() < 1.2 * 20_000 / 16
    # a row's membership depends on its id alone, and the samples nest: every
    # row of the 1/16 sample is in the 1/4 sample of a smaller week
    m_sub, s_sub = ws.chosen(keys.iloc[::3])
    assert s_sub == 4 and (m[::3] <= m_sub).all() and m_sub.sum() > m[::3].sum()
    small, one = ws.chosen(keys.iloc[:100])
    assert one == 1 and small.all()


class FindsNothing:
    """A clusterer that finds no issue: the cold run's state then knows none, and
    every steady topic is born in the next (warm) week."""

    def fit_predict(self, x):
        return np.full(x.shape[0], -1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    stream = make_stream(weeks=16, planted_from=None, seed=3)
    weeks = sorted(set(check_frame(stream)["week"]))
    before, week = weeks[-2], weeks[-1]
    state = tmp_path_factory.mktemp("state")
    # the cold state counts its history weeks (anchor "week"), not steps them: their samples are
    # the whole-history re-match's, which the warm estimate is compared with below
    weekly_alert(
        stream, before, state_dir=state, config=HotspotConfig(clusterer=FindsNothing(), anchor="week")
    )
    warm = weekly_alert(stream, week, state_dir=state)
    # the cold run re-matches the whole history to the issues of its own week (anchor
    # "week"), the re-match a warm run's estimate stands in for
    cold = weekly_alert(stream, week, config=HotspotConfig(anchor="week"))
    return stream, weeks, state, warm, cold


def test_every_counted_week_keeps_its_sample(runs):
    _, weeks, state, *_ = runs
    assert sorted(f.stem for f in (state / "samples").glob("*.parquet")) == weeks
    s = pd.read_parquet(state / "samples" / f"{weeks[3]}.parquet")
    assert list(s.columns) == ws.FIELDS and (s["scale"] == 1).all() and len(s) > 10


def test_issues_born_warm_get_the_baseline_a_rematch_gives(runs):
    stream, weeks, state, warm, _ = runs
    tr = load_tracker(state)
    born = [i.id for i in tr.issues_ if i.origin == "new" and i.born == weeks[-1] and i.merged_into is None]
    assert len(born) >= 3  # the steady topics, unknown to the cold state
    counts = pd.read_parquet(state / "counts.parquet")
    old = weeks[: -1 - tr.config.pool_weeks - 1]  # weeks no pool complaint came from
    assert old
    # small weeks are sampled whole (scale 1): the estimate is an exact re-match
    # of those weeks to the born issues (nearest born issue over the threshold);
    # in the pool's weeks the pool's complaints give the same count exactly
    rep = Representation.load(state / "representation")
    data = check_frame(stream)
    thr = HotspotConfig().tracker.cluster.assign_threshold
    for w in old[:2] + weeks[-1 - tr.config.pool_weeks : -1]:  # old weeks and the pool's weeks
        sample = pd.read_parquet(state / "samples" / f"{w}.parquet")
        rows = data.loc[data["week"] == w]
        assert len(sample) == len(rows)
        best, _ = cl.assign(rep.transform(rows["text"].tolist()), tr.centroids_of(born), thr)
        got = counts.loc[(counts["week"] == w) & counts["issue"].isin(born)]
        members = dict(zip(got["issue"], got["members"]))
        want = pd.Series(np.asarray(born)[best[best >= 0]]).value_counts().to_dict()
        assert members == want
    # and the steady topics have a real baseline there (each ~1.6 a week here)
    steady = counts.loc[counts["week"].isin(old) & counts["issue"].isin(born)]
    assert steady.groupby("issue")["originals"].sum().min() >= len(old)


def test_warm_alert_flags_what_the_cold_one_flags(runs):
    *_, warm, cold = runs
    assert sum(i["emerging"] for i in cold["issues"]) == 0  # steady topics only
    assert sum(i["emerging"] for i in warm["issues"]) == 0
    # the issues born warm show the weekly history the cold run re-matched
    # (ids differ: the cold run found them in its bootstrap)
    cold_weekly = [[w["count"] for w in i["weekly"]] for i in cold["issues"]]
    same = [i for i in warm["issues"] if [w["count"] for w in i["weekly"]] in cold_weekly]
    assert len(same) >= 2 and all(sum(w["count"] for w in i["weekly"]) >= 12 for i in same)


def test_sample_week_is_the_last_counted_week_too(runs):
    _, weeks, state, *_ = runs
    s = pd.read_parquet(state / "samples" / f"{weeks[-1]}.parquet")
    p = parse_period(weeks[-1])
    assert (s["created_at"] >= p.start).all() and (s["created_at"] < p.end).all()
    assert (s["sim"] > 0).any()  # matched against the issues active after the step


def test_the_pool_is_capped_by_id_hash():
    from scipy import sparse

    tr = IssueTracker(TrackerConfig(pool_max=50))
    ids = [f"c{i}" for i in range(200)]
    x = sparse.random(200, 30, density=0.2, format="csr", random_state=0, dtype=np.float32)
    tr.set_pool(ids, ["2024-W01"] * 100 + ["2024-W02"] * 100, x)
    assert len(tr.pool_ids_) == 50 and tr.pool_x_.shape[0] == 50
    # the same complaints whatever order they come in, each with its own vector
    rev = IssueTracker(TrackerConfig(pool_max=50))
    rev.set_pool(ids[::-1], ["w"] * 200, x[::-1])
    assert set(rev.pool_ids_) == set(tr.pool_ids_)
    j = ids.index(tr.pool_ids_[7])
    assert (tr.pool_x_[7] != x[j]).nnz == 0


def test_sampled_estimates_are_spread_flat_and_keep_their_totals():
    monday = lambda w: parse_period(w).start  # noqa: E731
    weeks = [f"2024-W{i:02d}" for i in range(1, 11)]
    at = monday(weeks[3])
    est = pd.DataFrame(
        [(weeks[3], 7, 16, 16, at, at), (weeks[8], 7, 32, 48, at, at), (weeks[0], 9, 2, 3, at, at)],
        columns=["week", "issue", "originals", "members", "first_at", "last_at"],
    )
    out = ws.spread(est, weeks, {weeks[0]}, monday)
    seven = out.loc[out["issue"] == 7]
    assert seven["originals"].sum() == 48 and seven["members"].sum() == 64  # totals kept
    assert seven["members"].max() - seven["members"].min() <= 1 and len(seven) == 9  # flat, week 1 is whole
    nine = out.loc[out["issue"] == 9]
    assert nine[["week", "originals", "members"]].values.tolist() == [[weeks[0], 2, 3]]  # scale 1: as counted


def test_a_corrupt_stored_sample_is_named(runs, tmp_path):
    import shutil

    from hotline_nlp.topics.engine.state import AlertState

    _, weeks, state, *_ = runs
    copy = tmp_path / "state"
    shutil.copytree(state, copy)
    (copy / "samples" / f"{weeks[2]}.parquet").write_bytes(b"not parquet")
    st = AlertState(copy).load(None, 1, None)
    with pytest.raises(ValueError, match=f"{weeks[2]}.parquet cannot be read"):
        st.sample(weeks[2])
    assert len(st.sample(weeks[3]))  # the others still read
