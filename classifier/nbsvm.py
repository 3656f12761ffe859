"""NB-SVM (Wang & Manning 2012): a linear SVM on features scaled by naive Bayes log-count ratios.

For each class c, every sparse column j is scaled by r_cj = log(p_cj / |p_c|) -
log(q_cj / |q_c|), where p_c and q_c count (smoothed) the rows with and without
class c that contain term j; a binary LinearSVC then learns on the scaled
features. Terms that separate c from the rest start out loud, so on short,
keyword-driven texts the SVM needs less evidence to trust them: differently
biased from the plain SVM, and its errors differ. Measured on the dev part of
zhwz2020 (5-fold CV, macro-F1): SVM 0.897, NB-SVM 0.905, their average 0.908.

The model is linear in the *unscaled* features (w_c * r_c), so ``nbsvm_coef``
returns an ordinary coefficient matrix: blended into ``LinearLevel``, tagging
speed and the saved format do not change. The last ``dense_dim`` columns
(signed sentence vectors) are not scaled (r = 1).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

ALPHA = 1.0  # Laplace smoothing of the term counts (Wang & Manning's setting)


def log_count_ratios(X, y: np.ndarray, classes: np.ndarray, dense_dim: int = 0) -> np.ndarray:
    """r, one row per class: the log-count ratio of each sparse column (dense columns 1)."""
    n_sparse = X.shape[1] - dense_dim
    present = sp.csr_matrix(X[:, :n_sparse], copy=True)
    present.data = (present.data != 0).astype(np.float64)
    # per-class counts of rows containing each term, in one sparse product
    onehot = sp.csr_matrix((np.ones(len(y)), (np.searchsorted(classes, y), np.arange(len(y)))))
    onehot.resize((len(classes), len(y)))
    per_class = np.asarray((onehot @ present).todense())
    total = per_class.sum(0)
    r = np.ones((len(classes), X.shape[1]))
    for c in range(len(classes)):
        p = ALPHA + per_class[c]
        q = ALPHA + total - per_class[c]
        r[c, :n_sparse] = np.log(p / p.sum()) - np.log(q / q.sum())
    return r


def nbsvm_coef(
    X, y, classes: np.ndarray, *, C: float = 1.0, class_weight="balanced", dense_dim: int = 0, random_state=0
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest NB-SVM; returns (coef, intercept) over the unscaled columns of ``X``."""
    y = np.asarray(y).astype(str)
    classes = np.asarray(classes).astype(str)
    r = log_count_ratios(X, y, classes, dense_dim)
    coef = np.zeros((len(classes), X.shape[1]))
    intercept = np.zeros(len(classes))
    for c, name in enumerate(classes):
        scaled = sp.csr_matrix(X).multiply(r[c]).tocsr()
        svc = LinearSVC(C=C, class_weight=class_weight, max_iter=5000, random_state=random_state)
        svc.fit(scaled, y == name)
        coef[c] = svc.coef_[0] * r[c]
        intercept[c] = svc.intercept_[0]
    return coef, intercept
