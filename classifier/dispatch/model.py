"""The dispatcher (智能派单): recommend the unit that must handle a complaint.

Learned from an export's unit column, alone (``train --unit-col 回复单位`` on an
export without categories) or beside the tagger (it then reads the tagger's
features and predicted categories, so texts are featurised once). It is a small
family of candidates (``candidates``: flat unit classifier, factored role x
jurisdiction model with place evidence, nearest past complaints, and a
calibrated blend) of which ``selection`` keeps the one that routed the city's
own later complaints best, fitted on earlier ones. The winner's confidence is
calibrated on those out-of-time predictions (temperature scaling), and the
auto-route threshold is the lowest confidence at which the latest fold's
predictions reached ``route_precision`` with 95 % confidence (Wilson lower
bound, ``selection.route_threshold``): below it, ``unit_needs_review``.

Beside the unit it returns the jurisdiction (district, or 市直) and the
department function, each with the probability summed over the units that
share it, so a complaint whose unit is unsure can still go to the right
district's sub-centre. Saved as JSON and ``.npy`` files, never a pickle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier.dispatch import selection as sel
from hotline_nlp.classifier.dispatch import storage
from hotline_nlp.classifier.dispatch.candidates import FLOOR, Batch, UnitSpace
from hotline_nlp.classifier.dispatch.directory import (
    CITY,
    Unit,
    expand,
    infer_directory,
)
from hotline_nlp.classifier.dispatch.divisions import city_jurisdictions
from hotline_nlp.classifier.dispatch.places import PlaceEvidence
from hotline_nlp.classifier.dispatch.rerank import fold_context, make_candidate
from hotline_nlp.classifier.features import FoldFeatures, TextFeatures
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

MIN_SELECT_ROWS = 60  # fewer rows with a unit: no time-ordered selection (too few per fold)


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


def _pick(values, rows):
    return None if values is None else [values[i] for i in rows]


class Dispatcher(BaseEstimator):
    """Recommend a 承办单位 with a calibrated confidence, top-k, jurisdiction, function and review flag.

    Parameters
    ----------
    candidates : base candidates to choose among (``candidates.BASE`` names); with
        two or more, their calibrated ``blend`` is a candidate too, and (``rerank``) their
        ``reranked`` pool (``rerank``: a conditional logit over each one's top units).
    C : regularisation of the flat unit classifier (the factored one's are its own).
    category_weight : scale of the category block beside the unit-norm text blocks.
    route_precision : recommendations whose confidence reaches the threshold at which
        out-of-time ones were right this often are auto-routed; the rest get ``unit_needs_review``.
    n_folds : time-ordered folds of the selection.
    expand_units : without a unit directory, also recommend units the history implies
        (``directory.expand``); a directory, when given, is the list.
    divisions : use the administrative-division list (``divisions``) for place evidence.
    district_weight : log-odds a given 所属区县 adds to the units of that district, whichever
        candidate is chosen.
    char_ngram_max, min_df : the dispatcher's own text features (when it does not share the tagger's).
    select_on : what the time-ordered folds choose by: "top1", or "top1+top3" (their sum).
    calibrate_on : where the chosen model's temperature and auto-route threshold come from:
        "folds" (the out-of-time folds, each fitted on fewer rows than the deployed model),
        or "cross" (the latest fold's rows, each scored by the chosen design fitted on all
        the other rows: nearly the deployed model; ``cross_chunks`` extra fits).
    candidate_params : per candidate name, settings overriding its defaults (e.g.
        ``{"factored": {"town_weight": 2.0}, "places": {"learned_weight": 2.0}}``); what the benchmarks' dev splits try.
    """

    def __init__(
        self,
        candidates: tuple[str, ...] = ("flat", "factored", "factored-grouped", "neighbours"),
        C: float = 1.0,
        category_weight: float = 1.0,
        route_precision: float = 0.9,
        n_folds: int = 3,
        expand_units: bool = True,
        divisions: bool = True,
        district_weight: float = 3.0,
        char_ngram_max: int = 3,
        min_df: int = 2,
        candidate_params: dict | None = None,
        select_on: str = "top1",
        calibrate_on: str = "folds",
        cross_chunks: int = 3,
        rerank: bool = True,
        random_state: int = 0,
    ):
        self.candidates = candidates
        self.C = C
        self.category_weight = category_weight
        self.route_precision = route_precision
        self.n_folds = n_folds
        self.expand_units = expand_units
        self.divisions = divisions
        self.district_weight = district_weight
        self.char_ngram_max = char_ngram_max
        self.min_df = min_df
        self.candidate_params = candidate_params
        self.select_on = select_on
        self.calibrate_on = calibrate_on
        self.cross_chunks = cross_chunks
        self.rerank = rerank
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        texts,
        units,
        categories=None,
        districts=None,
        directory=None,
        known_districts=(),
        features=None,
        dates=None,
        towns=None,
        addresses=None,
        progress=None,
    ):
        """``units``: each row's unit ("" = none: the row is not used); ``categories``: per
        row a ``{category: weight}`` dict; ``districts``/``towns``/``addresses``: per row its
        所属区县 / 所属街道 / 地址 or "" (optional); ``directory``: a list of ``Unit`` (None:
        inferred from ``units``); ``features``: a fitted ``TextFeatures`` to share (the
        tagger's), or None for the dispatcher's own; ``dates``: per row, for the
        time-ordered selection (None: the rows' order is taken as time order)."""
        step = progress or (lambda s: None)
        keep = [i for i, u in enumerate(units) if u]
        if len(keep) < 10:
            raise ValueError(f"only {len(keep)} rows name a unit; at least 10 are needed to learn dispatch")
        self.notes_ = []
        if dates is None:
            when = np.arange(len(keep))
            self.notes_.append(
                "no date column: the export's row order is taken as time order for the selection"
            )
        else:
            when = np.array([dates[i] for i in keep])
        order = np.argsort(when, kind="stable")
        rows = [keep[i] for i in order]
        texts = [texts[i] for i in rows]
        y_names = [units[i] for i in rows]
        when = when[order]
        cats = _pick(categories, rows)
        given = _pick(districts, rows) or [""] * len(rows)
        towns, addresses = _pick(towns, rows), _pick(addresses, rows)

        step("dispatch: units and places")
        names_seen = set(y_names) | {u.name for u in directory or ()}
        listed = {u.jurisdiction for u in directory or ()} - {CITY}
        divs, all_districts, notes = city_jurisdictions(
            sorted(names_seen), given, known_districts, listed, self.divisions
        )
        self.notes_ += notes
        self.divisions_ = divs
        base = list(directory) if directory is not None else None
        if base is None:
            self.notes_.append(
                f"no unit directory given: {len(set(y_names))} units inferred from the history"
            )
        full = self._directory(base, y_names, all_districts, divs)
        n_pattern = sum(u.source == "pattern" for u in full)
        if n_pattern:
            self.notes_.append(
                f"{n_pattern} units the history implies but never used can be recommended (an office seen in "
                "other districts, a town of the division list; source 'pattern' in the manifest)"
            )
        self.space_ = UnitSpace(full, all_districts)
        y = np.array([self.space_.index[u] for u in y_names])
        row_d = [
            g or (u if (u := self.space_.units[k].jurisdiction) != CITY else "") for g, k in zip(given, y)
        ]
        self.cat_vocab_ = {c: i for i, c in enumerate(sorted({c for d in cats or [] for c in d}))}
        self.shared_features_ = features is not None
        spec = (
            TextFeatures(**features.get_params())
            if features is not None
            else TextFeatures(self.char_ngram_max, self.min_df, None)
        )

        step("dispatch: time-ordered selection")
        folds = sel.time_folds(when, self.n_folds) if len(rows) >= MIN_SELECT_ROWS else []
        # what every fold fit (and the cross-fitted calibration) is given, in _score_folds' order
        args = (
            texts,
            y_names,
            y,
            cats,
            row_d,
            given,
            towns,
            addresses,
            base,
            all_districts,
            divs,
            spec,
            when,
        )
        if len(folds) >= 2:
            fold_data = self._score_folds(folds, *args)
            choice = sel.choose(
                fold_data,
                list(self.candidates),
                self.route_precision,
                len(self.candidates) > 1,
                self._params,
                self.space_.jur_of,
                self.select_on,
                self.space_ if self.rerank else None,
            )
        else:
            choice = None
            self.notes_.append(
                f"only {len(rows)} rows name a unit: no time-ordered selection (needs {MIN_SELECT_ROWS}); "
                "the factored candidate is used and every recommendation is marked for review"
            )
        self.selection_ = (
            choice.to_json() if choice else {"chosen": "factored", "note": "too few rows to choose"}
        )
        self.chosen_ = choice.chosen if choice else "factored"
        self.temperature_ = choice.temperature if choice else 1.0
        self.threshold_ = choice.threshold if choice else cal.ABOVE_ALL
        self.route_rows_ = choice.route_rows if choice else 0
        self.oot_ = (
            (choice.oot_confidence, choice.oot_correct, choice.oot_top_k)
            if choice
            else (np.zeros(0, np.float32), np.zeros(0, bool), np.zeros(0, np.int32))
        )

        step(f"dispatch: fitting the {self.chosen_} candidate on all rows")
        self.features_ = features if features is not None else spec.fit(texts)
        X_text = self.features_.transform(texts)
        if self.chosen_ in ("blend", "reranked"):
            self.model_ = make_candidate(self.chosen_, choice.blend or choice.rerank)
        else:
            self.model_ = make_candidate(self.chosen_, self._params(self.chosen_))
        self.model_.fit(
            self._design(X_text, cats),
            y,
            self.space_,
            X_text=X_text,
            row_districts=_district_index(self.space_, row_d),
        )
        self.places_ = (
            PlaceEvidence(**self._params("places")).fit(
                texts, y, self.space_.units, self.space_.jurisdictions, divs, row_d
            )
            if self._needs_places()
            else None
        )
        if choice is not None and self.calibrate_on == "cross":
            step("dispatch: calibrating on the latest fold, cross-fitted")
            self._cross_calibrate(folds[-1][1], *args)
        self.cv_metrics_ = self._metrics(choice)
        return self

    def _cross_calibrate(self, latest, *args) -> None:
        """Temperature and auto-route threshold from the latest fold's rows, each chunk of
        them scored by the chosen design fitted on every other row (older and newer)."""
        everything = np.arange(len(args[0]))
        chunks = [c for c in np.array_split(np.asarray(latest), self.cross_chunks) if len(c)]
        parts = self.model_.parts if self.chosen_ in ("blend", "reranked") else [self.model_]
        kept, self.candidates = self.candidates, tuple(p.name for p in parts)
        try:
            fd = self._score_folds([(np.setdiff1d(everything, c), c) for c in chunks], *args)
        finally:
            self.candidates = kept
        if self.chosen_ == "reranked":
            scores = np.concatenate(
                [self.model_.rescore([f.scores[p.name] for p in parts], f.context, self.space_) for f in fd]
            )
        elif self.chosen_ == "blend":
            scores = np.concatenate([self.model_.combine([f.scores[p.name] for p in parts]) for f in fd])
        else:
            scores = np.concatenate([f.scores[self.chosen_] for f in fd])
        truth = np.concatenate([f.truth for f in fd])
        self.temperature_, logp = sel._calibrated(scores, truth)
        conf = np.exp(logp).max(1).astype(np.float32)
        rank = sel.ranks(logp, truth)
        self.threshold_ = sel.route_threshold(conf, rank == 0, self.route_precision)
        self.route_rows_ = len(conf)
        self.oot_ = (conf, rank == 0, rank.astype(np.int32))

    def _params(self, name: str) -> dict:
        base = {"C": self.C} if name == "flat" else {}
        return {**base, **(self.candidate_params or {}).get(name, {})}

    def _directory(self, base, y_names, districts, divs) -> list[Unit]:
        """The given directory (or none), the history's units it lacks, and (without a
        directory) the units the history implies."""
        listed = {u.name for u in base or ()}
        out = list(base or ()) + infer_directory({u for u in y_names if u not in listed}, districts)
        if base is None and self.expand_units:
            out += expand(out, districts, divs)
        return out

    def _score_folds(
        self,
        folds,
        texts,
        y_names,
        y,
        cats,
        row_d,
        given,
        towns,
        addresses,
        base,
        districts,
        divs,
        spec,
        when,
    ):
        fold_features = FoldFeatures(spec, texts)
        out = []
        for tr, va in folds:
            units = self._directory(base, [y_names[i] for i in tr], districts, divs)
            space = UnitSpace(units, districts)
            to_global = np.array([self.space_.index.get(n, -1) for n in space.names])
            y_tr = np.array([space.index[y_names[i]] for i in tr])
            x_tr, x_va = fold_features.split(tr, va)
            batch = Batch(self._design(x_va, _pick(cats, va)), x_va)
            if self.rerank or any(c.startswith("factored") for c in self.candidates):
                places = PlaceEvidence(**self._params("places")).fit(
                    [texts[i] for i in tr], y_tr, space.units, space.jurisdictions, divs, _pick(row_d, tr)
                )
                batch.ev_j, batch.ev_u = places.evidence(
                    [texts[i] for i in va], None, _pick(towns, va), _pick(addresses, va)
                )
            design_tr = self._design(x_tr, _pick(cats, tr))
            scores = {}
            for name in self.candidates:
                cand = make_candidate(name, self._params(name)).fit(
                    design_tr,
                    y_tr,
                    space,
                    X_text=x_tr,
                    row_districts=_district_index(space, _pick(row_d, tr)),
                )
                s = np.full((len(va), len(self.space_)), FLOOR)
                s[:, to_global[to_global >= 0]] = cand.scores(batch)[:, to_global >= 0]
                scores[name] = self._given_district(s, _pick(given, va))
            given_d = self._given_district(np.zeros((len(va), len(self.space_))), _pick(given, va))
            ctx = fold_context(space, to_global, len(self.space_), y_tr, batch.ev_j, batch.ev_u, given_d)
            when_tr, when_va = str(when[tr].max())[:10], str(when[va].min())[:10]
            out.append(sel.FoldData(va, y[va], scores, ctx, len(tr), when_tr, when_va))
        return out

    def _needs_places(self) -> bool:
        if self.chosen_ == "reranked":
            return True
        parts = self.model_.parts if self.chosen_ == "blend" else [self.model_]
        return any(p.name.startswith("factored") for p in parts)

    def route_threshold(self, precision: float | None = None) -> float:
        """The auto-route threshold for ``precision`` (the model's own target when None),
        cut by the rule ``fit`` used, on the same out-of-time predictions."""
        if precision is None:
            return self.threshold_
        conf, correct, _ = self.oot_
        return sel.route_threshold(conf, correct, precision, self.route_rows_)

    def _metrics(self, choice) -> dict:
        if choice is None:
            return {"n_units": len(self.space_), "chosen": self.chosen_}
        conf, correct, rank = self.oot_
        chosen = next(c for c in choice.candidates if c["name"] == self.chosen_)
        route = sel.route_share(np.round(conf, sel.DIGITS), correct, self.threshold_, self.route_precision)
        return {
            "how": "out-of-time (time-ordered folds)",
            "chosen": self.chosen_,
            "n": chosen["n"],
            "top1": chosen["top1"],
            "top3": chosen["top3"],
            "top5": chosen["top5"],
            "jurisdiction_top1": choice.jurisdiction_top1,
            "auto_route": route,
            "n_units": len(self.space_),
            "review_threshold": self.threshold_,  # exact: a returned confidence >= it is routed
        }

    def _design(self, X, cats):
        if not self.cat_vocab_ or cats is None:
            extra = sp.csr_matrix((X.shape[0], len(self.cat_vocab_)), dtype=np.float32)
        else:
            extra = category_matrix(cats, self.cat_vocab_, self.category_weight)
        return sp.hstack([X, extra], format="csr", dtype=np.float32)

    # ------------------------------------------------------------ predict
    @property
    def classes_(self) -> np.ndarray:
        return self.space_.names

    @property
    def units_(self) -> list[Unit]:
        return self.space_.units

    def predict_proba(self, texts, categories=None, districts=None, X=None, towns=None, addresses=None):
        """Calibrated probabilities over ``classes_``; ``X``: the texts' features when the
        caller made them already (shared features)."""
        check_is_fitted(self, "model_")
        texts = list(texts)
        X = self.features_.transform(texts) if X is None else X
        batch = Batch(self._design(X, categories), X)
        if self.places_ is not None:
            batch.ev_j, batch.ev_u = self.places_.evidence(texts, None, towns, addresses)
        scores = self._given_district(self.model_.scores(batch), districts)
        return softmax(scores / self.temperature_, axis=1)

    def _given_district(self, scores: np.ndarray, districts) -> np.ndarray:
        """The export's 所属区县, where given, for every candidate alike: its units get
        ``district_weight`` more log-odds (city-wide units and other districts' get none)."""
        if districts is None or not self.district_weight:
            return scores
        jx = {j: i for i, j in enumerate(self.space_.jurisdictions)}
        row = np.array([jx.get(d, 0) if d else 0 for d in districts])
        hit = (row[:, None] == self.space_.jur_of[None, :]) & (row[:, None] > 0)
        return scores + self.district_weight * hit

    def predict(self, texts, categories=None, districts=None) -> np.ndarray:
        return self.classes_[self.predict_proba(texts, categories, districts).argmax(1)]

    def recommend(
        self, texts, categories=None, districts=None, top_k: int = 3, X=None, towns=None, addresses=None
    ) -> list[dict]:
        """The columns ``classify`` writes: pred_unit, unit_confidence, unit_top_k,
        unit_needs_review, pred_jurisdiction, jurisdiction_confidence, pred_function,
        function_confidence."""
        proba = self.predict_proba(texts, categories, districts, X, towns, addresses)
        space = self.space_
        names = space.names
        k = max(1, min(top_k, len(names)))
        order = np.argsort(-proba, axis=1)[:, :k]
        jur = _marginal(proba, space.jur_of, len(space.jurisdictions))
        fun = _marginal(proba, space.function_of, len(space.functions))
        out = []
        for row, best, pj, pf in zip(proba, order, jur, fun):
            j, f = int(pj.argmax()), int(pf.argmax())
            conf = round(float(row[best[0]]), sel.DIGITS)  # the flag compares what is returned
            out.append(
                {
                    "pred_unit": str(names[best[0]]),
                    "unit_confidence": conf,
                    "unit_top_k": [
                        {"unit": str(names[i]), "confidence": round(float(row[i]), sel.DIGITS)} for i in best
                    ],
                    "unit_needs_review": bool(conf < self.threshold_),
                    "pred_jurisdiction": space.jurisdictions[j],
                    "jurisdiction_confidence": round(float(pj[j]), 4),
                    "pred_function": space.functions[f],
                    "function_confidence": round(float(pf[f]), 4),
                }
            )
        return out

    # -------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        storage.write(self, directory)

    @classmethod
    def load(cls, directory: Path, features=None) -> Dispatcher:
        """``features``: the tagger's ``TextFeatures``, for a dispatcher that shares them."""
        return storage.read(cls, directory, features)


def _district_index(space: UnitSpace, row_d) -> np.ndarray:
    """Each row's district as an index into ``space.jurisdictions`` (0: unknown)."""
    jx = {j: i for i, j in enumerate(space.jurisdictions)}
    return np.array([jx.get(d, 0) if d else 0 for d in row_d], dtype=np.int64)


def _marginal(proba: np.ndarray, of: np.ndarray, n: int) -> np.ndarray:
    """``(rows, n)``: the probability summed over the units of each jurisdiction/function."""
    onehot = sp.csr_matrix((np.ones(len(of)), (np.arange(len(of)), of)), shape=(len(of), n))
    return np.asarray(onehot.T.dot(proba.T).T)


__all__ = ["Dispatcher", "category_matrix"]
