"""`hotline-nlp cache`: what the on-disk cache holds, and cleaning it without
touching what a live run is using."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hotline_nlp.cli import app
from hotline_nlp.corpus.cache_admin import OWNER_FILE, stale_spill_dirs
from hotline_nlp.corpus.embedding import load_embedder
from hotline_nlp.corpus.embedding_cache import EmbeddingCache
from typer.testing import CliRunner


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("HOTLINE_NLP_CACHE", str(root))
    return root


def _spill(root, name, pid=None, age_s=0.0):
    d = root / "spill" / name
    d.mkdir(parents=True)
    if pid is not None:
        (d / OWNER_FILE).write_text(str(pid), "ascii")
    if age_s:
        t = time.time() - age_s
        os.utime(d, (t, t))
    return d


def test_spill_folders_of_ended_runs_are_stale(cache_root):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    gone = _spill(cache_root, "vectors-dead", pid=int(dead))
    live = _spill(cache_root, "vectors-live", pid=os.getpid())
    old = _spill(cache_root, "vectors-old", age_s=7200)  # no owner, untouched for 2 hours
    fresh = _spill(cache_root, "vectors-new")  # no owner yet: a run creating it right now
    assert stale_spill_dirs(cache_root / "spill") == [gone, old]
    assert live.is_dir() and fresh.is_dir()


def test_cache_info_and_clean(cache_root):
    current = load_embedder(None).version
    cache = EmbeddingCache(cache_root)
    rng = np.random.default_rng(0)
    cache.put_many(current, ["甲", "乙"], rng.random((2, 8)))
    cache.put_many("old-embedder-v0", ["甲", "乙", "丙"], rng.random((3, 8)))
    cache.put_many("other-v1", ["丁"], rng.random((1, 8)))
    cache.close()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    _spill(cache_root, "vectors-dead", pid=int(dead))
    runner = CliRunner()

    res = runner.invoke(app, ["cache", "info", "--format", "json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert {v: d["entries"] for v, d in info["versions"].items()} == {
        current: 2,
        "old-embedder-v0": 3,
        "other-v1": 1,
    }
    assert info["versions"]["old-embedder-v0"]["bytes"] == 3 * 8 * 4 and len(info["stale_spill_folders"]) == 1

    res = runner.invoke(app, ["cache", "clean", "--version", "nope-v9"])
    assert res.exit_code != 0 and "nope-v9" in res.output and "old-embedder-v0" in res.output

    res = runner.invoke(app, ["cache", "clean", "--version", "other-v1", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["removed_vectors"] == {"other-v1": 1} and len(out["removed_spill_folders"]) == 1
    assert not (cache_root / "spill" / "vectors-dead").exists()

    res = runner.invoke(app, ["cache", "clean", "--keep-current"])
    assert res.exit_code == 0, res.output
    assert "removed 3 vectors of old-embedder-v0" in res.stdout
    left = EmbeddingCache(cache_root)
    assert left.versions() == {current: {"entries": 2, "bytes": 2 * 8 * 4}}
    assert set(left.get_many(current, ["甲", "乙"], dim=8)) == {0, 1}  # kept vectors still read back

    res = runner.invoke(app, ["cache", "clean", "--all", "--keep-current"])
    assert res.exit_code != 0 and "one of" in res.output
