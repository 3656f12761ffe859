"""The weekly alert as map / groupby / sample steps (issue 14) on a real 2-worker
LocalCluster: the distributed alert equals the one run in this process, and a
warm run with ``--state-dir`` reads only the new week's partitions and agrees
with a recount of the same state."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.corpus import executor as exe
from hotline_nlp.corpus.partitions import LoadOptions
from hotline_nlp.topics.engine import blocks as bk
from hotline_nlp.topics.hotspots import (
    emerging_issues,
    replay,
    weekly_alert,
)
from hotline_nlp.topics.periods import week_labels
from test_topics_hotspots import make_stream, week_label

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

OPTS = LoadOptions(require=("created_at",))
W = week_label("2024-01-01", 26)  # the fifth week of the planted issue
W_BEFORE = week_label("2024-01-01", 25)


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    return make_stream()


@pytest.fixture(scope="module")
def weekly_files(stream, tmp_path_factory):
    """One Parquet file per ISO week (a weekly export), the last weeks as CSV."""
    d = tmp_path_factory.mktemp("weekly")
    s = stream.assign(week=week_labels(stream["created_at"]))
    for w, g in s.groupby("week"):
        g = g.drop(columns="week")
        if w > W:
            g.to_csv(d / f"{w}.csv", index=False)
        else:
            g.to_parquet(d / f"{w}.parquet", index=False)
    return sorted(p for p in d.iterdir() if p.suffix in (".csv", ".parquet"))


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with Client(lc) as client:
            yield exe.DaskExecutor(client, None, "test cluster")


def _core(r: dict) -> list:
    return [
        (i["id"], i["count"], i["status"], i["emerging"], [w["count"] for w in i["weekly"]])
        for i in r["issues"]
    ]


def test_alert_on_cluster_equals_this_process(stream, weekly_files, cluster):
    here = weekly_alert(weekly_files, W, options=OPTS, executor=exe.LocalExecutor())
    there = weekly_alert(weekly_files, W, options=OPTS, executor=cluster)
    # the same functions on the same pieces: the whole report is identical
    assert json.dumps(there, default=str, sort_keys=True) == json.dumps(here, default=str, sort_keys=True)
    planted = set(stream.loc[stream.topic == "planted", "id"])
    top = here["issues"][0]
    assert top["emerging"] and set(top["complaint_ids"]) <= planted and top["count"] == 5
    # and the in-memory frame (one partition) gives the same issues and counts
    assert _core(weekly_alert(stream, W)) == _core(here)


def _hide_unread(files, keep: set[str]) -> None:
    """Overwrite every file not in ``keep`` with garbage of the same size and
    mtime: a run that read one would fail, a run that only lists them does not."""
    for f in files:
        if f.stem in keep:
            continue
        st = f.stat()
        f.write_bytes(b"\0" * st.st_size)
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_warm_run_reads_only_the_new_weeks_and_matches_a_recount(weekly_files, cluster, tmp_path):
    files = []
    for f in weekly_files:  # a private copy: some will be overwritten
        files.append(tmp_path / "in" / f.name)
        files[-1].parent.mkdir(exist_ok=True)
        shutil.copy2(f, files[-1])
    state = tmp_path / "state"
    weekly_alert(files, W_BEFORE, options=OPTS, state_dir=state)  # cold, this process
    assert {"counts.parquet", "weeks.parquet", "partitions.json", "tracker.json"} <= {
        p.name for p in state.iterdir()
    }
    recount = tmp_path / "recount"
    shutil.copytree(state, recount)
    for name in ("counts.parquet", "weeks.parquet"):  # the documented way to recount a window
        (recount / name).unlink()
    full = weekly_alert(files, W, options=OPTS, state_dir=recount, executor=cluster)
    # the warm run needs the new week and the two look-back weeks of its repeat check
    need = {W, W_BEFORE, week_label("2024-01-01", 24)}
    _hide_unread(files, need)
    warm = weekly_alert(files, W, options=OPTS, state_dir=state, executor=cluster)
    assert warm["total"] == full["total"] > 0
    # same issues, this week's counts, statuses and flags; history weeks may differ
    # slightly (stored weeks keep the counts of their time, alert_state's doc)
    assert {c[:4] for c in _core(warm)} == {c[:4] for c in _core(full)}
    assert any(c[3] for c in _core(warm))
    # the next warm run continues from the state the warm run saved
    again = weekly_alert(files, W, options=OPTS, state_dir=state, executor=cluster)
    assert _core(again) == _core(warm)


def _json(r) -> str:
    return json.dumps(r, default=str, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def dealt_files(stream, tmp_path_factory):
    """The same rows dealt at random into three Parquet files (each spans every week)."""
    d = tmp_path_factory.mktemp("dealt")
    part = np.random.default_rng(7).integers(0, 3, len(stream))
    for i in range(3):
        stream.loc[part == i].sample(frac=1.0, random_state=i).to_parquet(d / f"part{i}.parquet", index=False)
    return sorted(d.glob("*.parquet"))


def test_new_week_in_day_blocks_does_not_depend_on_the_cut(weekly_files, dealt_files, cluster, monkeypatch):
    """The new week is matched and counted on the workers, one task per block of
    days; a block per day, over files that each hold every week in random order,
    gives the report of whole weeks over weekly files."""
    here = weekly_alert(weekly_files, W, options=OPTS, executor=exe.LocalExecutor())
    monkeypatch.setattr(bk, "ROWS_PER_TASK", 1)  # every day a block of its own
    spans = bk.day_spans({"2024-06-24": 3, "2024-06-25": 2, "2024-06-27": 4})
    assert [(str(a.date()), str(b.date())) for a, b in spans] == [
        ("2024-06-24", "2024-06-25"),
        ("2024-06-25", "2024-06-26"),
        ("2024-06-27", "2024-06-28"),
    ]
    there = weekly_alert(dealt_files, W, options=OPTS, executor=cluster)
    assert _json(there) == _json(here)


def test_emerging_and_replay_on_cluster_equal_this_process(stream, weekly_files, cluster):
    period = (
        str((pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=20)).date()),
        str((pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=30) - pd.Timedelta(days=1)).date()),
    )
    here = emerging_issues(weekly_files, period, options=OPTS, executor=exe.LocalExecutor())
    there = emerging_issues(weekly_files, period, options=OPTS, executor=cluster)
    assert here and _json(there) == _json(here)
    planted = set(stream.loc[stream.topic == "planted", "id"])
    assert len(set(here[0]["complaint_ids"]) & planted) > len(here[0]["complaint_ids"]) / 2

    # the in-memory frame (one partition) flags the same issues in the same weeks
    def core(found):
        return [(i["id"], i["count"], i["weeks_flagged"]) for i in found]

    assert core(emerging_issues(stream, period)) == core(here)
    weeks = replay(weekly_files, period, options=OPTS, executor=cluster)["weeks"]
    alone = replay(stream, period)["weeks"]
    assert _json(weeks) == _json(alone) and any(w["flagged"] for w in weeks)
