"""The re-ranked candidate: a conditional logit over the units the other candidates rank high.

Why: on Shanghai's letters the right unit is often near the top of some candidate
but poorly ranked (top-1 0.30, top-5 0.49): the flat model knows the office, the
factored one the district, the place evidence the town, and a blend's one weight per
candidate cannot say "trust the flat model's second unit when its district is the
one the letter names". The re-ranker pools each candidate's top ``pool`` units and
scores every (complaint, unit) pair by a linear function of features:

* per candidate: its calibrated log-probability of the unit, 1 / (1 + its rank)
  (rank capped at ``pool``), whether it ranks the unit first, and the log-probability
  it gives the unit's jurisdiction and the unit's function (summed over the units
  sharing them): "jurisdiction x function -> unit", which lifts a unit never used
  in that district when both halves are likely;
* the unit's history: log(1 + its training rows), log(1 + the same with each row
  weighted by recency, half-life ``RECENT_HALF_LIFE`` of the rows), never used;
* place evidence: the town evidence for the unit, the jurisdiction evidence for its
  district (``places``); whether the unit is city-level.

Its weights maximise the likelihood of the true unit among the pooled ones (softmax
over each complaint's pool) on out-of-time predictions: ``selection`` fits it on
earlier folds' scores and scores a later fold, exactly as it does the blend, so no
candidate is scored on rows older than its training rows. State: the parts', plus
arrays and JSON (weights, feature means and scales, per-unit counts), never a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hotline_nlp.classifier.dispatch.candidates import FLOOR, LOG_FLOOR, Batch, UnitSpace
from hotline_nlp.classifier.dispatch.candidates import make_candidate as make_base
from scipy.optimize import minimize
from scipy.special import log_softmax

POOL = 20  # each candidate's top units pooled for re-ranking
RECENT_HALF_LIFE = 0.1  # recency weight of a training row: halves every 10 % of the rows (in time order)
COMPOSE = 2  # also pool the units of the 2 likeliest jurisdictions x the 2 likeliest functions
L2 = 0.1  # ridge penalty on the (standardised) feature weights, per complaint


@dataclass
class Context:
    """What the re-ranker reads beside the candidates' scores, over the scored unit space."""

    prior: np.ndarray  # (units,) training rows per unit
    recent: np.ndarray  # (units,) the same, each row weighted by its recency
    ev_u: np.ndarray | None = None  # (n, units) town place evidence of each unit
    ev_j: np.ndarray | None = None  # (n, units) place evidence of each unit's jurisdiction
    given: np.ndarray | None = None  # (n, units) the 所属区县 log-odds already in the scores (folds)


def unit_counts(y, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows per unit, plain and recency-weighted (``y`` in time order)."""
    y = np.asarray(y, dtype=np.int64)
    n = len(y)
    age = (n - 1 - np.arange(n)) / max(1.0, RECENT_HALF_LIFE * n)
    plain = np.bincount(y, minlength=n_units).astype(np.float64)
    return plain, np.bincount(y, weights=0.5**age, minlength=n_units)


def context_of(space: UnitSpace, y, ev_j=None, ev_u=None) -> Context:
    """The context of a batch scored over ``space`` by models fitted on units ``y``
    (place evidence as ``PlaceEvidence.evidence`` returns it over ``space``)."""
    prior, recent = unit_counts(y, len(space))
    return Context(prior, recent, ev_u, None if ev_j is None else ev_j[:, space.jur_of])


def marginals(probs, space: UnitSpace) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per part, ``(n, jurisdictions)`` and ``(n, functions)``: its probability summed
    over the units of each jurisdiction and of each function."""
    at = np.arange(len(space))
    J = np.zeros((len(space), len(space.jurisdictions)), dtype=np.float32)
    J[at, space.jur_of] = 1.0
    F = np.zeros((len(space), len(space.functions)), dtype=np.float32)
    F[at, space.function_of] = 1.0
    return [(p @ J, p @ F) for p in probs]


def fold_context(space: UnitSpace, to_global, n_global: int, y, ev_j, ev_u, given=None) -> Context:
    """``context_of`` a fold (units ``space``, fitted on ``y``) carried over to the global
    unit space of ``n_global`` units (``to_global``: each fold unit's global index, -1
    where none); ``given``: the 所属区县 log-odds in the fold's scores, over the global space."""
    local = context_of(space, y, ev_j, ev_u)
    glob = to_global >= 0

    def carried(a):
        if a is None:
            return None
        g = np.zeros((a.shape[0], n_global))
        g[:, to_global[glob]] = a[:, glob]
        return g

    prior, recent = (np.bincount(to_global[glob], a[glob], n_global) for a in (local.prior, local.recent))
    has_given = given is not None and given.any()
    return Context(prior, recent, carried(local.ev_u), carried(local.ev_j), given if has_given else None)


def pool_pairs(
    log_probs: list[np.ndarray],
    pool: int,
    reachable: np.ndarray,
    marg=None,
    space: UnitSpace | None = None,
    compose: int = 0,
):
    """``(rows, cols, ranks)``: the pooled (complaint, unit) pairs in row-major order,
    and each part's rank of every unit (``pool`` beyond its top ``pool``); only units
    some part can recommend (``reachable``). ``compose``: also pool every unit of the
    ``compose`` likeliest jurisdictions x the ``compose`` likeliest functions (``marg``,
    the parts' ``marginals``, summed): the town governments of the right district
    that no part ranks high."""
    n, n_u = log_probs[0].shape
    k = min(pool, n_u)
    mask = np.zeros((n, n_u), dtype=bool)
    ranks = []
    at = np.arange(n)[:, None]
    for s in log_probs:
        top = np.argpartition(s, n_u - k, axis=1)[:, n_u - k :]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), axis=1), 1)
        rank = np.full((n, n_u), k, dtype=np.int16)
        rank[at, top] = np.arange(k, dtype=np.int16)[None, :]
        mask[at, top] = True
        ranks.append(rank)
    if compose and marg:
        top = []
        for i, of in ((0, space.jur_of), (1, space.function_of)):
            m = sum(x[i] for x in marg)
            c = min(compose, m.shape[1])
            hit = np.zeros(m.shape, dtype=bool)
            hit[at, np.argpartition(-m, c - 1, axis=1)[:, :c]] = True
            top.append(hit[:, of])
        mask |= top[0] & top[1]
    mask &= reachable
    rows, cols = np.nonzero(mask)
    return rows, cols, ranks


def features(log_probs, ranks, rows, cols, space: UnitSpace, ctx: Context, marg) -> np.ndarray:
    """``(pairs, n_features)``: the features of the pooled pairs (see the module doc)."""
    return np.column_stack(feature_columns(log_probs, ranks, rows, cols, space, ctx, marg))


def feature_columns(log_probs, ranks, rows, cols, space: UnitSpace, ctx: Context, marg) -> list:
    """The columns of ``features``, one array per feature."""
    cols_j, cols_f = space.jur_of[cols], space.function_of[cols]
    out = []
    for lp, rank, (pj, pf) in zip(log_probs, ranks, marg):
        r = rank[rows, cols]
        out += [
            lp[rows, cols],
            1.0 / (1.0 + r),
            (r == 0).astype(float),
            np.log(np.maximum(pj[rows, cols_j], 1e-6)),
            np.log(np.maximum(pf[rows, cols_f], 1e-6)),
        ]
    prior = ctx.prior[cols]
    out += [np.log1p(prior), np.log1p(ctx.recent[cols]), (prior == 0).astype(float)]
    zero = np.zeros(len(rows))
    out += [
        zero if ctx.ev_u is None else ctx.ev_u[rows, cols],
        zero if ctx.ev_j is None else ctx.ev_j[rows, cols],
    ]
    out.append((cols_j == 0).astype(float))
    return out


def _grouped_log_softmax(z: np.ndarray, starts: np.ndarray, rows_of: np.ndarray) -> np.ndarray:
    top = np.maximum.reduceat(z, starts)[rows_of]
    lse = np.log(np.add.reduceat(np.exp(z - top), starts))[rows_of] + top
    return z - lse


def fit_weights(F: np.ndarray, group: np.ndarray, is_true: np.ndarray, l2: float = L2) -> np.ndarray:
    """Weights of the conditional logit: the mean negative log-likelihood of each true
    pair within its group (a complaint's pool), plus ``l2`` |w|^2 / 2. ``group``: the
    complaint of each pair (sorted); groups without a true pair are left out."""
    keep = np.isin(group, group[is_true])
    F, group, is_true = F[keep], group[keep], is_true[keep]
    if not is_true.any():
        return np.zeros(F.shape[1])
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rows_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
    n = len(starts)

    def loss(w):
        ls = _grouped_log_softmax(F @ w, starts, rows_of)
        p = np.exp(ls)
        g = F.T @ (p - is_true) / n + l2 * w
        return -ls[is_true].sum() / n + 0.5 * l2 * w @ w, g

    res = minimize(loss, np.zeros(F.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x


class Reranked:
    """The parts' scores re-ranked (see the module doc); ``selection`` sets the parts'
    temperatures and the weights on out-of-time predictions, never on the rows scored."""

    name = "reranked"

    def __init__(
        self,
        parts: list,
        temperatures=None,
        coef=None,
        mean=None,
        scale=None,
        pool=POOL,
        l2=L2,
        compose=COMPOSE,
    ):
        self.parts, self.pool, self.l2, self.compose = parts, int(pool), float(l2), int(compose)
        self.temperatures = list(temperatures) if temperatures is not None else [1.0] * len(parts)
        self.coef = None if coef is None else np.asarray(coef, dtype=np.float64)
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64)

    def _prepare(self, part_scores, space: UnitSpace):
        """The parts' calibrated log-probabilities and probabilities (float32), their
        ``marginals``, and which units any part can recommend."""
        lps = [
            np.maximum(log_softmax((s / t).astype(np.float32), axis=1), np.float32(LOG_FLOOR))
            for s, t in zip(part_scores, self.temperatures)
        ]
        probs = [np.exp(lp) for lp in lps]
        reachable = part_scores[0] > FLOOR / 2
        for s in part_scores[1:]:
            reachable |= s > FLOOR / 2
        return lps, probs, marginals(probs, space), reachable

    def learn(self, folds, space: UnitSpace) -> Reranked:
        """Weights from ``[(part scores, Context, truth)]``, one entry per out-of-time fold."""
        Fs, groups, trues, offset = [], [], [], 0
        for part_scores, ctx, truth in folds:
            if ctx.given is not None:  # what the parts say at intake, before the given district
                part_scores = [s - ctx.given for s in part_scores]
            lps, _, marg, reachable = self._prepare(part_scores, space)
            rows, cols, ranks = pool_pairs(lps, self.pool, reachable, marg, space, self.compose)
            Fs.append(features(lps, ranks, rows, cols, space, ctx, marg))
            groups.append(rows + offset)
            trues.append(cols == np.asarray(truth)[rows])
            offset += len(truth)
        F = np.concatenate(Fs)
        self.mean = F.mean(0)
        self.scale = np.maximum(F.std(0), 1e-6)
        group, is_true = np.concatenate(groups), np.concatenate(trues)
        # one "rest" item per complaint (every unit outside its pool; features at their mean,
        # its own weight): true where the true unit is not pooled, so the rest's share of the
        # probability is learned and the pool's confidences are not inflated
        rest = np.ones(offset, dtype=bool)
        rest[group[is_true]] = False
        Fz = np.vstack(
            [
                np.column_stack([(F - self.mean) / self.scale, np.zeros(len(F))]),
                np.column_stack([np.zeros((offset, F.shape[1])), np.ones(offset)]),
            ]
        )
        group = np.r_[group, np.arange(offset)]
        order = np.argsort(group, kind="stable")
        self.coef = fit_weights(Fz[order], group[order], np.r_[is_true, rest][order], self.l2)
        return self

    def fit(self, X, y, space: UnitSpace, **kw) -> Reranked:
        for p in self.parts:
            p.fit(X, y, space, **kw)
        self.space_ = space
        self.prior_, self.recent_ = unit_counts(y, len(space))
        return self

    def scores(self, batch: Batch) -> np.ndarray:
        ev_j = None if batch.ev_j is None else batch.ev_j[:, self.space_.jur_of]
        ctx = Context(self.prior_, self.recent_, batch.ev_u, ev_j)
        return self.combine([p.scores(batch) for p in self.parts], ctx, self.space_)

    def rescore(self, part_scores: list[np.ndarray], ctx: Context, space: UnitSpace) -> np.ndarray:
        """``combine`` of fold scores that carry the given district's log-odds (``ctx.given``):
        re-ranked without it, as at intake, and it added after, as ``Dispatcher`` does."""
        if ctx.given is None:
            return self.combine(part_scores, ctx, space)
        return self.combine([s - ctx.given for s in part_scores], ctx, space) + ctx.given

    def combine(self, part_scores: list[np.ndarray], ctx: Context, space: UnitSpace) -> np.ndarray:
        """``(n, units)`` log-scores: the pool's by the learned weights; the rest's learned
        share spread over the units outside the pool by the parts' mean probability;
        ``FLOOR`` where no part can recommend a unit."""
        lps, probs, marg, reachable = self._prepare(part_scores, space)
        rows, cols, ranks = pool_pairs(lps, self.pool, reachable, marg, space, self.compose)
        w = self.coef[:-1] / self.scale  # the weights of the raw features, summed column by column
        z = np.full(len(rows), -float(w @ self.mean))
        for wi, col in zip(w, feature_columns(lps, ranks, rows, cols, space, ctx, marg)):
            z += wi * col
        rest = probs[0].copy()
        for p in probs[1:]:
            rest += p
        rest[rows, cols] = 0.0
        rest[~reachable] = 0.0
        total = rest.sum(1, keepdims=True)
        with np.errstate(divide="ignore"):
            out = np.log(rest / np.maximum(total, np.float32(1e-30))).astype(np.float64)
        out += self.coef[-1]
        out[rows, cols] = z
        out[~reachable] = FLOOR
        return np.maximum(out, FLOOR, out=out)

    def save(self, directory: Path) -> None:
        for p in self.parts:
            p.save(directory)
        d = directory / "reranked"
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "prior.npy", self.prior_, allow_pickle=False)
        np.save(d / "recent.npy", self.recent_, allow_pickle=False)

    def load_state(self, directory: Path, space: UnitSpace) -> Reranked:
        for p in self.parts:
            p.load_state(directory, space)
        d = directory / "reranked"
        self.prior_ = np.load(d / "prior.npy", allow_pickle=False)
        self.recent_ = np.load(d / "recent.npy", allow_pickle=False)
        if len(self.prior_) != len(space) or len(self.recent_) != len(space):
            raise ValueError(f"{d}: unit counts do not match the unit directory")
        if self.coef is None or len(self.coef) != len(self.mean) + 1 or len(self.mean) != len(self.scale):
            raise ValueError(f"{d}: re-ranker weights missing or of the wrong length")
        self.space_ = space
        return self

    def params(self) -> dict:
        def listed(a):
            return None if a is None else [round(float(x), 8) for x in a]

        return {
            "parts": [p.name for p in self.parts],
            "part_params": [p.params() for p in self.parts],
            "temperatures": [round(float(t), 6) for t in self.temperatures],
            "pool": self.pool,
            "l2": self.l2,
            "compose": self.compose,
            "coef": listed(self.coef),
            "mean": listed(self.mean),
            "scale": listed(self.scale),
        }


def make_candidate(name: str, params: dict | None = None):
    """A candidate by name: ``reranked`` here, the others as ``candidates.make_candidate``."""
    if name != "reranked":
        return make_base(name, params)
    params = {k: v for k, v in (params or {}).items() if k != "features"}  # the manifest's names
    parts = [make_base(p, pp) for p, pp in zip(params.pop("parts"), params.pop("part_params"))]
    return Reranked(parts, **params)


def feature_names(parts: list[str]) -> list[str]:
    """The features' names, in the order of ``coef`` (for the manifest's reader)."""
    per = ("log_prob", "inverse_rank", "first", "log_p_jurisdiction", "log_p_function")
    return [f"{p}:{f}" for p in parts for f in per] + [
        "log_rows",
        "log_recent_rows",
        "never_used",
        "town_place_evidence",
        "jurisdiction_place_evidence",
        "city_level",
        "rest",
    ]


__all__ = ["POOL", "Context", "Reranked", "context_of", "feature_names", "make_candidate", "unit_counts"]
