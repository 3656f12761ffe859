"""The dispatcher's candidates: four ways to score every unit of the directory for a complaint.

Why several: which one routes a city's letters best depends on the city. Where a
few units take most complaints and their texts differ, a flat classifier over
unit names is hard to beat; where the same office exists in every district and
town governments take half the letters (Shanghai), the unit must be composed
from *what* (the office) and *where* (the district, the town), and places decide.
``selection`` scores them on the city's own history, in time order, and keeps
the best.

* ``FlatUnits``: one linear model over unit names (jieba words + character n-grams).
* ``Factored``: P(jurisdiction | text, places) x P(role | text) x P(unit | its
  group, places); a unit training never saw (from the directory, or a
  ``pattern`` unit) gets its score from its role and district, which other units taught.
* ``Neighbours``: the units of the most similar past complaints (cosine, top k).
* ``Blend``: a weighted sum of the three's calibrated log-probabilities, its weights
  fitted on out-of-time predictions.

Every candidate returns ``(n, n_units)`` unnormalised log-scores over a
``UnitSpace``; ``FLOOR`` marks a unit it cannot recommend. Learned state is
arrays and JSON (``SparseLinear`` keeps the coefficients that matter, as CSR
arrays), never a pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier.dispatch.directory import CITY, Unit
from hotline_nlp.classifier.dispatch.scoring import share_table
from hotline_nlp.classifier.linear import LinearLevel
from scipy.optimize import minimize
from scipy.special import log_softmax

FLOOR = -1e4  # log-score of a unit a candidate cannot recommend
ABSENT = -10.0  # decision score of a class a linear model never saw
LOG_FLOOR = np.log(1e-6)  # a blended part's log-probability never goes below this: a unit
# one part cannot recommend (flat: never seen) stays within reach of the others


class UnitSpace:
    """The units every candidate scores over, and what each one is: its jurisdiction,
    role and group (units sharing both: the town governments of one district)."""

    def __init__(self, units: list[Unit], districts):
        self.units = sorted(units, key=lambda u: u.name)
        self.names = np.array([u.name for u in self.units], dtype=object)
        self.index = {u.name: i for i, u in enumerate(self.units)}
        self.jurisdictions = [CITY] + sorted(set(districts) | {u.jurisdiction for u in units} - {CITY})
        jx = {j: i for i, j in enumerate(self.jurisdictions)}
        self.jur_of = np.array([jx[u.jurisdiction] for u in self.units], dtype=np.int64)
        self.roles = sorted({u.role for u in self.units})
        rx = {r: i for i, r in enumerate(self.roles)}
        self.role_of = np.array([rx[u.role] for u in self.units], dtype=np.int64)
        groups: dict[tuple[int, int], int] = {}
        self.group_of = np.array(
            [groups.setdefault((int(j), int(r)), len(groups)) for j, r in zip(self.jur_of, self.role_of)],
            dtype=np.int64,
        )
        self.n_groups = len(groups)
        self.functions = sorted({u.function for u in self.units})
        fx = {f: i for i, f in enumerate(self.functions)}
        self.function_of = np.array([fx[u.function] for u in self.units], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.units)

    def members(self) -> sp.csr_matrix:
        """``(n_units, n_groups)`` 0/1: sums within groups are one sparse product."""
        n = len(self.units)
        return sp.csr_matrix((np.ones(n), (np.arange(n), self.group_of)), shape=(n, self.n_groups))


@dataclass
class Batch:
    """What the candidates read for a batch of complaints (made once, shared)."""

    X: sp.csr_matrix  # text features (+ category columns)
    X_text: sp.csr_matrix  # text features only (for neighbours)
    ev_j: np.ndarray | None = None  # place evidence over jurisdictions
    ev_u: np.ndarray | None = None  # place evidence over units


class SparseLinear:
    """A ``LinearLevel`` whose negligible coefficients are dropped (|w| < ``keep`` x the
    largest of its class): measured on Shanghai's letters, 2 % keeps top-1 and cuts a
    491-unit model from 177 MB to 6 MB."""

    def __init__(self, C: float = 1.0, class_weight=None, keep: float = 0.02, random_state: int = 0):
        self.C, self.class_weight, self.keep, self.random_state = C, class_weight, keep, random_state

    def fit(self, X, y) -> SparseLinear:
        level = LinearLevel(C=self.C, class_weight=self.class_weight, random_state=self.random_state).fit(
            X, y
        )
        W = level.coef_
        cut = self.keep * np.abs(W).max(axis=1, keepdims=True)
        self.coef_ = sp.csr_matrix(np.where(np.abs(W) >= cut, W, 0.0).astype(np.float32))
        self.intercept_ = level.intercept_.astype(np.float32)
        self.classes_ = np.asarray(level.classes_).astype(str)
        return self

    def scores(self, X, classes) -> np.ndarray:
        """``(n, len(classes))`` decision scores, ``ABSENT`` for classes never seen.

        Sparse x dense: the coefficients are expanded once in memory (a sparse x sparse
        product with a nearly dense result costs ~5x more per batch)."""
        dense = getattr(self, "_dense_t", None)
        if dense is None:
            dense = self._dense_t = np.ascontiguousarray(self.coef_.T.toarray())
        out = np.full((X.shape[0], len(classes)), ABSENT)
        pos = np.searchsorted(classes, self.classes_)
        out[:, pos] = np.asarray(X @ dense) + self.intercept_
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        c = self.coef_
        for name, arr in (("data", c.data), ("indices", c.indices), ("indptr", c.indptr)):
            np.save(directory / f"coef_{name}.npy", arr, allow_pickle=False)
        np.save(directory / "intercept.npy", self.intercept_, allow_pickle=False)
        meta = {"classes": list(self.classes_), "shape": list(c.shape), "C": self.C, "keep": self.keep}
        (directory / "linear.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> SparseLinear:
        meta = json.loads((directory / "linear.json").read_text(encoding="utf-8"))
        self = cls(C=meta["C"], keep=meta["keep"])
        arrays = [
            np.load(directory / f"coef_{n}.npy", allow_pickle=False) for n in ("data", "indices", "indptr")
        ]
        self.coef_ = sp.csr_matrix(tuple(arrays), shape=tuple(meta["shape"]))
        self.intercept_ = np.load(directory / "intercept.npy", allow_pickle=False)
        self.classes_ = np.array(meta["classes"], dtype=str)
        if self.coef_.shape[0] != len(self.classes_) or len(self.intercept_) != len(self.classes_):
            raise ValueError(f"{directory}: coefficient rows do not match the class list")
        return self


MIN_TEMPERATURE = 0.1  # real letters: 0.2-0.35 (Shanghai), so the floor only binds on toy data


def _time_temperature(make, X, labels, classes) -> float:
    """A temperature for a linear model's scores, fitted on its last fifth (by time:
    rows come oldest first) after fitting on the rest, on the rows whose class the
    rest had seen (a class first seen there would push it to infinity); 1/4 when
    too few rows."""
    n = X.shape[0]
    cut = int(n * 0.8)
    seen = set(labels[:cut])
    later = np.array([lab in seen for lab in labels[cut:]], dtype=bool)
    if n < 50 or len(seen) < 2 or later.sum() < 10:
        return 0.25
    model = make().fit(X[:cut], labels[:cut])
    scores = model.scores(X[cut:][later], classes)
    truth = np.searchsorted(classes, labels[cut:][later])
    # floored: a held-out fifth separated perfectly would drive it to ~0 and let this one
    # text classifier veto every other piece of evidence (a district the letter names)
    return max(MIN_TEMPERATURE, cal.fit_temperature(scores, truth))


class FlatUnits:
    """One linear model over the unit names."""

    name = "flat"

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, X, y, space: UnitSpace, **_) -> FlatUnits:
        self.space_ = space
        self.model_ = SparseLinear(C=self.C).fit(X, space.names[y].astype(str))
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        s = self.model_.scores(batch.X, self.space_.names.astype(str))
        s[s == ABSENT] = FLOOR
        return s

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.model_.save(directory / "flat")

    def load_state(self, directory: Path, space: UnitSpace) -> FlatUnits:
        self.space_, self.model_ = space, SparseLinear.load(directory / "flat")
        return self

    def params(self) -> dict:
        return {"C": self.C}


class Factored:
    """P(jurisdiction | text, places) x P(role | text) x P(unit | group, district, places).

    A unit's group is the units sharing its jurisdiction and role. Within a group the
    unit's share is conditioned on the complaint's district (the same city-wide role
    may be held by one heating company in one district and another elsewhere), and a
    town government's on the places the text names. ``city_roles``: "unit" makes every
    city-wide unit its own role (the text tells 道路运输管理局 from 交通委员会), "function"
    groups them by function (市直|供热), their shares then split by district.

    ``town_weight`` (the scale of a town government's place evidence) is 3.0: chosen on
    two dev splits inside Shanghai's training months (fit < 2023-07 / < 2023-08, score the
    next month; the dispatcher's top-1/top-3 went 0.238/0.368 -> 0.275/0.378 and
    0.295/0.385 -> 0.295/0.417 from 1.5; 5.0 scored the same as 3.0).
    """

    def __init__(
        self,
        C: float = 0.5,
        place_weight: float = 1.0,
        town_weight: float = 3.0,
        city_roles: str = "unit",
        class_weight: str | None = None,
    ):
        self.C, self.place_weight, self.town_weight, self.city_roles = (
            C,
            place_weight,
            town_weight,
            city_roles,
        )
        self.class_weight = class_weight

    @property
    def name(self) -> str:
        return "factored" if self.city_roles == "unit" else "factored-grouped"

    def _structure(self, space: UnitSpace) -> None:
        def role(u):
            return (
                f"{CITY}|{u.function}" if u.jurisdiction == CITY and self.city_roles == "function" else u.role
            )

        labels = [role(u) for u in space.units]
        self.roles_ = sorted(set(labels))
        rx = {r: i for i, r in enumerate(self.roles_)}
        self.role_of_ = np.array([rx[r] for r in labels], dtype=np.int64)
        groups: dict[tuple[int, int], int] = {}
        self.group_of_ = np.array(
            [groups.setdefault((int(j), int(r)), len(groups)) for j, r in zip(space.jur_of, self.role_of_)],
            dtype=np.int64,
        )
        n = len(space)
        self.members_ = sp.csr_matrix((np.ones(n), (np.arange(n), self.group_of_)), shape=(n, len(groups)))

    def fit(self, X, y, space: UnitSpace, row_districts=None, **_) -> Factored:
        """``row_districts``: per row the index of its district in ``space.jurisdictions``
        (0: unknown), for the within-group shares; default: the unit's own."""
        self.space_ = space
        self._structure(space)
        jur = np.array(space.jurisdictions, dtype=object)[space.jur_of[y]].astype(str)
        role = np.array(self.roles_, dtype=object)[self.role_of_[y]].astype(str)
        jc, rc = np.sort(np.array(space.jurisdictions, dtype=str)), np.sort(np.array(self.roles_, dtype=str))
        make = lambda: SparseLinear(C=self.C, class_weight=self.class_weight)  # noqa: E731
        self.t_jur_ = _time_temperature(make, X, jur, jc)
        self.t_role_ = _time_temperature(make, X, role, rc)
        self.jur_ = make().fit(X, jur)
        self.role_ = make().fit(X, role)
        d = np.asarray(row_districts if row_districts is not None else space.jur_of[y])
        n_d = len(space.jurisdictions) - 1
        # share_table wants district rows 0..n_d-1 and -1 for unknown
        self.shares_ = share_table(y, np.where(d > 0, d - 1, -1), self.group_of_, n_d)
        return self

    def _sorted_scores(self, model, X, names) -> np.ndarray:
        """Scores in the order of ``names``; a class the model never saw (a district whose
        offices are all new) scores as the row's least likely seen class, so place
        evidence naming it can still lift it."""
        names = np.asarray(names, dtype=str)
        order = np.argsort(names)
        s = np.empty((X.shape[0], len(names)))
        s[:, order] = model.scores(X, names[order])
        unseen = ~np.isin(names, model.classes_)
        if unseen.any() and (~unseen).any():
            s[:, unseen] = s[:, ~unseen].min(axis=1, keepdims=True)
        return s

    def log_jurisdiction(self, batch: Batch) -> np.ndarray:
        s = self._sorted_scores(self.jur_, batch.X, self.space_.jurisdictions) / self.t_jur_
        if batch.ev_j is not None:
            s = s + self.place_weight * batch.ev_j
        return log_softmax(s, axis=1)

    def scores(self, batch: Batch) -> np.ndarray:
        sp_ = self.space_
        lj = self.log_jurisdiction(batch)
        lr = log_softmax(self._sorted_scores(self.role_, batch.X, self.roles_) / self.t_role_, axis=1)
        if lj.shape[1] > 1:
            p_d = np.exp(lj[:, 1:] - lj[:, 1:].max(axis=1, keepdims=True))
            p_d /= p_d.sum(axis=1, keepdims=True)  # where the complaint is, if it is in a district
            share = np.column_stack([p_d, np.zeros(len(p_d))]) @ self.shares_
        else:  # a city without districts: the shares of rows whose district is unknown
            share = np.repeat(self.shares_[-1:], lj.shape[0], axis=0)
        inner = np.log(np.maximum(share, 1e-12))
        if batch.ev_u is not None:
            inner = inner + self.town_weight * batch.ev_u
        inner = inner - inner.max(axis=1, keepdims=True)
        sums = np.asarray(self.members_.T.dot(np.exp(inner).T).T)  # (n, groups): one sparse product
        inner = inner - np.log(np.maximum(sums[:, self.group_of_], 1e-300))
        return lj[:, sp_.jur_of] + lr[:, self.role_of_] + inner

    def save(self, directory: Path) -> None:
        directory = directory / self.name
        directory.mkdir(parents=True, exist_ok=True)
        self.jur_.save(directory / "jurisdiction")
        self.role_.save(directory / "role")
        np.save(directory / "shares.npy", self.shares_.astype(np.float32), allow_pickle=False)
        state = {"t_jur": self.t_jur_, "t_role": self.t_role_}
        (directory / "factored.json").write_text(json.dumps(state), encoding="utf-8")

    def load_state(self, directory: Path, space: UnitSpace) -> Factored:
        directory = directory / self.name
        self.space_ = space
        self._structure(space)
        self.jur_ = SparseLinear.load(directory / "jurisdiction")
        self.role_ = SparseLinear.load(directory / "role")
        self.shares_ = np.load(directory / "shares.npy", allow_pickle=False).astype(np.float64)
        state = json.loads((directory / "factored.json").read_text(encoding="utf-8"))
        self.t_jur_, self.t_role_ = state["t_jur"], state["t_role"]
        if self.shares_.shape != (len(space.jurisdictions), len(space)):
            raise ValueError(f"{directory}: share table does not match the unit directory")
        return self

    def params(self) -> dict:
        return {
            "C": self.C,
            "place_weight": self.place_weight,
            "town_weight": self.town_weight,
            "city_roles": self.city_roles,
            "class_weight": self.class_weight,
        }


def top_terms(m: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Each row's ``n`` heaviest entries (a past complaint is found by what it is most about;
    the stored matrix and each similarity product shrink several-fold)."""
    m = sp.csr_matrix(m, dtype=np.float32, copy=True)
    for i in range(m.shape[0]):
        a, b = m.indptr[i], m.indptr[i + 1]
        if b - a > n:
            row = m.data[a:b]
            row[np.argsort(row)[: b - a - n]] = 0.0
    m.eliminate_zeros()
    return m


class Neighbours:
    """The units of the ``k`` most similar past complaints, each weighted by similarity^2
    (the most recent ``max_rows`` complaints, each by its ``terms`` heaviest features)."""

    name = "neighbours"

    def __init__(self, k: int = 20, max_rows: int = 20_000, terms: int = 40):
        self.k, self.max_rows, self.terms = k, max_rows, terms

    def fit(self, X, y, space: UnitSpace, X_text=None, **_) -> Neighbours:
        self.space_ = space
        rows = X_text if X_text is not None else X
        keep = slice(max(0, rows.shape[0] - self.max_rows), rows.shape[0])  # the most recent
        self.rows_ = top_terms(rows[keep], self.terms)
        self.y_ = np.asarray(y)[keep].astype(np.int64)
        counts = np.bincount(self.y_, minlength=len(space)).astype(np.float64)
        self.tiebreak_ = 1e-3 * (1.0 + counts / max(1.0, counts.max()))
        return self

    def scores(self, batch: Batch, chunk: int = 512) -> np.ndarray:
        n, n_u = batch.X_text.shape[0], len(self.space_)
        out = np.empty((n, n_u))
        k = min(self.k, self.rows_.shape[0])
        rows_t = getattr(self, "_rows_t", None)
        if rows_t is None:
            rows_t = self._rows_t = self.rows_.T.tocsr()
        for a in range(0, n, chunk):
            sim = np.asarray((batch.X_text[a : a + chunk] @ rows_t).todense())
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            w = np.take_along_axis(sim, top, axis=1) ** 2
            votes = np.zeros((sim.shape[0], n_u))
            np.add.at(votes, (np.arange(sim.shape[0])[:, None], self.y_[top]), w)
            out[a : a + chunk] = np.log(
                votes / np.maximum(votes.sum(1, keepdims=True), 1e-12) + self.tiebreak_
            )
        return out

    def save(self, directory: Path) -> None:
        d = directory / "neighbours"
        d.mkdir(parents=True, exist_ok=True)
        m = self.rows_
        for name, arr in (("data", m.data), ("indices", m.indices), ("indptr", m.indptr), ("units", self.y_)):
            np.save(d / f"{name}.npy", arr, allow_pickle=False)
        (d / "neighbours.json").write_text(json.dumps({"shape": list(m.shape)}), encoding="utf-8")

    def load_state(self, directory: Path, space: UnitSpace) -> Neighbours:
        d = directory / "neighbours"
        shape = tuple(json.loads((d / "neighbours.json").read_text(encoding="utf-8"))["shape"])
        arrays = [np.load(d / f"{n}.npy", allow_pickle=False) for n in ("data", "indices", "indptr")]
        self.rows_ = sp.csr_matrix(tuple(arrays), shape=shape)
        self.y_ = np.load(d / "units.npy", allow_pickle=False)
        if len(self.y_) != shape[0] or (len(self.y_) and self.y_.max() >= len(space)):
            raise ValueError(f"{d}: neighbour rows do not match the unit directory")
        self.space_ = space
        counts = np.bincount(self.y_, minlength=len(space)).astype(np.float64)
        self.tiebreak_ = 1e-3 * (1.0 + counts / max(1.0, counts.max()))
        return self

    def params(self) -> dict:
        return {"k": self.k, "max_rows": self.max_rows, "terms": self.terms}


def blend_weights(log_probs: list[np.ndarray], truth: np.ndarray) -> np.ndarray:
    """Non-negative weights of calibrated log-probabilities minimising the negative
    log-likelihood of softmax(sum w_c log p_c) on out-of-time rows."""
    rows = np.arange(len(truth))
    stack = np.stack(log_probs)  # (c, n, units)

    def nll(w):
        w = np.abs(w)
        s = log_softmax(np.tensordot(w, stack, axes=1), axis=1)
        return -s[rows, truth].mean()

    res = minimize(
        nll,
        np.full(len(log_probs), 1.0 / len(log_probs)),
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 400},
    )
    return np.abs(res.x)


class Blend:
    """sum_c w_c log softmax(s_c / T_c) over the other candidates (weights and
    temperatures set by ``selection`` on out-of-time predictions, never on the rows scored)."""

    name = "blend"

    def __init__(self, parts: list, temperatures=None, weights=None):
        self.parts = parts
        self.temperatures = list(temperatures) if temperatures is not None else [1.0] * len(parts)
        self.weights = list(weights) if weights is not None else [1.0 / len(parts)] * len(parts)

    def fit(self, X, y, space: UnitSpace, **kw) -> Blend:
        for p in self.parts:
            p.fit(X, y, space, **kw)
        self.space_ = space
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        return self.combine([p.scores(batch) for p in self.parts])

    def combine(self, part_scores: list[np.ndarray]) -> np.ndarray:
        out = 0.0
        for s, t, w in zip(part_scores, self.temperatures, self.weights):
            out = out + w * np.maximum(log_softmax(s / t, axis=1), LOG_FLOOR)
        return out

    def save(self, directory: Path) -> None:
        for p in self.parts:
            p.save(directory)

    def load_state(self, directory: Path, space: UnitSpace) -> Blend:
        for p in self.parts:
            p.load_state(directory, space)
        self.space_ = space
        return self

    def params(self) -> dict:
        return {
            "parts": [p.name for p in self.parts],
            "part_params": [p.params() for p in self.parts],
            "temperatures": [round(float(t), 6) for t in self.temperatures],
            "weights": [round(float(w), 6) for w in self.weights],
        }


BASE = {
    "flat": (FlatUnits, {}),
    "factored": (Factored, {"city_roles": "unit"}),
    "factored-grouped": (Factored, {"city_roles": "function", "class_weight": "balanced"}),
    "neighbours": (Neighbours, {}),
}


def make_candidate(name: str, params: dict | None = None):
    """A candidate by name (``params`` as ``params()`` wrote them, or overrides)."""
    params = dict(params or {})
    if name == "blend":
        parts = [make_candidate(p, pp) for p, pp in zip(params["parts"], params["part_params"])]
        return Blend(parts, params.get("temperatures"), params.get("weights"))
    if name not in BASE:
        raise ValueError(f"unknown dispatch candidate {name!r}; known: {', '.join(BASE)}, blend")
    cls, fixed = BASE[name]
    return cls(**{**params, **fixed})
