"""The range report (``hot_issues``, ``--start/--end``) as map / groupby / sample
steps (issue 14) on a real 2-worker LocalCluster: the distributed report equals
the one run in this process, whole JSON, and does not depend on how the input
is cut into partitions (by week, or rows dealt at random into files)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.corpus import executor as exe
from hotline_nlp.corpus.partitions import LoadOptions
from hotline_nlp.topics.engine import blocks
from hotline_nlp.topics.hotspots import HotspotConfig, hot_issues
from hotline_nlp.topics.periods import week_labels
from test_topics_hotspots import make_stream
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

OPTS = LoadOptions(require=("created_at",))
RANGE = ("2024-01-10", "2024-07-20")  # not on week boundaries: the first and last weeks are cut
# a small clustering sample, so that the sample (smallest id hashes) is not the whole range
SAMPLED = HotspotConfig()
SAMPLED = replace(
    SAMPLED,
    tracker=replace(SAMPLED.tracker, cluster=replace(SAMPLED.tracker.cluster, max_points=300)),
    listed=8,
)


def _json(r: dict) -> str:
    return json.dumps(r, default=str, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    f = make_stream()
    return f.assign(likes=np.random.default_rng(1).integers(0, 5, len(f)))


@pytest.fixture(scope="module")
def weekly_files(stream, tmp_path_factory):
    """One Parquet file per ISO week (a weekly export)."""
    d = tmp_path_factory.mktemp("weekly")
    s = stream.assign(week=week_labels(stream["created_at"]))
    for w, g in s.groupby("week"):
        g.drop(columns="week").to_parquet(d / f"{w}.parquet", index=False)
    return sorted(d.glob("*.parquet"))


@pytest.fixture(scope="module")
def dealt_files(stream, tmp_path_factory):
    """The same rows dealt at random into three files (each spans every week)."""
    d = tmp_path_factory.mktemp("dealt")
    part = np.random.default_rng(7).integers(0, 3, len(stream))
    for i in range(3):
        stream.loc[part == i].to_parquet(d / f"part{i}.parquet", index=False)
    return sorted(d.glob("*.parquet"))


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with Client(lc) as client:
            yield exe.DaskExecutor(client, None, "test cluster"), lc


def test_range_on_cluster_equals_this_process_and_any_partitioning(
    stream, weekly_files, dealt_files, cluster, monkeypatch
):
    ex, _ = cluster
    config = SAMPLED
    here = hot_issues(weekly_files, RANGE, config, options=OPTS)  # one match task
    monkeypatch.setattr(blocks, "ROWS_PER_TASK", 60)  # about two weeks per match task
    there = hot_issues(weekly_files, RANGE, config, options=OPTS, executor=ex)
    assert _json(there) == _json(here)  # the same report, whatever the workers and the blocks
    dealt = hot_issues(dealt_files, RANGE, config, options=OPTS, executor=ex)
    assert _json(dealt) == _json(here)  # partitioning does not change the report
    inside = stream.loc[(stream.created_at >= RANGE[0]) & (stream.created_at < "2024-07-21")]
    assert here["total"] == len(inside) and len(here["issues"]) == 8
    for i in here["issues"]:
        ids = set(i["complaint_ids"])
        assert ids <= set(inside["id"]) and len(ids) == len(i["complaint_ids"])
        assert sum(w["count"] for w in i["weekly"]) + i["repeats"] == len(ids)
        assert i["likes"] == int(inside.loc[inside["id"].isin(ids), "likes"].sum())
    # the in-memory frame is the same engine with one partition
    frame = hot_issues(stream, RANGE, config)
    assert _json(frame) == _json(here)


def test_cli_range_over_a_folder_on_the_cluster(weekly_files, cluster, tmp_path):
    """The command over a folder with --scheduler: the report of this process."""
    _, lc = cluster
    here = hot_issues(weekly_files, RANGE, options=OPTS)  # --top's default
    folder = weekly_files[0].parent
    args = ["hotspots", "--input", str(folder), "--start", RANGE[0], "--end", RANGE[1], "--format", "json"]
    out = tmp_path / "b.json"
    res = CliRunner().invoke(
        app, [*args, "--output", str(out), "--scheduler", lc.scheduler_address], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text("utf-8"))
    assert got == json.loads(_json(here)) and got["kind"] == "hot_issues" and got["issues"]
    bad = CliRunner().invoke(app, [*args[:3], "--start", "2030-01-01", "--end", "2030-01-31"])
    assert bad.exit_code != 0 and "no complaints in" in bad.output


def test_model_tags_categories_on_the_workers(stream, weekly_files, cluster, trained_model, tmp_path):
    """--model on partitions: the model directory is shipped to the workers and
    the category table equals tagging the same rows in this process."""
    from hotline_nlp.classifier.tagging import tag_frame
    from hotline_nlp.topics.category_stats import category_table
    from hotline_nlp.topics.periods import date_range

    ex, _ = cluster
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in weekly_files:
        pd.read_parquet(f).drop(columns=["level1", "level2"]).to_parquet(bare / f.name, index=False)
    span = ("2024-03-04", "2024-03-17")  # two weeks: the comparison periods are read too
    r = hot_issues(
        sorted(bare.glob("*.parquet")),
        span,
        HotspotConfig(listed=3),
        model=trained_model,
        options=OPTS,
        executor=ex,
    )
    frame = tag_frame(stream.drop(columns=["level1", "level2"]), trained_model)
    want = category_table(frame, date_range(*span))
    assert r["categories"] and r["categories"] == want
    assert any("自动标注" in n for n in r["notes"])
