"""Model directories: versions, manifest, atomic save, corruption, promotion rules."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.classifier.model import load_model
from hotline_nlp.classifier.training import train
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.models.store import ModelError, ModelStore


def test_manifest_records_what_production_needs(trained_model):
    man = trained_model.manifest
    assert man["version"] == "v1" and man["name"] == "demo"
    for key in ("created", "training_data", "labels", "metrics", "libraries", "files", "params"):
        assert key in man
    assert len(man["training_data"]["sha256"]) == 64 and man["training_data"]["n_rows"] > 1000
    assert "scikit-learn" in man["libraries"] and "python" in man["libraries"]
    assert man["metrics"]["level2"]["macro_f1"] > 0.5
    assert all(not f.endswith(".pkl") for f in man["files"])


def copy_model(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_corrupt_models_fail_with_a_clear_message(tmp_path, trained_model):
    d = copy_model(trained_model.path, tmp_path / "m")
    coef = d / "tagger" / "level1" / "coef.npy"
    data = bytearray(coef.read_bytes())
    data[-10] ^= 0xFF
    coef.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"tagger/level1/coef\.npy is corrupt"):
        load_model(d)

    d2 = copy_model(trained_model.path, tmp_path / "m2")
    (d2 / "tagger" / "level2" / "classes.json").unlink()
    with pytest.raises(ModelError, match="classes.json listed in the manifest is missing"):
        load_model(d2)

    d3 = copy_model(trained_model.path, tmp_path / "m3")
    (d3 / "manifest.json").write_text("{ truncated", encoding="utf-8")
    with pytest.raises(ModelError, match="manifest is corrupt"):
        load_model(d3)

    d4 = copy_model(trained_model.path, tmp_path / "m4")
    man = json.loads((d4 / "manifest.json").read_text(encoding="utf-8"))
    man["format_version"] = 99
    (d4 / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    with pytest.raises(ModelError, match="newer than this hotline-nlp understands"):
        load_model(d4)

    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a hotline-nlp model"):
        load_model(tmp_path / "empty")
    with pytest.raises(ModelError, match="no model 'nope'"):
        load_model("nope", tmp_path)


def test_failed_save_leaves_earlier_versions_and_current_intact(tmp_path):
    store = ModelStore(tmp_path)
    store.save(
        "m",
        lambda d: (d / "a.txt").write_text("one"),
        {"kind": "t", "training": {}, "labels": {}, "metrics": {}, "params": {}},
        promote=True,
    )

    def boom(d):
        (d / "half.txt").write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.save(
            "m", boom, {"kind": "t", "training": {}, "labels": {}, "metrics": {}, "params": {}}, promote=True
        )
    assert store.versions("m") == ["v1"] and store.current_version("m") == "v1"
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".incoming")]


@pytest.mark.slow  # trains twice
def test_worse_model_is_saved_but_not_promoted_unless_forced(tmp_path, train_csv):
    good = load_complaints(train_csv, require=("labels",))
    r1 = train(good, name="city", models_dir=tmp_path, fast=True)
    assert r1.promoted and r1.version == "v1"
    # the same texts with shuffled labels: a much worse model
    bad = load_complaints(train_csv, require=("labels",))
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(bad.frame))
    bad.frame = bad.frame.assign(
        level1=bad.frame["level1"].to_numpy()[perm], level2=bad.frame["level2"].to_numpy()[perm]
    )
    r2 = train(bad, name="city", models_dir=tmp_path, params={"cv": 3}, fast=True)
    assert not r2.promoted and "not promoted" in r2.reason
    store = ModelStore(tmp_path)
    assert store.current_version("city") == "v1" and store.versions("city") == ["v1", "v2"]
    assert load_model("city", tmp_path).version == "v1"
    assert load_model("city@v2", tmp_path).version == "v2"
    r3 = train(bad, name="city", models_dir=tmp_path, force=True, params={"cv": 3}, fast=True)
    assert r3.promoted and store.current_version("city") == "v3"
    rows = {(r["name"], r["version"]): r for r in store.list()}
    assert rows[("city", "v3")]["current"] and not rows[("city", "v1")]["current"]
    assert rows[("city", "v1")]["level2_macro_f1"] > rows[("city", "v2")]["level2_macro_f1"]


def test_too_little_data_is_refused(tmp_path):
    df = pd.DataFrame({"内容": ["停水"] * 5, "一级分类": ["供水"] * 5})
    df.to_csv(tmp_path / "tiny.csv", index=False)
    with pytest.raises(ValueError, match="only 5 usable labelled rows"):
        train(load_complaints(tmp_path / "tiny.csv", require=("labels",)), name="x", models_dir=tmp_path)
