"""Partitioned inputs and the Dask executor (issue 14), on a real 2-worker LocalCluster.

The cluster is started once for the module (spawned worker processes, one
thread each). Distributed results are compared with the same step run in this
process (the local executor), a worker is killed mid-run, and an unreachable
scheduler must give a one-line error.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.cli import app
from hotline_nlp.corpus import executor as exe
from hotline_nlp.corpus.partitions import list_partitions, load_partition, read_parts
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def parts(tmp_path_factory, demo_raw) -> Path:
    """The first 1,200 demo complaints in 6 partitions (Parquet and CSV), one row rejected."""
    d = tmp_path_factory.mktemp("parts")
    sub = demo_raw.iloc[:1200].copy()
    sub.iloc[7, sub.columns.get_loc("诉求内容")] = ""
    sub.iloc[7, sub.columns.get_loc("诉求标题")] = ""  # no text at all: rejected
    for i in range(6):
        piece = sub.iloc[i * 200 : (i + 1) * 200]
        if i == 5:
            piece.to_csv(d / f"p{i}.csv", index=False)
        else:
            piece.to_parquet(d / f"p{i}.parquet", index=False)
    return d


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with Client(lc) as client:
            yield exe.DaskExecutor(client, None, "test cluster"), lc


def test_partitions_folder_and_glob_name_rejects_by_file(parts):
    files = list_partitions(parts)
    assert [f.name for f in files] == [f"p{i}.{'csv' if i == 5 else 'parquet'}" for i in range(6)]
    assert list_partitions(f"{parts}/*.parquet") == files[:5]
    res = load_partition(files[0])
    assert len(res.frame) == 199
    assert res.rejects.iloc[0]["file"] == str(files[0]) and res.rejects.iloc[0]["row"] == 8


@pytest.mark.slow
def test_distributed_tags_equal_local_and_model_loads_once_per_worker(
    parts, cluster, trained_model, tmp_path
):
    from hotline_nlp.classifier.partitioned import ModelRef, classify_partitions

    ex, _ = cluster
    files, ref = list_partitions(parts), ModelRef.of(trained_model.path)
    classify_partitions(exe.LocalExecutor(), files, ref, tmp_path / "local")
    dist = classify_partitions(ex, files, ref, tmp_path / "dist")
    a, b = read_parts(tmp_path / "local"), read_parts(tmp_path / "dist")
    assert len(a) == 1199 and sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        f"part-{i:05d}.parquet" for i in range(6)
    ]
    pd.testing.assert_frame_equal(a, b)
    assert dist["rejects"][["file", "row"]].values.tolist() == [[str(files[0]), 8]]
    loads = ex.client.run(exe.load_counts)
    assert all(c.get(ref.key, 0) <= 1 for c in loads.values())  # never once per task
    assert sum(c.get(ref.key, 0) for c in loads.values()) >= 1


@pytest.mark.slow
def test_cli_classify_folder_on_scheduler_address_and_embed(parts, cluster, trained_model, tmp_path):
    _, lc = cluster
    out = tmp_path / "tagged"
    res = run("classify", "--model", trained_model.path, "--input", parts, "--output", out,
              "--scheduler", lc.scheduler_address)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1199 rows of 6 partition(s)" in res.stdout and "p0.parquet row 8" in res.stderr
    assert len(read_parts(out)) == 1199
    rej = pd.read_csv(tmp_path / "tagged.rejects.csv")
    assert rej[["file", "row"]].values.tolist() == [[str(parts / "p0.parquet"), 8]]
    # embed: same vectors on the cluster as here
    res = run("embed", "--input", f"{parts}/p[01].parquet", "--output", tmp_path / "emb",
              "--scheduler", lc.scheduler_address)  # fmt: skip
    assert res.exit_code == 0, res.output
    res = run("embed", "--input", f"{parts}/p[01].parquet", "--output", tmp_path / "emb.npy")
    assert res.exit_code == 0, res.output
    got = read_parts(tmp_path / "emb")
    np.testing.assert_allclose(
        np.stack(got["embedding"].to_numpy()), np.load(tmp_path / "emb.npy"), atol=1e-6
    )
    assert pd.read_csv(tmp_path / "emb.rows.csv")["row"].tolist() == got["row"].tolist()


@pytest.mark.slow
def test_hotspots_counts_equal_on_cluster(parts, cluster, tmp_path):
    _, lc = cluster
    common = ("hotspots", "--period", "2023-W11", "--format", "json", "--history-weeks", "8")
    a = run(*common, "--input", f"{parts}/p[0-3].parquet", "--output", tmp_path / "a.json")
    b = run(*common, "--input", f"{parts}/p[0-3].parquet", "--output", tmp_path / "b.json",
            "--scheduler", lc.scheduler_address)  # fmt: skip
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    ja, jb = (pd.read_json(tmp_path / f"{n}.json", typ="series") for n in "ab")
    assert ja["total"] == jb["total"] > 0
    counts = [[(i["id"], i["count"]) for i in j["issues"]] for j in (ja, jb)]
    assert counts[0] == counts[1]


def _read_shipped(key: str, path: str) -> dict:
    root = exe.resolve_shipped(key, path)
    return {f.name: f.read_text() for f in sorted(root.iterdir()) if f.is_file() and f.name != ".complete"}


@pytest.mark.slow
def test_shipped_directory_reaches_workers_without_a_shared_disk(cluster, tmp_path):
    """What a model directory rides on: copied to every worker, found there after
    the client's copy is gone (a worker on another machine never had it)."""
    import shutil

    ex, _ = cluster
    d = tmp_path / "model"
    d.mkdir()
    (d / "manifest.json").write_text('{"name": "m"}')
    (d / "weights.txt").write_text("1 2 3")
    key = "test-" + exe.directory_digest(d)
    ex.ship_directory(key, d)
    shutil.rmtree(d)
    got = ex.client.run(_read_shipped, key, str(d))
    assert len(got) == 2 and all(
        v == {"manifest.json": '{"name": "m"}', "weights.txt": "1 2 3"} for v in got.values()
    )


def test_unreachable_scheduler_is_one_line_error(parts, trained_model, tmp_path, monkeypatch):
    monkeypatch.setattr(exe, "CONNECT_TIMEOUT_S", 2)
    res = CliRunner().invoke(
        app,
        [
            "classify",
            "--model",
            str(trained_model.path),
            "--input",
            str(parts),
            "--output",
            str(tmp_path / "o"),
        ],
        env={"HOTLINE_NLP_SCHEDULER": "tcp://127.0.0.1:9"},
    )
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert "Dask scheduler at tcp://127.0.0.1:9" in lines[0], lines[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_worker_killed_mid_run_every_row_exactly_once(parts, cluster, trained_model, tmp_path):
    """SIGKILL the worker busy with a partition after the first result arrived:
    Dask reruns its tasks on the other worker / the restarted one."""
    from hotline_nlp.classifier.partitioned import ModelRef, classify_partitions

    ex, _ = cluster
    files = list_partitions(parts) * 2  # 12 partitions: the run outlives the kill
    killed = []

    class KillOnce(exe.DaskExecutor):
        def map(self, fn, items, name="task", **kw):
            for k, (i, r) in enumerate(super().map(fn, items, name=name, **kw)):
                if k == 0:
                    busy = [w for w, tasks in self.client.processing().items() if tasks]
                    pids = self.client.run(os.getpid, workers=busy[:1])
                    for pid in pids.values():
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                yield i, r

    s = classify_partitions(KillOnce(ex.client), files, ModelRef.of(trained_model.path), tmp_path / "out")
    assert killed, "no worker was busy after the first result"
    out = read_parts(tmp_path / "out")
    expected = pd.concat([load_partition(f).frame["id"] for f in files], ignore_index=True)
    assert s["rows"] == len(out) == len(expected) == 2 * 1199
    assert out["诉求编号"].value_counts().eq(2).all()  # every row of the 6 files, twice (12 parts), no more
    assert sorted(out["诉求编号"]) == sorted(expected)
    deadline = time.time() + 60
    while len(ex.client.scheduler_info()["workers"]) < 2 and time.time() < deadline:
        time.sleep(0.5)  # the nanny restarts the killed worker


@pytest.mark.slow
def test_a_one_thread_worker_tags_on_one_thread(cluster):
    """Tagging splits a large batch over two threads on a 2-core machine, but a Dask
    worker is sized to its share of the cores: inside one, tagging uses the worker's
    own thread count (1 here), so N workers use N cores, not 2N."""
    from hotline_nlp.corpus.resources import available_cores, task_threads

    ex, _ = cluster
    assert ex.client.submit(task_threads, pure=False).result() == 1
    assert task_threads() == available_cores()
