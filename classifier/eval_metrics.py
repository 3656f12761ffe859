"""Evaluation figures, in the shape ``hotline-nlp evaluate --format json`` prints."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def level_metrics(y_true, y_pred, *, confusion: bool = False) -> dict:
    """n, accuracy, macro-F1, per-class precision/recall/F1/support (and the
    confusion matrix with its label order when asked)."""
    y_true, y_pred = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    out = {
        "n": int(len(y_true)),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(
            float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0)), 4
        ),
        "per_class": {
            lab: {
                "precision": round(float(pi), 4),
                "recall": round(float(ri), 4),
                "f1": round(float(fi), 4),
                "support": int(si),
            }
            for lab, pi, ri, fi, si in zip(labels, p, r, f, s)
        },
    }
    if confusion:
        out["confusion"] = {
            "labels": labels,
            "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        }
    return out
