"""Honest model selection (nested CV), the unlabelled-text path, and trust figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hotline_nlp.classifier import trust
from hotline_nlp.classifier.features import FoldFeatures, TextFeatures
from hotline_nlp.classifier.hierarchical import HierarchicalTagger
from hotline_nlp.classifier.selection import select
from hotline_nlp.classifier.training import train
from hotline_nlp.corpus.loaders import load_complaints

SMALL_FAMILY = (("defaults", {}), ("C=0.05", {"C": 0.05}), ("+ naive Bayes blend", {"nb_weight": 0.5}))


@pytest.fixture(scope="module")
def small(train_csv):
    """~300 demo rows, level 1 only (fast)."""
    frame = load_complaints(train_csv, require=("labels",)).frame
    return frame.sample(300, random_state=0).reset_index(drop=True)


def test_nested_selection_scores_the_procedure_on_rows_it_never_saw(small):
    base = HierarchicalTagger(embedder=None, n_jobs=1).get_params()
    texts, y = small["text"].tolist(), small["level1"].to_numpy()
    sel = select(texts, y, base=base, family=SMALL_FAMILY, n_jobs=1)
    assert [c["name"] for c in sel.inner] == [n for n, _ in SMALL_FAMILY]
    assert sel.chosen in dict(SMALL_FAMILY) and len(sel.outer_choices) == len(sel.outer_folds) == 3
    # each outer fold chose on its own rows only and was scored on the others
    held = np.concatenate([te for _, te in sel.outer_folds])
    assert sorted(held) == list(range(len(y)))
    for (tr, te), choice in zip(sel.outer_folds, sel.outer_choices):
        assert not set(tr) & set(te)
        again = select([texts[i] for i in tr], y[tr], base=base, family=SMALL_FAMILY, nested=False, n_jobs=1)
        assert again.chosen == choice
    # the outer score is its own figure, not the winner's inner score
    best_inner = max(c["macro_f1"] for c in sel.inner)
    assert sel.outer_macro_f1 is not None and sel.outer_macro_f1 != best_inner
    assert 0.5 < sel.outer_macro_f1 <= 1.0
    # on random labels the inner winner looks better than chance; the outer score does not flatter
    rng = np.random.default_rng(0)
    noise = select(texts, rng.permutation(y), base=base, family=SMALL_FAMILY, n_jobs=1)
    assert noise.outer_macro_f1 < 0.5 and noise.outer_macro_f1 != max(c["macro_f1"] for c in noise.inner)


def test_train_records_selection_in_the_manifest(tmp_path, small):
    import pandas as pd

    path = tmp_path / "small.csv"
    pd.DataFrame({"留言详情": small["text"], "一级分类": small["level1"]}).to_csv(path, index=False)
    data = load_complaints(path, require=("labels",))
    params = {"embedder": None, "n_jobs": 1}
    report = train(data, name="c", models_dir=tmp_path / "m", params=params, family=SMALL_FAMILY)
    manifest = json.loads((report.path / "manifest.json").read_text(encoding="utf-8"))
    sel = manifest["selection"]
    assert sel["chosen"] in dict(SMALL_FAMILY) and len(sel["candidates"]) == len(SMALL_FAMILY)
    assert sel["outer_macro_f1"] is not None and all("macro_f1" in c for c in sel["candidates"])
    chosen = next(c for c in sel["candidates"] if c["name"] == sel["chosen"])
    assert manifest["params"]["C"] == chosen["params"]["C"]
    assert manifest["params"]["nb_weight"] == chosen["params"]["nb_weight"]


def test_unlabelled_text_informs_idf_but_not_the_vocabulary(small):
    texts = small["text"].tolist()
    extra = ["停车场收费不合理乱收费", "小区停车位被占用"] * 20 + texts[:50]
    plain = TextFeatures(min_df=1).fit(texts)
    more = TextFeatures(min_df=1).fit(texts, unlabeled=extra)
    assert plain.word_.vocabulary_ == more.word_.vocabulary_
    assert plain.char_.vocabulary_ == more.char_.vocabulary_
    j = more.char_.vocabulary_["停"]
    assert more.char_.idf_[j] < plain.char_.idf_[j]  # 停 is common in the extra text
    # the fold features follow the same rule: equal to TextFeatures fitted on the fold's rows
    tr, te = np.arange(0, 200), np.arange(200, 300)
    got_tr, got_te = FoldFeatures(TextFeatures(min_df=1), texts, unlabeled=extra).split(tr, te)
    ref = TextFeatures(min_df=1).fit([texts[i] for i in tr], unlabeled=extra)
    np.testing.assert_allclose(got_te.toarray(), ref.transform([texts[i] for i in te]).toarray(), atol=1e-5)
    np.testing.assert_allclose(got_tr.toarray(), ref.transform([texts[i] for i in tr]).toarray(), atol=1e-5)
    # and the tagger accepts it end to end
    tagger = HierarchicalTagger(embedder=None, cv=2, n_jobs=1).fit(texts, small["level1"], unlabeled=extra)
    assert (tagger.predict(texts) == small["level1"].to_numpy()).mean() > 0.8


def test_cli_train_with_unlabeled_file(tmp_path, small):
    import pandas as pd
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    pd.DataFrame({"留言详情": small["text"], "一级分类": small["level1"]}).to_csv(
        tmp_path / "l.csv", index=False
    )
    pd.DataFrame({"留言详情": small["text"].str[::-1]}).to_csv(tmp_path / "u.csv", index=False)
    args = ["train", "--data", str(tmp_path / "l.csv"), "--unlabeled", str(tmp_path / "u.csv")]
    args += ["--fast", "--embedder", "none", "--models-dir", str(tmp_path / "m"), "--format", "json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "m" / "default" / "v1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training_data"]["n_unlabeled"] == len(small)
    assert manifest["selection"]["chosen"].startswith("defaults")


def test_bootstrap_interval_known_answers():
    # all correct: no uncertainty at all
    y = np.array(list("abc") * 100)
    ci = trust.bootstrap_interval(y, y, n_boot=200)
    assert ci["accuracy"] == [1.0, 1.0] and ci["macro_f1"] == [1.0, 1.0]
    # exactly 80 % correct over 2,000 rows: accuracy's 95 % interval is 0.8 +- 1.96 sqrt(.8 .2 / 2000)
    n = 2000
    truth = np.array(["a", "b"] * (n // 2))
    pred = truth.copy()
    wrong = np.random.default_rng(1).permutation(n)[: n // 5]
    pred[wrong] = np.where(truth[wrong] == "a", "b", "a")
    ci = trust.bootstrap_interval(truth, pred, n_boot=1000)
    half = 1.96 * np.sqrt(0.8 * 0.2 / n)
    assert abs(ci["accuracy"][0] - (0.8 - half)) < 0.005 and abs(ci["accuracy"][1] - (0.8 + half)) < 0.005
    # two balanced classes, symmetric errors: macro-F1 equals accuracy, so do their intervals (roughly)
    assert abs(ci["macro_f1"][0] - ci["accuracy"][0]) < 0.01


def test_trust_tables():
    truth = np.array(["a"] * 6 + ["b"] * 4)
    pred = np.array(["a", "a", "a", "b", "b", "c", "b", "b", "a", "b"])
    texts = [f"t{i}" for i in range(10)]
    pairs = trust.confused_pairs(truth, pred, texts)
    assert pairs[0] == {"true": "a", "predicted": "b", "count": 2, "examples": ["t3", "t4"]}
    table = trust.reliability_table([0.05, 0.95, 0.95, 0.55], [False, True, False, True])
    assert table == [
        {"bin": "0.0-0.1", "n": 1, "confidence": 0.05, "accuracy": 0.0},
        {"bin": "0.5-0.6", "n": 1, "confidence": 0.55, "accuracy": 1.0},
        {"bin": "0.9-1.0", "n": 2, "confidence": 0.95, "accuracy": 0.5},
    ]
    check = trust.review_check([True, False, False, False], [False, True, True, False], 0.9)
    assert (
        check["precision_accepted"] == round(2 / 3, 4) and not check["met"] and check["sent_to_review"] == 1
    )


def test_fast_char_ngrams_equal_sklearn(small):
    from hotline_nlp.corpus.text import normalise

    texts = [normalise(t) for t in small["text"]] + ["", "a", "AB  c\t\td", "𠮷野家𠮷"]
    for n in (2, 3):
        feats = TextFeatures(char_ngram_max=n, min_df=2).fit(texts[:200])
        got = feats._char_tfidf(texts)
        want = feats.char_.transform(texts)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.toarray(), want.toarray(), atol=1e-6)


def test_nbsvm_log_count_ratios_and_linear_form():
    import scipy.sparse as sp
    from hotline_nlp.classifier import nbsvm
    from hotline_nlp.classifier.linear import LinearLevel
    from sklearn.svm import LinearSVC

    # 4 rows, 3 term columns + 1 dense column; classes a, b
    X = sp.csr_matrix(
        np.array([[1, 0, 1, 0.5], [2, 0, 0, -0.5], [0, 1, 1, 0.2], [0, 3, 0, 0.1]], dtype=float)
    )
    y = np.array(["a", "a", "b", "b"])
    r = nbsvm.log_count_ratios(X, y, np.array(["a", "b"]), dense_dim=1)
    # class a: rows containing each term p = 1 + [2, 0, 1], rest q = 1 + [0, 2, 1]
    p, q = np.array([3.0, 1, 2]), np.array([1.0, 3, 2])
    np.testing.assert_allclose(r[0, :3], np.log(p / p.sum()) - np.log(q / q.sum()))
    np.testing.assert_allclose(r[1, :3], -r[0, :3])
    assert r[0, 3] == r[1, 3] == 1.0  # dense columns are not scaled
    # coef is w * r: scoring unscaled rows equals the SVM on the scaled rows
    coef, intercept = nbsvm.nbsvm_coef(X, y, np.array(["a", "b"]), C=1.0, dense_dim=1)
    svc = LinearSVC(C=1.0, class_weight="balanced", max_iter=5000, random_state=0)
    svc.fit(X.multiply(r[0]).tocsr(), y == "a")
    np.testing.assert_allclose(X @ coef[0] + intercept[0], svc.decision_function(X.multiply(r[0]).tocsr()))
    # blended into a level it is still one coefficient matrix, and it separates the rows
    level = LinearLevel(C=1.0, nbsvm_weight=0.5, dense_dim=1).fit(X, y)
    assert level.coef_.shape == (2, 4)
    assert list(level.classes_[level.decision_function(X).argmax(1)]) == list(y)


def test_nbsvm_candidate_learns_and_round_trips(tmp_path, small):
    texts, y = small["text"].tolist(), small["level1"]
    tagger = HierarchicalTagger(embedder=None, cv=2, n_jobs=1, nbsvm_weight=0.5).fit(texts, y)
    assert tagger.cv_metrics_["level1"]["macro_f1"] > 0.5
    tagger.save(tmp_path / "t")
    again = HierarchicalTagger.load(tmp_path / "t")
    assert again.get_params()["nbsvm_weight"] == 0.5
    np.testing.assert_allclose(again.predict_proba(texts[:20]), tagger.predict_proba(texts[:20]), atol=1e-6)


def test_cli_train_uses_the_exports_unlabelled_rows(tmp_path, small):
    import pandas as pd
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    labels = small["level1"].copy()
    labels.iloc[:40] = ""  # 40 rows nobody tagged yet
    pd.DataFrame({"留言详情": small["text"], "一级分类": labels}).to_csv(tmp_path / "l.csv", index=False)
    pd.DataFrame({"留言详情": small["text"].str[::-1][:25]}).to_csv(tmp_path / "u.csv", index=False)
    base = ["train", "--data", str(tmp_path / "l.csv"), "--fast", "--embedder", "none", "--format", "json"]
    runs = {
        "same": [],
        "both": ["--unlabeled", str(tmp_path / "u.csv")],
        "off": ["--no-unlabeled-rows"],
    }
    for key, extra in runs.items():
        res = CliRunner().invoke(app, base + extra + ["--models-dir", str(tmp_path / key)])
        assert res.exit_code == 0, res.output
        runs[key] = json.loads(
            (tmp_path / key / "default" / "v1" / "manifest.json").read_text(encoding="utf-8")
        )["training_data"]
    assert runs["same"]["n_rows"] == len(small) - 40  # the unlabelled rows do not train as labels
    assert runs["same"]["n_unlabeled"] == 40
    assert runs["same"]["unlabeled_sources"] == {"rows of l.csv without a label": 40}
    assert runs["both"]["n_unlabeled"] == 65
    assert runs["both"]["unlabeled_sources"] == {"u.csv": 25, "rows of l.csv without a label": 40}
    assert runs["off"]["n_unlabeled"] == 0 and "unlabeled_sources" not in runs["off"]
