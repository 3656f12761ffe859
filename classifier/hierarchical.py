"""The hierarchical tagger: 一级 and 二级 category with calibrated confidence.

Level 1 is a linear model over the complaint features. Level 2 is a linear
model over full paths ("物业管理 > 物业服务管理"), read *inside* the chosen
parent: P(path) = P(一级) x P(二级 | 一级), the second factor a softmax over
that parent's children only. A predicted path is therefore always one that
exists in the training taxonomy, and the top-k alternatives are whole paths.

``fit`` cross-validates internally: the out-of-fold scores calibrate each
level (temperature scaling), choose the review thresholds, and give the
metrics written into the model's manifest; then the final models are fitted on
all rows. When the second level is unsure but the first is not, the tag backs
off to the first level alone instead of guessing a sub-category.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier.eval_metrics import level_metrics
from hotline_nlp.classifier.features import FoldFeatures, TextFeatures
from hotline_nlp.classifier.linear import LinearLevel, fit_level
from hotline_nlp.corpus.resources import available_cores
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

SEP = " > "


def make_paths(level1, level2) -> np.ndarray:
    return np.array([f"{a}{SEP}{b}" for a, b in zip(level1, level2)], dtype=object)


class HierarchicalTagger(ClassifierMixin, BaseEstimator):
    """Tag complaints with a category path, confidence, top-k and a review flag.

    Parameters
    ----------
    C : regularisation of the linear models.
    class_weight : "balanced" weighs rare categories up (measured: +0.5 point
        macro-F1 on the real data), or None.
    char_ngram_max, min_df, embedder, embedding_weight : see ``TextFeatures``.
        These defaults are the ``train --fast`` setting and the centre of the
        candidate family; ``train`` otherwise chooses among candidates by
        nested cross-validation on the user's own data (``classifier.selection``).
    nb_weight : weight of a complement naive Bayes model blended into each
        linear level (0: the SVM alone); see ``LinearLevel``.
    nbsvm_weight : weight of an NB-SVM averaged into each linear level (0: the
        SVM alone, 1: NB-SVM alone); see ``classifier.nbsvm``.
    review_precision : accepted tags must be right at least this often on
        out-of-fold data; lower-confidence tags get ``needs_review``.
    cv : folds of the internal cross-validation (reduced for tiny classes).
    random_state : seed for fold shuffling and for liblinear's sample order.
    n_jobs : worker processes for the linear fits (cross-validation folds and
        the final models; default: every core available). The result does not
        depend on it: each process has its own liblinear random generator.
    """

    def __init__(
        self,
        C: float = 0.7,
        class_weight: str | None = "balanced",
        char_ngram_max: int = 2,
        min_df: int = 1,
        embedder: str | None = "zh-static-v1",
        embedding_weight: float = 0.5,
        nb_weight: float = 0.0,
        nbsvm_weight: float = 0.0,
        review_precision: float = 0.95,
        cv: int = 5,
        random_state: int = 0,
        n_jobs: int | None = None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.char_ngram_max = char_ngram_max
        self.min_df = min_df
        self.embedder = embedder
        self.embedding_weight = embedding_weight
        self.nb_weight = nb_weight
        self.nbsvm_weight = nbsvm_weight
        self.review_precision = review_precision
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fit
    def fit(self, texts, level1, level2=None, progress=None, unlabeled=None):
        """Fit on texts and labels; ``level2`` may be None for a one-level taxonomy.

        ``progress`` is an optional callable(step: str) used by the CLI's progress bar.
        ``unlabeled``: texts without labels from the same export; they count in
        the idf statistics (see ``TextFeatures.fit``).
        """
        step = progress or (lambda s: None)
        texts = list(texts)
        y1 = np.asarray(level1, dtype=object)
        y2 = make_paths(y1, level2) if level2 is not None else None
        self.n_levels_ = 2 if y2 is not None else 1
        strat = y2 if y2 is not None else y1
        _, counts = np.unique(strat, return_counts=True)
        n_splits = int(max(2, min(self.cv, counts.min()))) if counts.min() >= 2 else 2
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        oof1 = np.zeros((len(y1), len(np.unique(y1))), dtype=np.float32)
        oof2 = np.zeros((len(y1), len(np.unique(y2))), dtype=np.float32) if y2 is not None else None
        classes1, classes2 = (
            np.unique(y1).astype(str),
            (np.unique(y2).astype(str) if y2 is not None else None),
        )
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            splits = list(folds.split(texts, strat))
        # vocabulary and idf are learned inside each fold too: fitted on all rows they
        # would know the held-out texts' words, and the metrics (and the calibration
        # and review thresholds learned from them) would come out optimistic
        step("features")
        self.features_ = self._features().fit(texts, unlabeled=unlabeled)
        X = self.features_.transform(texts)
        emb = self.features_.embedder_
        dense = X[:, X.shape[1] - emb.dim :].toarray() / self.embedding_weight if emb is not None else None
        fold_features = FoldFeatures(self._features(), texts, unlabeled=unlabeled, dense=dense)
        levels = [(y1, classes1, oof1)] + ([(y2, classes2, oof2)] if y2 is not None else [])
        params = self.level_params(emb.dim if emb is not None else 0)

        slots: list[tuple[int, np.ndarray | None]] = []  # (level, held-out rows; None = final fit)

        def tasks():
            # the final fits first: they are the longest, and a pool that starts
            # with them finishes sooner. Fold features are built lazily, a couple
            # of tasks ahead of the pool, so only a few folds' matrices are alive at once.
            for i in reversed(range(len(levels))):
                slots.append((i, None))
                yield delayed(fit_level)(params, X, levels[i][0])
            for tr, te in splits:
                x_tr, x_te = fold_features.split(tr, te)
                for i, (y, classes, _) in enumerate(levels):
                    slots.append((i, te))
                    yield delayed(fit_level)(params, x_tr, y[tr], x_te, classes)

        # Worker processes, not threads: liblinear's random generator is one per
        # process, and fits sharing it would make every run differ (tested).
        n_tasks = len(levels) * (1 + len(splits))
        finals = {}
        runner = Parallel(n_jobs=self._jobs(n_tasks), return_as="generator", pre_dispatch="n_jobs + 1")
        for k, result in enumerate(runner(tasks())):
            i, held_out = slots[k]  # results come back in submission order
            if held_out is None:
                finals[i] = result
            else:
                levels[i][2][held_out] = result
            step(f"linear fits: {k + 1}/{n_tasks} done (final models, {n_splits} cross-validation folds)")
        fold_features = None  # free the fold matrices (the closure above is exhausted)
        self.level1_ = finals[0]
        self.level2_ = finals.get(1)
        self._index_children()
        self._calibrate(oof1, oof2, y1, y2)
        return self

    def level_params(self, dense_dim: int) -> dict:
        """Keyword arguments of each ``LinearLevel``."""
        return {
            "C": self.C,
            "class_weight": self.class_weight,
            "random_state": self.random_state,
            "nb_weight": self.nb_weight,
            "nbsvm_weight": self.nbsvm_weight,
            "dense_dim": dense_dim,
        }

    def _jobs(self, tasks: int) -> int:
        return max(1, min(tasks, self.n_jobs or available_cores()))

    def _features(self) -> TextFeatures:
        return TextFeatures(self.char_ngram_max, self.min_df, self.embedder, self.embedding_weight)

    def _index_children(self) -> None:
        """For each level-1 class, the column indices of its level-2 paths."""
        if self.level2_ is None:
            self.children_ = {}
            return
        parents = np.array([p.split(SEP, 1)[0] for p in self.level2_.classes_])
        self.children_ = {c: np.flatnonzero(parents == c) for c in self.level1_.classes_}

    def _calibrate(self, oof1, oof2, y1, y2) -> None:
        idx1 = np.searchsorted(self.level1_.classes_, y1.astype(str))
        self.temperature1_ = cal.fit_temperature(oof1, idx1)
        p1 = cal.scaled_softmax(oof1, self.temperature1_)
        pred1 = p1.argmax(1)
        conf1 = p1.max(1)
        self.threshold1_ = cal.review_threshold(conf1, pred1 == idx1, self.review_precision)
        report = {"level1": level_metrics(y1.astype(str), self.level1_.classes_[pred1])}
        report["level1"]["ece_raw"] = cal.expected_calibration_error(
            cal.scaled_softmax(oof1, 1.0).max(1), pred1 == idx1
        )
        report["level1"]["ece"] = cal.expected_calibration_error(conf1, pred1 == idx1)
        report["level1"]["review_threshold"] = self.threshold1_
        report["level1"]["review_share"] = float((conf1 < self.threshold1_).mean())
        self.temperature2_, self.threshold2_ = 1.0, 0.0
        if y2 is not None:
            idx2 = np.searchsorted(self.level2_.classes_, y2.astype(str))
            parent_of = np.searchsorted(
                self.level1_.classes_, [p.split(SEP, 1)[0] for p in self.level2_.classes_]
            )
            true_parent = parent_of[idx2]
            # temperature of the within-parent softmax, fitted with the true parent given
            masked = np.where(parent_of[None, :] == true_parent[:, None], oof2, -np.inf)
            self.temperature2_ = cal.fit_temperature(masked, idx2)
            joint = self._joint(p1, oof2)
            pred2 = joint.argmax(1)
            conf2 = joint.max(1)
            self.threshold2_ = cal.review_threshold(conf2, pred2 == idx2, self.review_precision)
            report["level2"] = level_metrics(y2.astype(str), self.level2_.classes_[pred2])
            report["level2"]["ece"] = cal.expected_calibration_error(conf2, pred2 == idx2)
            report["level2"]["review_threshold"] = self.threshold2_
            report["level2"]["backoff_share"] = float(
                ((conf2 < self.threshold2_) & (conf1 >= self.threshold1_)).mean()
            )
        self.cv_metrics_ = report

    # ------------------------------------------------------------ predict
    def _joint(self, p1: np.ndarray, scores2: np.ndarray) -> np.ndarray:
        """P(path) = P(parent) * softmax over the parent's children of scores2 / T2."""
        joint = np.zeros_like(scores2)
        for c, cols in self.children_.items():
            if len(cols) == 0:
                continue
            j = int(np.searchsorted(self.level1_.classes_, c))
            joint[:, cols] = p1[:, [j]] * cal.scaled_softmax(scores2[:, cols], self.temperature2_)
        return joint

    def predict_proba(self, texts, X=None) -> np.ndarray:
        """Probabilities over ``classes_`` (full paths for two levels)."""
        check_is_fitted(self, "level1_")
        # ``X``: the texts' features, when a caller already made them (the dispatcher shares them)
        X = self.features_.transform(list(texts)) if X is None else X
        p1 = cal.scaled_softmax(self.level1_.decision_function(X), self.temperature1_)
        if self.level2_ is None:
            return p1
        return self._joint(p1, self.level2_.decision_function(X))

    @property
    def classes_(self) -> np.ndarray:
        return (self.level2_ if self.level2_ is not None else self.level1_).classes_

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(1)]

    def tag(self, texts, top_k: int = 3, X=None) -> list[dict]:
        """Full tagging records (the columns ``classify`` writes)."""
        proba = self.predict_proba(texts, X)
        classes = self.classes_
        out = []
        k = max(1, min(top_k, len(classes)))
        order = np.argsort(-proba, axis=1)[:, :k]
        for row, best in zip(proba, order):
            path = str(classes[best[0]])
            l1 = path.split(SEP, 1)[0]
            conf1 = float(row[best[0]]) if self.level2_ is None else float(row[self.children_[l1]].sum())
            conf = float(row[best[0]])
            l2 = path.split(SEP, 1)[1] if self.level2_ is not None else ""
            backed_off = self.level2_ is not None and conf < self.threshold2_ and conf1 >= self.threshold1_
            if backed_off:
                path, l2, conf = l1, "", conf1
            out.append(
                {
                    "pred_level1": l1,
                    "pred_level2": l2,
                    "pred_path": path,
                    "confidence": round(conf, 4),
                    "confidence_level1": round(conf1, 4),
                    "top_k": [{"path": str(classes[j]), "confidence": round(float(row[j]), 4)} for j in best],
                    "needs_review": bool(conf1 < self.threshold1_),
                }
            )
        return out

    # -------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        check_is_fitted(self, "level1_")
        self.features_.save(directory / "features")
        self.level1_.save(directory / "level1")
        if self.level2_ is not None:
            self.level2_.save(directory / "level2")
        state = {
            "params": self.get_params(),
            "n_levels": self.n_levels_,
            "temperature1": self.temperature1_,
            "temperature2": self.temperature2_,
            "threshold1": self.threshold1_,
            "threshold2": self.threshold2_,
        }
        (directory / "tagger.json").write_text(
            json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> HierarchicalTagger:
        state = json.loads((directory / "tagger.json").read_text(encoding="utf-8"))
        # models saved before a parameter existed were fitted without it
        self = cls(**{"nbsvm_weight": 0.0, **state["params"]})
        self.n_levels_ = state["n_levels"]
        self.features_ = TextFeatures.load(directory / "features")
        self.level1_ = LinearLevel.load(directory / "level1", self.C)
        self.level2_ = LinearLevel.load(directory / "level2", self.C) if self.n_levels_ == 2 else None
        self.temperature1_, self.temperature2_ = state["temperature1"], state["temperature2"]
        self.threshold1_, self.threshold2_ = state["threshold1"], state["threshold2"]
        self._index_children()
        for lvl in (self.level1_, self.level2_):
            if lvl is not None and lvl.coef_.shape[1] != self.features_.n_features_out_:
                raise ValueError(f"{directory}: feature count does not match the linear model")
        return self
