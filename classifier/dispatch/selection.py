"""Choosing the dispatcher on the city's own history, in time order.

A centre deploys dispatch on complaints newer than any it learned from, and
units come and go (a street office first seen last month), so candidates are
scored the same way: rows sorted by date; the oldest half is the first
training set; the rest is cut into ``n_folds`` consecutive blocks at date
boundaries, and fold k fits on everything older than block k and scores block
k. A fold's candidates know only the units of its own training rows (plus the
given directory and the units those imply, see ``directory.expand``), as a
deployed model would.

The blend's weights, the re-ranker's (``rerank``) and every candidate's temperature
are fitted on earlier folds' predictions, so all candidates are compared on folds
2..K (fold 1 only teaches the blend and the re-ranker). The winner is the best top-1 there (ties go to the simpler
candidate, in ``ORDER``). The pooled out-of-time predictions of the winner then
calibrate its confidence. The auto-route threshold is cut on the latest fold alone
(the model nearest in size and time to the one deployed) where the one-sided 95 %
Wilson lower bound of the precision above it reaches the target: measured on
Shanghai's letters, the observed precision of pooled folds (round 1) promised 0.90
and delivered 0.77 on later months.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from hotline_nlp.classifier import calibration as cal
from hotline_nlp.classifier.dispatch.candidates import FLOOR, LOG_FLOOR, Blend, blend_weights, make_candidate
from hotline_nlp.classifier.dispatch.rerank import Context, Reranked, feature_names
from scipy.special import log_softmax

ORDER = (
    "flat",
    "factored",
    "factored-grouped",
    "neighbours",
    "blend",
    "reranked",
)  # simplest first: ties go to the earlier
START = 0.5  # share of the (oldest) rows in the first fold's training set
ROUTE_Z = 1.645  # the auto-route cut: one-sided 95 % Wilson lower bound of precision
DIGITS = 4  # unit confidences are returned rounded to this; the threshold is cut on them


def route_threshold(confidence, correct, target: float, latest: int | None = None, z: float = ROUTE_Z):
    """The auto-route threshold: on the ``latest`` rows (the last fold's; all when None),
    the lowest confidence above which the Wilson lower bound of precision reaches ``target``.

    Cut on the confidences rounded to ``DIGITS``, as ``recommend`` returns them, so the
    threshold is one of those values exactly and a caller comparing a returned
    ``unit_confidence`` with it agrees with ``unit_needs_review``; above 1 (``ABOVE_ALL``)
    when no cut reaches the target: nothing is routed, a confidence of 1.0 included."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    if latest:
        confidence, correct = confidence[-latest:], correct[-latest:]
    t = cal.review_threshold(np.round(confidence, DIGITS), correct, target, z=z)
    return t if t > 1.0 else round(t, DIGITS)


def time_folds(dates, n_folds: int = 3, start: float = START) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train rows, scored rows)]`` of rows in time order: every training row is strictly
    older than every scored row of its fold (a block starts where the date changes)."""
    dates = np.asarray(dates)
    order = np.argsort(dates, kind="stable")
    n = len(order)
    sd = dates[order]
    cuts = [int(round(n * (start + (1 - start) * k / n_folds))) for k in range(n_folds + 1)]
    folds = []
    for k in range(n_folds):
        a, b = cuts[k], cuts[k + 1]
        # move the block's start back to the first row of its date, its end likewise
        a = int(np.searchsorted(sd, sd[a], side="left")) if a < n else n
        b = int(np.searchsorted(sd, sd[b], side="left")) if b < n else n
        if a <= 0 or b <= a:
            continue
        folds.append((order[:a], order[a:b]))
    return folds


@dataclass
class FoldData:
    """One fold's predictions: raw scores per base candidate over the global unit space."""

    rows: np.ndarray
    truth: np.ndarray
    scores: dict[str, np.ndarray]
    context: Context | None = None  # what the re-ranker reads beside the scores
    n_train: int = 0
    last_train_date: str = ""
    first_scored_date: str = ""


@dataclass
class Choice:
    """What ``choose`` found: the manifest's ``selection`` record (``to_json``)."""

    chosen: str
    candidates: list[dict]
    folds: list[dict]
    blend: dict | None
    temperature: float
    threshold: float
    route_precision: float
    oot_confidence: np.ndarray = field(repr=False)
    oot_correct: np.ndarray = field(repr=False)
    oot_top_k: np.ndarray = field(repr=False)  # rank of the true unit (0 = first; -1 = not recommendable)
    route_rows: int = 0  # the last fold's rows (the tail of oot_*): where the threshold is cut
    seconds: float = 0.0
    note: str = ""
    jurisdiction_top1: float | None = None
    select_on: str = "top1"
    rerank: dict | None = None

    def to_json(self) -> dict:
        return {
            "how": "time-ordered: each fold fits on older complaints and scores newer ones",
            "chosen": self.chosen,
            "chosen_by": self.select_on,
            "candidates": self.candidates,
            "folds": self.folds,
            "blend": self.blend,
            "rerank": self.rerank,
            "temperature": round(self.temperature, 6),
            "route_precision": self.route_precision,
            "route_threshold": float(self.threshold),  # exact: on the returned confidences' grid
            "route_rule": f"latest fold ({self.route_rows} complaints): Wilson lower bound (z={ROUTE_Z}) "
            "of precision reaches the target",
            "jurisdiction_top1": self.jurisdiction_top1,
            "seconds": round(self.seconds, 1),
            "note": self.note,
        }


def ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Rank of the true unit per row (0 = top-1); -1 where the truth is not in the space."""
    out = np.full(len(truth), -1)
    ok = truth >= 0
    if ok.any():
        s = scores[ok]
        t = s[np.arange(len(s)), truth[ok]]
        out[ok] = (s > t[:, None]).sum(1)
    return out


def top_k(rank: np.ndarray) -> dict:
    n = max(1, len(rank))
    return {f"top{k}": round(float(((rank >= 0) & (rank < k)).sum() / n), 4) for k in (1, 3, 5)}


def recommendable(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Rows whose true unit the candidate could recommend (in its fold's directory)."""
    ok = truth >= 0
    ok[ok] = scores[np.flatnonzero(ok), truth[ok]] > FLOOR / 2
    return ok


def _calibrated(scores: np.ndarray, truth: np.ndarray) -> tuple[float, np.ndarray]:
    """Temperature fitted on the rows whose truth the candidate could recommend (a unit
    unknown to the fold would push it to infinity: its rows are misses at any scale)."""
    ok = recommendable(scores, truth)
    t = cal.fit_temperature(scores[ok], truth[ok]) if ok.sum() >= 5 else 1.0
    return t, log_softmax(scores / t, axis=1)


def _blend_from(folds: list[FoldData], names: list[str], params_of=None) -> Blend:
    """A blend whose temperatures and weights are fitted on ``folds`` (earlier ones)."""
    truth = np.concatenate([f.truth for f in folds])
    temps, logp = [], []
    for name in names:
        s = np.concatenate([f.scores[name] for f in folds])
        t, lp = _calibrated(s, truth)
        temps.append(t)
        logp.append(lp)
    logp = [np.maximum(lp, LOG_FLOOR) for lp in logp]
    ok = truth >= 0
    weights = blend_weights([lp[ok] for lp in logp], truth[ok]) if ok.sum() >= 5 else [1.0] * len(names)
    params_of = params_of or (lambda n: {})
    return Blend([make_candidate(n, params_of(n)) for n in names], temps, weights)


def _rerank_from(folds: list[FoldData], names: list[str], space, params_of=None) -> Reranked:
    """A re-ranker whose part temperatures and weights are fitted on ``folds`` (earlier ones)."""
    truth = np.concatenate([f.truth for f in folds])
    temps = [_calibrated(np.concatenate([f.scores[n] for f in folds]), truth)[0] for n in names]
    params_of = params_of or (lambda n: {})
    model = Reranked([make_candidate(n, params_of(n)) for n in names], temps, **params_of("reranked"))
    return model.learn([([f.scores[n] for n in names], f.context, f.truth) for f in folds], space)


def choose(
    folds: list[FoldData],
    base_names: list[str],
    route_precision: float,
    want_blend: bool = True,
    params_of=None,
    jur_of=None,
    select_on: str = "top1",
    space=None,
) -> Choice:
    """Score the candidates on folds 2..K, choose, calibrate the winner on all out-of-time rows."""
    t0 = time.perf_counter()
    scored = folds[1:] if len(folds) > 1 else folds
    results: dict[str, list[np.ndarray]] = {n: [] for n in base_names}
    blend_rank = []
    if want_blend and len(folds) > 1 and len(base_names) > 1:
        results["blend"] = []
        for k in range(1, len(folds)):
            blend = _blend_from(folds[:k], base_names, params_of)
            s = blend.combine([folds[k].scores[n] for n in base_names])
            folds[k].scores["blend"] = s
            blend_rank.append(ranks(s, folds[k].truth))
        results["blend"] = blend_rank
    if (
        space is not None
        and len(folds) > 1
        and len(base_names) > 1
        and all(f.context is not None for f in folds)
    ):
        results["reranked"] = []
        for k in range(1, len(folds)):  # taught by the folds before k only: all older than fold k
            model = _rerank_from(folds[:k], base_names, space, params_of)
            s = model.rescore([folds[k].scores[n] for n in base_names], folds[k].context, space)
            folds[k].scores["reranked"] = s
            results["reranked"].append(ranks(s, folds[k].truth))
    for name in base_names:
        results[name] = [ranks(f.scores[name], f.truth) for f in scored]
    table = []
    for name in [n for n in ORDER if n in results]:
        r = np.concatenate(results[name])
        row = {"name": name, **top_k(r), "n": int(len(r))}
        row["per_fold_top1"] = [top_k(x)["top1"] for x in results[name]]
        table.append(row)
    keys = select_on.split("+")  # "top1", or "top1+top3": the sum (a dispatcher shows three)
    best = max(
        table,
        key=lambda row: (
            round(sum(row[k] for k in keys), 4),
            row["top1"],
            row["top3"],
            -ORDER.index(row["name"]),
        ),
    )
    chosen = best["name"]
    blend_state = rerank_state = None
    if chosen == "reranked":
        final = _rerank_from(folds, base_names, space, params_of)  # the final model's: every fold
        rerank_state = {**final.params(), "features": feature_names(base_names)}
    if chosen == "blend":
        final = _blend_from(folds, base_names, params_of)  # weights for the final model: every fold
        blend_state = final.params()
    if chosen in ("blend", "reranked"):
        oot = np.concatenate([f.scores[chosen] for f in scored])
        truth = np.concatenate([f.truth for f in scored])
    else:
        oot = np.concatenate([f.scores[chosen] for f in folds])
        truth = np.concatenate([f.truth for f in folds])
    temperature, logp = _calibrated(oot, truth)
    proba = np.exp(logp)
    conf = proba.max(1).astype(np.float32)  # as saved: the threshold is re-cut on these (evaluate)
    rank = ranks(logp, truth)
    correct = rank == 0
    latest = len(folds[-1].rows)
    threshold = route_threshold(conf, correct, route_precision, latest)
    jurisdiction = None
    if jur_of is not None and (truth >= 0).any():
        ok = truth >= 0
        jurisdiction = round(float((jur_of[logp[ok].argmax(1)] == jur_of[truth[ok]]).sum() / len(truth)), 4)
    info = [
        {
            "n_train": f.n_train,
            "n_scored": int(len(f.rows)),
            "train_until": f.last_train_date,
            "scored_from": f.first_scored_date,
            "role": "teaches the blend and the re-ranker" if k == 0 and len(folds) > 1 else "scored",
        }
        for k, f in enumerate(folds)
    ]
    return Choice(
        chosen,
        table,
        info,
        blend_state,
        float(temperature),
        float(threshold),
        route_precision,
        conf.astype(np.float32),
        correct,
        rank.astype(np.int32),
        latest,
        time.perf_counter() - t0,
        jurisdiction_top1=jurisdiction,
        select_on=select_on,
        rerank=rerank_state,
    )


def route_at(confidence: np.ndarray, correct: np.ndarray, precision: float, z: float | None = None) -> dict:
    """The threshold reaching ``precision`` on (confidence, correct) (its Wilson lower bound
    with ``z``), the share at or above it and the precision reached there."""
    t = cal.review_threshold(np.asarray(confidence), np.asarray(correct), precision, z=z)
    return route_share(confidence, correct, t, precision)


def route_share(confidence, correct, threshold: float, target: float | None = None) -> dict:
    confidence, correct = np.asarray(confidence), np.asarray(correct, dtype=bool)
    routed = confidence >= threshold
    n = max(1, len(confidence))
    out = {
        "threshold": round(float(threshold), DIGITS) if threshold <= 1 else float(threshold),
        "share": round(float(routed.sum() / n), 4),
        "n_routed": int(routed.sum()),
        "precision": round(float(correct[routed].mean()), 4) if routed.any() else None,
    }
    if target is not None:
        out["target_precision"] = target
    return out


__all__ = [
    "DIGITS",
    "FLOOR",
    "Choice",
    "FoldData",
    "choose",
    "route_at",
    "route_share",
    "route_threshold",
    "time_folds",
]
