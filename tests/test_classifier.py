"""The hierarchical tagger: valid paths, calibration, review flags, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hotline_nlp.classifier.calibration import expected_calibration_error, fit_temperature, review_threshold
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.corpus.loaders import load_complaints
from sklearn.base import clone


@pytest.fixture(scope="module")
def split(train_csv, demo_csv):
    train = load_complaints(train_csv, require=("labels",)).frame
    demo = load_complaints(demo_csv, require=("labels",)).frame
    held_out = demo[~demo["id"].isin(train["id"])].sample(800, random_state=1)
    return train, held_out


def test_predicted_paths_are_always_valid_and_topk_consistent(trained_model, split):
    _, test = split
    paths = set(trained_model.manifest["labels"]["paths"])
    recs = trained_model.predict(test["text"].tolist(), top_k=4)
    for r in recs:
        assert r["pred_path"] in paths or (r["pred_level2"] == "" and r["pred_path"] == r["pred_level1"])
        if r["pred_level2"]:
            assert r["pred_path"] == f"{r['pred_level1']} > {r['pred_level2']}"
        conf = [t["confidence"] for t in r["top_k"]]
        assert conf == sorted(conf, reverse=True) and len(conf) == 4 and sum(conf) <= 1.0001
        assert all(t["path"] in paths for t in r["top_k"])
        assert 0 <= r["confidence"] <= r["confidence_level1"] + 1e-6 <= 1.0001


def test_accuracy_and_calibration_on_held_out_rows(trained_model, split):
    _, test = split
    recs = trained_model.predict(test["text"].tolist())
    truth1 = test["level1"].to_numpy()
    pred1 = np.array([r["pred_level1"] for r in recs])
    conf1 = np.array([r["confidence_level1"] for r in recs])
    acc = (pred1 == truth1).mean()
    assert acc > 0.7
    # calibrated: mean confidence tracks accuracy, and ECE is small
    assert abs(conf1.mean() - acc) < 0.1
    assert expected_calibration_error(conf1, pred1 == truth1) < 0.1
    # confident tags are more often right than unsure ones
    hi = conf1 >= np.median(conf1)
    assert (pred1 == truth1)[hi].mean() >= (pred1 == truth1)[~hi].mean()


def test_needs_review_and_backoff_follow_thresholds(trained_model, split):
    _, test = split
    tagger = trained_model.tagger
    texts = test["text"].tolist()[:300]
    saved = (tagger.threshold1_, tagger.threshold2_)
    try:
        tagger.threshold1_, tagger.threshold2_ = 0.0, 1.01  # level 1 always sure, level 2 never
        recs = tagger.tag(texts)
        assert not any(r["needs_review"] for r in recs)
        assert all(r["pred_level2"] == "" and r["pred_path"] == r["pred_level1"] for r in recs)
        assert all(r["confidence"] == r["confidence_level1"] for r in recs)
        tagger.threshold1_ = 1.01
        assert all(r["needs_review"] for r in tagger.tag(texts))
    finally:
        tagger.threshold1_, tagger.threshold2_ = saved
    # an off-topic text is less certain than a typical complaint
    typical = np.median([r["confidence_level1"] for r in tagger.tag(texts)])
    odd = tagger.tag(["今天天气不错，随便说说"])[0]["confidence_level1"]
    assert odd < typical


def test_thresholds_were_chosen_on_out_of_fold_data(trained_model):
    m = trained_model.manifest["metrics"]
    assert 0.0 <= m["level1"]["review_threshold"] <= 1.0
    assert m["level1"]["ece"] <= m["level1"]["ece_raw"]
    assert set(m) == {"level1", "level2", "dispatch"}  # the demo export names units: dispatch is trained too


def test_calibration_helpers():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 500)
    scores = rng.normal(size=(500, 3))
    scores[np.arange(500), true] += 2.0
    t = fit_temperature(scores * 10, true)  # over-confident scores need T > 1
    assert t > 3
    conf = np.array([0.99, 0.9, 0.8, 0.6, 0.5])
    ok = np.array([1, 1, 1, 0, 0])
    assert review_threshold(conf, ok, 0.95) == 0.8
    assert review_threshold(conf, ok, 0.5) == 0.0 or review_threshold(conf, ok, 0.5) <= 0.6
    assert review_threshold(conf, np.zeros(5), 0.9) > 1.0  # nothing reaches it: review all


def test_estimator_contract_and_one_level_labels():
    texts = ["小区停水三天", "停水没人管", "自来水水压低", "路灯不亮", "路灯坏了", "路灯夜里全黑"] * 4
    labels = ["供水"] * 3 + ["市政"] * 3
    labels = labels * 4
    est = HierarchicalTagger(C=0.5, cv=2)
    assert est.get_params()["C"] == 0.5 and clone(est).get_params() == est.get_params()
    assert est.fit(texts, labels) is est
    assert est.n_levels_ == 1 and list(est.classes_) == ["供水", "市政"]
    r = est.tag(["楼里停水了"])[0]
    assert r["pred_level1"] == "供水" and r["pred_level2"] == "" and r["pred_path"] == "供水"
    assert est.predict(["路灯又坏了"])[0] == "市政"


def test_save_load_round_trip(tmp_path, trained_model, split):
    _, test = split
    texts = test["text"].tolist()[:50]
    trained_model.tagger.save(tmp_path / "t")
    again = HierarchicalTagger.load(tmp_path / "t")
    assert again.tag(texts) == trained_model.tagger.tag(texts)
    assert not list(tmp_path.rglob("*.pkl"))


@pytest.mark.parametrize("embedder", [None, "zh-static-v1"])
def test_fold_features_equal_features_fitted_on_the_fold(split, embedder):
    """Cross-validation builds each fold's features from counts made once; they
    must be what ``TextFeatures`` fitted on the fold's training rows gives, so
    the out-of-fold metrics never see the held-out texts' vocabulary."""
    from hotline_nlp.classifier.features import FoldFeatures, TextFeatures

    texts = split[0]["text"].tolist()[:600]
    tr, te = np.arange(0, 600, 3), np.setdiff1d(np.arange(600), np.arange(0, 600, 3))
    make = lambda: TextFeatures(char_ngram_max=2, min_df=2, embedder=embedder, embedding_weight=0.5)  # noqa: E731
    got_tr, got_te = FoldFeatures(make(), texts).split(tr, te)
    ref = make().fit([texts[i] for i in tr])
    want_tr, want_te = ref.transform([texts[i] for i in tr]), ref.transform([texts[i] for i in te])
    assert got_tr.shape == want_tr.shape and got_te.shape == want_te.shape
    assert abs(got_tr - want_tr).max() < 1e-5 and abs(got_te - want_te).max() < 1e-5
    # a word seen only in held-out rows is not a feature (min_df counts training rows only)
    assert got_tr.shape[1] < FoldFeatures(make(), texts).split(np.arange(600), te)[0].shape[1]


@pytest.mark.slow
def test_retraining_on_the_same_rows_gives_the_same_model(tmp_path, split):
    """liblinear shuffles samples from one generator per process; with the
    seed fixed and fits in separate processes, two trainings on one export
    save byte-identical files whatever n_jobs is, so a model version is
    reproducible. (Fits on threads shared the generator and failed this.)"""
    train = split[0].head(600)
    for name, jobs in (("a", 2), ("b", 1)):  # two worker processes, then in-process
        tagger = HierarchicalTagger(cv=2, embedder=None, n_jobs=jobs)
        tagger.fit(train["text"].tolist(), train["level1"].tolist(), train["level2"].tolist())
        tagger.save(tmp_path / name)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert any(f.name == "coef.npy" for f in files)
    for f in files:  # weights, calibration temperatures and review thresholds alike
        a, b = (tmp_path / "a" / f).read_bytes(), (tmp_path / "b" / f).read_bytes()
        if f.name == "tagger.json":  # records n_jobs itself, which differs on purpose
            a, b = (json.loads(x) for x in (a, b))
            assert a["params"].pop("n_jobs") == 2 and b["params"].pop("n_jobs") == 1
        assert a == b, f
