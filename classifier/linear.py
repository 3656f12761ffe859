"""One level of the tagger: a linear model whose learned state is three arrays.

Fitting uses scikit-learn's LinearSVC (the strongest of the linear models we
measured on real complaints, and fast); prediction needs only ``X @ coef.T +
intercept``, so a saved level is ``coef.npy``, ``intercept.npy`` and the class
names, loadable without unpickling anything.

Optionally (``nb_weight`` > 0) a complement naive Bayes model over the same
sparse columns is blended in. NB is differently biased (generative, strong on
short texts and rare classes); its log-likelihoods are linear in the features
too, so the blend is still one coefficient matrix, and prediction speed and the
saved format do not change. Whether it helps is decided per export by the
model selection (``classifier.selection``).

Optionally (``nbsvm_weight`` > 0) an NB-SVM (``classifier.nbsvm``) is fitted
on the same columns and averaged with the SVM, each side's scores scaled to
unit spread on the training rows first (an average of two linear models is
one linear model: again one coefficient matrix).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hotline_nlp.classifier.nbsvm import nbsvm_coef
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC


class LinearLevel:
    """Scores for one label level; ``classes_`` are strings (a path for level 2)."""

    def __init__(
        self,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        random_state: int | None = 0,
        nb_weight: float = 0.0,
        dense_dim: int = 0,
        nbsvm_weight: float = 0.0,
    ):
        self.C = C
        self.nbsvm_weight = nbsvm_weight
        self.class_weight = class_weight
        self.nb_weight = nb_weight
        # the last ``dense_dim`` columns are sentence vectors (signed): NB reads only the rest
        self.dense_dim = dense_dim
        # liblinear's dual solver visits samples in a random order, drawn from
        # one generator per *process* (seeded when a fit starts). A fixed seed
        # makes retraining on the same export give the same model, bit for bit,
        # as long as no two fits share a process at the same time: see
        # ``fit_level``, which callers run in worker processes, not threads.
        self.random_state = random_state

    def fit(self, X, y) -> LinearLevel:
        y = np.asarray(y, dtype=object)
        classes = np.unique(y)
        if len(classes) == 1:  # a level with one class: always that class
            self.classes_ = classes.astype(str)
            self.coef_ = np.zeros((1, X.shape[1]), dtype=np.float32)
            self.intercept_ = np.ones(1, dtype=np.float32)
            return self
        svc = LinearSVC(
            C=self.C, class_weight=self.class_weight, max_iter=5000, random_state=self.random_state
        ).fit(X, y)
        coef, intercept = svc.coef_, svc.intercept_
        if len(svc.classes_) == 2:  # sklearn keeps one row for two classes
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]])
        if self.nbsvm_weight:
            coef, intercept = self._with_nbsvm(X, y, svc.classes_, coef, intercept)
        if self.nb_weight:
            coef = coef + self._nb_coef(X, y, X @ coef.T)
        self.classes_ = svc.classes_.astype(str)
        self.coef_ = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept_ = intercept.astype(np.float32)
        return self

    def _with_nbsvm(self, X, y, classes, coef, intercept):
        """(1 - w) * SVM + w * NB-SVM, each scaled to unit score spread on ``X``."""
        nb_coef, nb_intercept = nbsvm_coef(
            X,
            y,
            classes,
            C=self.C,
            class_weight=self.class_weight,
            dense_dim=self.dense_dim,
            random_state=self.random_state,
        )
        w = self.nbsvm_weight
        spread_svm = float(np.std(np.asarray(X @ coef.T) + intercept)) or 1.0
        spread_nb = float(np.std(np.asarray(X @ nb_coef.T) + nb_intercept)) or 1.0
        return (
            (1 - w) / spread_svm * coef + w / spread_nb * nb_coef,
            (1 - w) / spread_svm * intercept + w / spread_nb * nb_intercept,
        )

    def _nb_coef(self, X, y, svm_scores) -> np.ndarray:
        """Complement-NB log-likelihood weights, centred over classes (a per-row
        constant changes neither the argmax nor a softmax) and scaled so their
        spread on the training rows matches the SVM's, times ``nb_weight``."""
        n_sparse = X.shape[1] - self.dense_dim
        sparse = X[:, :n_sparse] if self.dense_dim else X
        nb = ComplementNB(alpha=0.3).fit(sparse, y)
        flp = nb.feature_log_prob_ - nb.feature_log_prob_.mean(0)
        nb_scores = np.asarray(sparse @ flp.T)
        spread = nb_scores.std()
        scale = float(np.asarray(svm_scores).std() / spread) if spread > 0 else 0.0
        out = np.zeros((flp.shape[0], X.shape[1]))
        out[:, :n_sparse] = self.nb_weight * scale * flp
        return out

    def decision_function(self, X) -> np.ndarray:
        # sparse @ dense wants the dense side C-contiguous: ``coef_.T`` is a
        # transposed view that scipy would copy on every call (~9 ms per call
        # at 100k features), so a contiguous copy is kept once.
        coef_t = getattr(self, "_coef_t", None)
        if coef_t is None or coef_t.shape[1] != self.coef_.shape[0]:
            coef_t = self._coef_t = np.ascontiguousarray(self.coef_.T)
        return np.asarray(X @ coef_t) + self.intercept_

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "coef.npy", self.coef_, allow_pickle=False)
        np.save(directory / "intercept.npy", self.intercept_, allow_pickle=False)
        (directory / "classes.json").write_text(
            json.dumps(list(self.classes_), ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, C: float = 1.0) -> LinearLevel:
        self = cls(C=C)
        self.classes_ = np.array(
            json.loads((directory / "classes.json").read_text(encoding="utf-8")), dtype=str
        )
        self.coef_ = np.load(directory / "coef.npy", allow_pickle=False)
        self.intercept_ = np.load(directory / "intercept.npy", allow_pickle=False)
        if self.coef_.shape[0] != len(self.classes_) or self.intercept_.shape[0] != len(self.classes_):
            raise ValueError(f"{directory}: coefficient rows do not match the class list")
        return self


def fit_level(params: dict, X, y, score_on=None, classes=None):
    """Fit one ``LinearLevel``; return it, or its scores on ``score_on``.

    A module-level function of this light module, so worker processes can run
    it without importing the embedder stack. With ``score_on`` the scores come
    back in the column order of ``classes`` (a cross-validation fold may miss
    rare classes: their column is a very low score), which is all a fold needs
    to send back.
    """
    model = LinearLevel(**params).fit(X, y)
    if score_on is None:
        return model
    out = np.full((score_on.shape[0], len(classes)), -10.0, dtype=np.float32)
    out[:, np.searchsorted(classes, model.classes_)] = model.decision_function(score_on)
    return out
