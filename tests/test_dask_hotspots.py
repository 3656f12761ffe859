"""The weekly alert as map / groupby / sample steps (issue 14) on a real 2-worker
LocalCluster: the distributed alert equals the one run in this process, and a
warm run with ``--state-dir`` reads only the new week's partitions and agrees
with a recount of the same state."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from hotline_nlp.corpus import executor as exe
from hotline_nlp.corpus.partitions import LoadOptions
from hotline_nlp.topics.hotspots import weekly_alert, weekly_alert_parts
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
    here = weekly_alert_parts(weekly_files, W, options=OPTS, executor=exe.LocalExecutor())
    there = weekly_alert_parts(weekly_files, W, options=OPTS, executor=cluster)
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
    weekly_alert_parts(files, W_BEFORE, options=OPTS, state_dir=state)  # cold, this process
    assert {"counts.parquet", "weeks.parquet", "partitions.json", "tracker.json"} <= {
        p.name for p in state.iterdir()
    }
    recount = tmp_path / "recount"
    shutil.copytree(state, recount)
    for name in ("counts.parquet", "weeks.parquet"):  # the documented way to recount a window
        (recount / name).unlink()
    full = weekly_alert_parts(files, W, options=OPTS, state_dir=recount, executor=cluster)
    # the warm run needs the new week and the two look-back weeks of its repeat check
    need = {W, W_BEFORE, week_label("2024-01-01", 24)}
    _hide_unread(files, need)
    warm = weekly_alert_parts(files, W, options=OPTS, state_dir=state, executor=cluster)
    assert warm["total"] == full["total"] > 0
    # same issues, this week's counts, statuses and flags; history weeks may differ
    # slightly (stored weeks keep the counts of their time, alert_state's doc)
    assert {c[:4] for c in _core(warm)} == {c[:4] for c in _core(full)}
    assert any(c[3] for c in _core(warm))
    # the next warm run continues from the state the warm run saved
    again = weekly_alert_parts(files, W, options=OPTS, state_dir=state, executor=cluster)
    assert _core(again) == _core(warm)
