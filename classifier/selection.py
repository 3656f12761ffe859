"""Choosing the tagger's setting on the user's own export, and scoring that choice honestly.

Every city's export differs (label set, length, style), so ``train`` does not
trust one hard-coded setting. It tries a small family of candidates around the
defaults (n-gram range, C, class weights, embedding weight, a naive Bayes blend)
with an *inner* cross-validation and keeps the best. A score taken from those
same folds would be optimistic (the winner of several tries on one set of folds
is partly the luckiest), so the whole procedure, selection included, is
repeated inside each fold of an *outer* cross-validation and scored on rows it
never saw: that outer score is the one to believe (nested CV).

Speed: texts are segmented, counted and embedded once; every fold applies its
own vocabulary and idf to those counts (``FoldFeatures``), and the linear fits
run in worker processes (``fit_level``), so results do not depend on ``n_jobs``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from hotline_nlp.classifier.features import FoldFeatures, TextFeatures
from hotline_nlp.classifier.linear import fit_level
from hotline_nlp.corpus.resources import available_cores
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

# One change at a time around the defaults (``HierarchicalTagger``'s, which are
# also what ``train --fast`` uses): the family stays small enough that the whole
# nested procedure trains in minutes on two cores.
FAMILY: tuple[tuple[str, dict], ...] = (
    ("defaults", {}),
    ("C=0.35", {"C": 0.35}),
    ("C=1.4", {"C": 1.4}),
    ("unweighted classes", {"class_weight": None}),
    ("no embedding", {"embedding_weight": 0.0}),
    ("embedding x2", {"embedding_weight": 1.0}),
    ("char 1-3-grams", {"char_ngram_max": 3}),
    ("+ naive Bayes blend", {"nb_weight": 0.25}),
    ("+ NB-SVM average", {"nbsvm_weight": 0.5}),
)
INNER_FOLDS = 3
OUTER_FOLDS = 3
SELECTED = ("C", "class_weight", "char_ngram_max", "embedding_weight", "nb_weight", "nbsvm_weight")


@dataclass
class Selection:
    """What ``select`` found: the manifest's ``selection`` record (``to_json``)."""

    chosen: str
    params: dict
    inner: list[dict]
    outer_macro_f1: float | None = None
    outer_accuracy: float | None = None
    outer_choices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # (selection rows, held-out rows) of each outer fold, for tests and audits
    outer_folds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    def to_json(self) -> dict:
        return {
            "chosen": self.chosen,
            "params": self.params,
            "inner_folds": INNER_FOLDS,
            "candidates": self.inner,
            "outer_folds": OUTER_FOLDS,
            "outer_macro_f1": self.outer_macro_f1,
            "outer_accuracy": self.outer_accuracy,
            "outer_choices": self.outer_choices,
            "seconds": round(self.seconds, 1),
        }


class _Data:
    """Counts and sentence vectors of all rows, made once, shared by every fit."""

    def __init__(self, base: dict, texts, targets, unlabeled, family):
        self.targets = targets  # [(labels, classes)], finest level last
        self.sparse = {}
        for n in sorted({{**base, **o}["char_ngram_max"] for _, o in family}):
            tf = TextFeatures(n, base["min_df"], None)
            self.sparse[n] = FoldFeatures(tf, texts, unlabeled=unlabeled)
        self.dense = None
        if base["embedder"] and any({**base, **o}["embedding_weight"] for _, o in family):
            emb = TextFeatures(embedder=base["embedder"])._load_embedder()
            self.dense = emb.encode(list(texts), show_progress=False).astype(np.float32)

    def split(self, params, tr, te):
        a, b = self.sparse[params["char_ngram_max"]].split(tr, te)
        w = params["embedding_weight"] if params["embedder"] else 0.0
        if not w or self.dense is None:
            return a, b, 0
        return (
            sp.hstack([a, sp.csr_matrix(w * self.dense[tr])], format="csr", dtype=np.float32),
            sp.hstack([b, sp.csr_matrix(w * self.dense[te])], format="csr", dtype=np.float32),
            self.dense.shape[1],
        )


def _level_params(p: dict, dense_dim: int) -> dict:
    return {
        "C": p["C"],
        "class_weight": p["class_weight"],
        "random_state": p["random_state"],
        "nb_weight": p["nb_weight"],
        "nbsvm_weight": p["nbsvm_weight"],
        "dense_dim": dense_dim,
    }


def _folds(y, n, seed, rows=None):
    rows = np.arange(len(y)) if rows is None else rows
    _, counts = np.unique(y[rows], return_counts=True)
    n = int(max(2, min(n, counts.min())))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")
        return [
            (rows[a], rows[b])
            for a, b in StratifiedKFold(n, shuffle=True, random_state=seed).split(rows, y[rows])
        ]


def _cv_scores(data: _Data, cands: list[dict], folds, runner) -> list[np.ndarray]:
    """Out-of-fold finest-level predictions of each candidate over the fold rows."""
    labels, classes = data.targets[-1]
    slots, tasks = [], []
    for ci, p in enumerate(cands):
        for tr, te in folds:
            x_tr, x_te, dd = data.split(p, tr, te)
            slots.append((ci, te))
            tasks.append(delayed(fit_level)(_level_params(p, dd), x_tr, labels[tr], x_te, classes))
    preds = [np.empty(len(labels), dtype=object) for _ in cands]
    for (ci, te), scores in zip(slots, runner(tasks)):
        preds[ci][te] = classes[scores.argmax(1)]
    return preds


def _macro_f1(y, pred, rows) -> float:
    return float(f1_score(y[rows], pred[rows].astype(str), average="macro", zero_division=0))


def _choose(data, cands, rows, seed, runner) -> tuple[int, list[float]]:
    folds = _folds(data.targets[-1][0], INNER_FOLDS, seed, rows)
    preds = _cv_scores(data, cands, folds, runner)
    scores = [_macro_f1(data.targets[-1][0], p, rows) for p in preds]
    return int(np.argmax(scores)), scores  # ties go to the earlier (simpler) candidate


def select(
    texts,
    level1,
    level2=None,
    *,
    base: dict,
    unlabeled=None,
    nested: bool = True,
    family=FAMILY,
    n_jobs: int | None = None,
    progress=None,
) -> Selection:
    """Choose among ``family`` (name, overrides of ``base``) by inner CV; with
    ``nested``, score the whole procedure by an outer CV. ``base`` holds the
    ``HierarchicalTagger`` parameters; labels are scored at the finest level."""
    step = progress or (lambda s: None)
    t0 = time.perf_counter()
    y1 = np.asarray(level1, dtype=object).astype(str)
    finest = y1 if level2 is None else np.array([f"{a} > {b}" for a, b in zip(y1, level2)])
    cands = [{**base, **o} for _, o in family]
    names = [n for n, _ in family]
    step("model selection: features")
    data = _Data(base, list(texts), [(finest, np.unique(finest))], unlabeled, family)
    jobs = max(1, n_jobs or base.get("n_jobs") or available_cores())
    seed = base["random_state"]
    with Parallel(n_jobs=jobs) as runner:
        outer_choices, outer_folds = [], []
        oof = np.empty(len(finest), dtype=object)
        if nested:
            for k, (tr, te) in enumerate(_folds(finest, OUTER_FOLDS, seed + 1)):
                step(f"model selection: outer fold {k + 1}/{OUTER_FOLDS}")
                best, _ = _choose(data, cands, tr, seed, runner)
                outer_choices.append(names[best])
                outer_folds.append((tr, te))
                oof[te] = _cv_scores(data, [cands[best]], [(tr, te)], runner)[0][te]
        step("model selection: choosing on all rows")
        best, scores = _choose(data, cands, np.arange(len(finest)), seed, runner)
    chosen = {k: cands[best][k] for k in SELECTED}
    inner = [
        {"name": n, "params": {k: c[k] for k in SELECTED}, "macro_f1": round(s, 4)}
        for n, c, s in zip(names, cands, scores)
    ]
    out = Selection(names[best], chosen, inner, outer_choices=outer_choices, outer_folds=outer_folds)
    if nested:
        out.outer_macro_f1 = round(_macro_f1(finest, oof, np.arange(len(finest))), 4)
        out.outer_accuracy = round(float(accuracy_score(finest, oof.astype(str))), 4)
    out.seconds = time.perf_counter() - t0
    return out
