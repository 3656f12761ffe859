"""The dispatcher (智能派单): recommend the unit that must handle a complaint.

Learned from an export's 承办单位 column in the same ``train`` run as the
tagger. Three parts, each learned from the history (see ``scoring`` for how
they combine): a linear *role* classifier over text and category (which
function, and whether a city-wide unit), the *gazetteer* of places to
districts (``corpus.gazetteer``), and the share of each unit within its group
per district. Cross-validation gives out-of-fold scores that calibrate the
unit confidence (temperature scaling) and set the review threshold, as for the
tagger. Saved as JSON and ``.npy`` files, never a pickle.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier.dispatch import scoring
from hotline_nlp.classifier.dispatch.directory import CITY, Unit, infer_directory, parse_unit, street_core
from hotline_nlp.classifier.features import FoldFeatures, TextFeatures
from hotline_nlp.classifier.linear import LinearLevel
from hotline_nlp.corpus.gazetteer import Gazetteer
from sklearn.base import BaseEstimator
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted


def role_of(unit: Unit) -> str:
    return f"{CITY}|{unit.function}" if unit.jurisdiction == CITY else unit.function


def category_matrix(categories, vocab: dict[str, int], weight: float) -> sp.csr_matrix:
    """Rows of ``{category: weight}`` (a gold label, or the tagger's top-k) as columns."""
    rows, cols, vals = [], [], []
    for i, cats in enumerate(categories or []):
        for c, w in cats.items():
            j = vocab.get(c)
            if j is not None:
                rows.append(i), cols.append(j), vals.append(weight * w)
    n = len(categories) if categories is not None else 0
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)), dtype=np.float32)


class Dispatcher(BaseEstimator):
    """Recommend a 承办单位 with a calibrated confidence, top-k and a review flag.

    Parameters
    ----------
    C : regularisation of the role classifier.
    category_weight : scale of the category block beside the unit-norm text blocks.
    name_boost : weight of a unit (within its group) whose street the text names.
    review_precision : recommendations below the confidence reaching this out-of-fold
        precision get ``unit_needs_review``.
    cv, random_state : folds and seed of the internal cross-validation.
    """

    def __init__(
        self,
        C: float = 0.5,
        category_weight: float = 1.0,
        name_boost: float = 4.0,
        review_precision: float = 0.9,
        cv: int = 5,
        random_state: int = 0,
    ):
        self.C = C
        self.category_weight = category_weight
        self.name_boost = name_boost
        self.review_precision = review_precision
        self.cv = cv
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(
        self, texts, units, categories=None, districts=None, directory=None, known_districts=(), features=None
    ):
        """``units``: each row's unit (rows with "" are not used); ``categories``: per row a
        ``{category: weight}`` dict; ``districts``: per row its district or ""; ``directory``:
        a list of ``Unit`` (None: inferred from ``units``); ``features``: a fitted
        ``TextFeatures`` to share (the tagger's: texts are then featurised once when
        tagging), or None for the dispatcher's own sparse features."""
        keep = [i for i, u in enumerate(units) if u]
        if len(keep) < 10:
            raise ValueError(f"only {len(keep)} rows name a unit; at least 10 are needed to learn dispatch")
        texts = [texts[i] for i in keep]
        y = [units[i] for i in keep]
        cats = [categories[i] for i in keep] if categories is not None else None
        given = [districts[i] for i in keep] if districts is not None else [""] * len(keep)
        all_districts = sorted(set(known_districts) | {d for d in given if d})
        self.notes_ = []
        if directory is None:
            directory = infer_directory(y, all_districts)
            self.notes_.append(f"no unit directory given: {len(directory)} units inferred from the history")
        listed = {u.name for u in directory}
        extra = infer_directory({u for u in y if u not in listed}, all_districts)
        directory = list(directory) + extra
        all_districts = sorted(set(all_districts) | {u.jurisdiction for u in directory} - {CITY})
        self._set_directory(directory, all_districts)
        uidx = np.array([self.unit_index_[u] for u in y])
        row_d = [
            g or (self.units_[k].jurisdiction if self.units_[k].jurisdiction != CITY else "")
            for g, k in zip(given, uidx)
        ]
        roles = np.array([role_of(self.units_[k]) for k in uidx], dtype=object)
        self.cat_vocab_ = {c: i for i, c in enumerate(sorted({c for d in cats or [] for c in d}))}

        self.shared_features_ = features is not None
        spec = TextFeatures(**features.get_params()) if features is not None else TextFeatures(embedder=None)
        oof_role, folds = self._cross_validate(texts, roles, cats, row_d, uidx, spec)
        self.roles_ = np.unique(roles).astype(str)
        ridx = np.searchsorted(self.roles_, roles.astype(str))
        self.temperature_role_ = cal.fit_temperature(oof_role, ridx)
        self._index_roles()
        oof_unit = np.zeros((len(y), len(self.units_)))
        for te, gaz, shares in folds:
            oof_unit[te] = self._log_scores(texts, te, oof_role[te], gaz, shares, given)
        self.temperature_unit_ = cal.fit_temperature(oof_unit, uidx)
        proba = cal.scaled_softmax(oof_unit, self.temperature_unit_)
        conf, correct = proba.max(1), proba.argmax(1) == uidx
        self.threshold_ = cal.review_threshold(conf, correct, self.review_precision)
        metrics = scoring.top_k_metrics(proba, uidx, [u.jurisdiction for u in self.units_])
        metrics["ece"] = cal.expected_calibration_error(conf, correct)
        metrics["review_threshold"] = self.threshold_
        metrics["review_share"] = float((conf < self.threshold_).mean())
        metrics["n_units"] = len(self.units_)
        self.cv_metrics_ = metrics

        self.features_ = features if features is not None else spec.fit(texts)
        X = self._design(self.features_.transform(texts), cats)
        self.role_ = LinearLevel(C=self.C, random_state=self.random_state).fit(X, roles)
        self.gazetteer_ = Gazetteer().fit(texts, row_d, known=all_districts)
        self.shares_ = self._shares(uidx, row_d)
        return self

    def _cross_validate(self, texts, roles, cats, row_d, uidx, spec):
        classes = np.unique(roles).astype(str)
        _, counts = np.unique(roles, return_counts=True)
        n_splits = int(max(2, min(self.cv, max(2, counts.min()))))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            splits = list(
                StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state).split(texts, roles)
            )
        fold_features = FoldFeatures(spec, texts)
        oof = np.zeros((len(texts), len(classes)), dtype=np.float64)
        folds = []
        for tr, te in splits:
            x_tr, x_te = fold_features.split(tr, te)
            sub = [cats[i] for i in tr] if cats else None
            x_tr = self._design(x_tr, sub)
            x_te = self._design(x_te, [cats[i] for i in te] if cats else None)
            level = LinearLevel(C=self.C, random_state=self.random_state).fit(x_tr, roles[tr])
            block = np.full((len(te), len(classes)), -10.0)
            block[:, np.searchsorted(classes, level.classes_)] = level.decision_function(x_te)
            oof[te] = block
            gaz = Gazetteer().fit([texts[i] for i in tr], [row_d[i] for i in tr], known=self.districts_)
            folds.append((te, gaz, self._shares(uidx[tr], [row_d[i] for i in tr])))
        return oof, folds

    def _set_directory(self, directory: list[Unit], districts: list[str]) -> None:
        self.units_ = sorted(directory, key=lambda u: u.name)
        self.unit_index_ = {u.name: i for i, u in enumerate(self.units_)}
        self.districts_ = list(districts)
        d_index = {d: i for i, d in enumerate(self.districts_)}
        self.district_of_ = np.array([d_index.get(u.jurisdiction, -1) for u in self.units_])
        groups: dict[tuple[str, str], int] = {}
        self.group_of_ = np.array(
            [groups.setdefault((u.jurisdiction, role_of(u)), len(groups)) for u in self.units_]
        )
        self.cores_ = [street_core(u.name, u.jurisdiction) for u in self.units_]

    def _index_roles(self) -> None:
        r_index = {r: i for i, r in enumerate(self.roles_)}
        self.role_of_ = np.array([r_index.get(role_of(u), -1) for u in self.units_])

    def _shares(self, uidx, row_d) -> np.ndarray:
        d_index = {d: i for i, d in enumerate(self.districts_)}
        return scoring.share_table(
            uidx, [d_index.get(d, -1) for d in row_d], self.group_of_, len(self.districts_)
        )

    def _design(self, X, cats):
        if not self.cat_vocab_ or cats is None:
            extra = sp.csr_matrix((X.shape[0], len(self.cat_vocab_)), dtype=np.float32)
        else:
            extra = category_matrix(cats, self.cat_vocab_, self.category_weight)
        return sp.hstack([X, extra], format="csr", dtype=np.float32)

    def _log_scores(self, texts, rows, role_scores, gaz, shares, given) -> np.ndarray:
        sub = [texts[i] for i in rows]
        log_role = np.log(np.maximum(cal.scaled_softmax(role_scores, self.temperature_role_), 1e-12))
        log_d = gaz.log_proba(sub, [given[i] for i in rows] if given is not None else None)
        boost = scoring.name_boost(sub, self.cores_, self.name_boost)
        return scoring.unit_log_scores(
            log_role, log_d, shares, self.role_of_, self.district_of_, self.group_of_, boost
        )

    # ------------------------------------------------------------ predict
    @property
    def classes_(self) -> np.ndarray:
        return np.array([u.name for u in self.units_], dtype=object)

    def predict_proba(self, texts, categories=None, districts=None, X=None) -> np.ndarray:
        """Calibrated probabilities over ``classes_`` (every unit in the directory);
        ``X``: the texts' features when the caller made them already (shared features)."""
        check_is_fitted(self, "role_")
        texts = list(texts)
        X = self._design(self.features_.transform(texts) if X is None else X, categories)
        scores = self.role_.decision_function(X)
        full = np.full((len(texts), len(self.roles_)), -10.0)
        full[:, np.searchsorted(self.roles_, self.role_.classes_)] = scores
        log = self._log_scores(texts, range(len(texts)), full, self.gazetteer_, self.shares_, districts)
        return cal.scaled_softmax(log, self.temperature_unit_)

    def predict(self, texts, categories=None, districts=None) -> np.ndarray:
        return self.classes_[self.predict_proba(texts, categories, districts).argmax(1)]

    def recommend(self, texts, categories=None, districts=None, top_k: int = 3, X=None) -> list[dict]:
        """The columns ``classify`` writes: pred_unit, unit_confidence, unit_top_k, unit_needs_review."""
        proba = self.predict_proba(texts, categories, districts, X)
        names = self.classes_
        k = max(1, min(top_k, len(names)))
        order = np.argsort(-proba, axis=1)[:, :k]
        return [
            {
                "pred_unit": str(names[best[0]]),
                "unit_confidence": round(float(row[best[0]]), 4),
                "unit_top_k": [{"unit": str(names[j]), "confidence": round(float(row[j]), 4)} for j in best],
                "unit_needs_review": bool(row[best[0]] < self.threshold_),
            }
            for row, best in zip(proba, order)
        ]

    # -------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        check_is_fitted(self, "role_")
        directory.mkdir(parents=True, exist_ok=True)
        if not self.shared_features_:
            self.features_.save(directory / "features")
        self.role_.save(directory / "role")
        np.save(directory / "shares.npy", self.shares_.astype(np.float32), allow_pickle=False)
        state = {
            "params": self.get_params(),
            "units": [[u.name, u.jurisdiction, u.function, u.source] for u in self.units_],
            "districts": self.districts_,
            "roles": list(self.roles_),
            "categories": sorted(self.cat_vocab_, key=self.cat_vocab_.get),
            "temperature_role": self.temperature_role_,
            "temperature_unit": self.temperature_unit_,
            "threshold": self.threshold_,
            "gazetteer": self.gazetteer_.to_dict(),
            "metrics": self.cv_metrics_,
            "notes": self.notes_,
            "shared_features": self.shared_features_,
        }
        (directory / "dispatch.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, features=None) -> Dispatcher:
        """``features``: the tagger's ``TextFeatures``, for a dispatcher that shares them."""
        state = json.loads((directory / "dispatch.json").read_text(encoding="utf-8"))
        self = cls(**state["params"])
        self._set_directory([Unit(*u) for u in state["units"]], state["districts"])
        self.roles_ = np.array(state["roles"], dtype=str)
        self._index_roles()
        self.cat_vocab_ = {c: i for i, c in enumerate(state["categories"])}
        self.temperature_role_ = state["temperature_role"]
        self.temperature_unit_ = state["temperature_unit"]
        self.threshold_ = state["threshold"]
        self.gazetteer_ = Gazetteer.from_dict(state["gazetteer"])
        self.cv_metrics_, self.notes_ = state["metrics"], state["notes"]
        self.shared_features_ = bool(state.get("shared_features"))
        if self.shared_features_ and features is None:
            raise ValueError(
                f"{directory}: this dispatcher shares the tagger's features; load it with the model"
            )
        self.features_ = features if self.shared_features_ else TextFeatures.load(directory / "features")
        self.role_ = LinearLevel.load(directory / "role", self.C)
        self.shares_ = np.load(directory / "shares.npy", allow_pickle=False).astype(np.float64)
        if self.shares_.shape != (len(self.districts_) + 1, len(self.units_)):
            raise ValueError(f"{directory}: share table does not match the unit directory")
        if self.role_.coef_.shape[1] != self.features_.n_features_out_ + len(self.cat_vocab_):
            raise ValueError(f"{directory}: feature count does not match the role classifier")
        return self


__all__ = ["Dispatcher", "parse_unit"]
