"""Figures that say how far an evaluation can be trusted.

A macro-F1 measured on a few hundred complaints moves by a point or two with
the sample: ``bootstrap_interval`` gives the 95 % range (resampling rows with
replacement). ``confused_pairs`` shows where the errors are, with examples a
person can read; ``reliability_table`` shows whether "confidence 0.9" means
right nine times in ten; ``review_check`` measures the precision the
``needs_review`` threshold actually reaches on these rows.
"""

from __future__ import annotations

import numpy as np

N_BOOT = 1000


def _macro_f1(t: np.ndarray, p: np.ndarray, k: int) -> float:
    """Macro-F1 over the classes present in ``t`` (integer codes below ``k``),
    as sklearn's ``f1_score(average="macro", labels=present)``, in O(n)."""
    tp = np.bincount(t[t == p], minlength=k)
    support, predicted = np.bincount(t, minlength=k), np.bincount(p, minlength=k)
    denom = support + predicted
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[support > 0].mean())


def bootstrap_interval(y_true, y_pred, *, n_boot: int = N_BOOT, level: float = 0.95, seed: int = 0) -> dict:
    """Percentile bootstrap intervals of accuracy and macro-F1 (rows resampled)."""
    labels, codes = np.unique(
        np.concatenate([np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)]), return_inverse=True
    )
    t, p, k = codes[: len(codes) // 2], codes[len(codes) // 2 :], len(labels)
    rng = np.random.default_rng(seed)
    acc, mf1 = np.empty(n_boot), np.empty(n_boot)
    correct = t == p
    for b in range(n_boot):
        idx = rng.integers(0, len(t), len(t))
        acc[b] = correct[idx].mean()
        mf1[b] = _macro_f1(t[idx], p[idx], k)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {
        "level": level,
        "n_boot": n_boot,
        "accuracy": [round(float(np.percentile(acc, lo)), 4), round(float(np.percentile(acc, hi)), 4)],
        "macro_f1": [round(float(np.percentile(mf1, lo)), 4), round(float(np.percentile(mf1, hi)), 4)],
    }


def confused_pairs(y_true, y_pred, texts, *, top: int = 5, examples: int = 3, chars: int = 80) -> list[dict]:
    """The most frequent (true, predicted) error pairs, each with a few example texts."""
    t, p = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)
    wrong = np.flatnonzero(t != p)
    pairs: dict[tuple[str, str], list[int]] = {}
    for i in wrong:
        pairs.setdefault((t[i], p[i]), []).append(int(i))
    ranked = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    return [
        {
            "true": a,
            "predicted": b,
            "count": len(rows),
            "examples": [" ".join(str(texts[i]).split())[:chars] for i in rows[:examples]],
        }
        for (a, b), rows in ranked
    ]


def reliability_table(confidence, correct, bins: int = 10) -> list[dict]:
    """Per equal-width confidence bin: rows, mean confidence, accuracy (empty bins left out)."""
    conf, ok = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=bool)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "n": int(m.sum()),
                    "confidence": round(float(conf[m].mean()), 4),
                    "accuracy": round(float(ok[m].mean()), 4),
                }
            )
    return out


def review_check(needs_review, correct, target: float) -> dict:
    """Precision of the tags accepted without review, against the target it was set for."""
    review, ok = np.asarray(needs_review, dtype=bool), np.asarray(correct, dtype=bool)
    accepted = ~review
    precision = float(ok[accepted].mean()) if accepted.any() else None
    return {
        "target_precision": target,
        "accepted": int(accepted.sum()),
        "sent_to_review": int(review.sum()),
        "precision_accepted": round(precision, 4) if precision is not None else None,
        "met": bool(precision is not None and precision >= target),
    }
