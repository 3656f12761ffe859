"""Turning linear-model scores into confidences people can act on.

A LinearSVC's margins are not probabilities. Temperature scaling (one scalar
per level, fitted on out-of-fold scores) turns them into a softmax whose
confidence matches observed accuracy, without changing which class wins; it is
one number, so it cannot overfit a small city export. ``review_threshold`` then
picks, on the same out-of-fold predictions, the lowest confidence at which
accepted tags still reach the precision the hotline asks for (optionally its
Wilson lower bound, so that the cut holds on later complaints).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax


def fit_temperature(scores: np.ndarray, true_idx: np.ndarray) -> float:
    """Temperature T minimising the negative log-likelihood of softmax(scores / T)."""
    rows = np.arange(len(true_idx))

    def nll(log_t: float) -> float:
        return -log_softmax(scores / np.exp(log_t), axis=1)[rows, true_idx].mean()

    res = minimize_scalar(nll, bounds=(np.log(1e-3), np.log(1e2)), method="bounded")
    return float(np.exp(res.x))


def scaled_softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    return softmax(scores / temperature, axis=1)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by size."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - confidence[m].mean())
    return float(ece)


def wilson_lower(k: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    """One-sided Wilson score lower bound of a proportion k/n (``z``: 1.645 for 95 %)."""
    k, n = np.asarray(k, dtype=float), np.maximum(np.asarray(n, dtype=float), 1.0)
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


ABOVE_ALL = float(np.nextafter(1.0, 2.0))  # a threshold no probability reaches: review everything


def review_threshold(
    confidence: np.ndarray, correct: np.ndarray, target_precision: float, z: float | None = None
) -> float:
    """Smallest confidence t such that predictions with confidence >= t are correct
    at least ``target_precision`` of the time (0 when all of them already are;
    ``ABOVE_ALL``, just above 1, when no threshold reaches it, so that everything is sent
    to review, a confidence of exactly 1.0 included). Tied
    confidences are accepted or sent to review together, as ``>= t`` does.

    ``z``: require the Wilson lower bound of that precision (not the observed share) to
    reach the target, so that a threshold cut on a few hundred held-out rows still
    holds its precision on later ones (1.645: one-sided 95 %)."""
    order = np.argsort(-confidence, kind="stable")
    conf, ok = confidence[order], correct[order].astype(float)
    n = np.arange(1, len(ok) + 1)
    hits = np.cumsum(ok)
    precision = hits / n if z is None else wilson_lower(hits, n, z)
    # only the last of a run of equal confidences is a possible cut
    ends = np.r_[conf[1:] != conf[:-1], True] if len(conf) else np.zeros(0, dtype=bool)
    good = np.flatnonzero((precision >= target_precision) & ends)
    if len(good) == 0:
        return ABOVE_ALL
    last = good[-1]
    if last == len(conf) - 1:
        return 0.0
    return float(conf[last])
