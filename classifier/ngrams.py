"""Character n-gram TF-IDF at tagging time, vectorised with numpy.

scikit-learn's ``TfidfVectorizer.transform`` counts character n-grams in a
Python loop (one dict lookup per n-gram): about 90 % of tagging time on
400-character complaints. Here every text becomes an array of code points,
each n-gram an integer key (code points + 1 packed 21 bits apiece, so keys of
different lengths never collide), and the vocabulary a sorted key array:
counting is one ``searchsorted`` over all texts at once. The result equals the
fitted ``TfidfVectorizer``'s (``analyzer="char"``, lowercase, sublinear tf,
smooth idf, l2 rows), which ``tests/test_tagging_selection.py`` checks.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

_WHITE = re.compile(r"\s\s+")  # what sklearn's char analyzer collapses
BITS = 21  # code points are below 0x110000 < 2**21


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points + 1 of all texts, concatenated, and each text's start offset."""
    joined = "".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=starts[1:])
    return cps, starts


def term_keys(terms) -> np.ndarray:
    """Integer key of each n-gram string (as ``_keys`` computes them in texts)."""
    out = np.empty(len(terms), dtype=np.uint64)
    for i, term in enumerate(terms):
        key = 0
        for ch in term:
            key = (key << BITS) | (ord(ch) + 1)
        out[i] = key
    return out


class CharNgramCounter:
    """Counts of a fixed char n-gram vocabulary in texts, without a Python loop per n-gram."""

    def __init__(self, vocabulary: dict[str, int], ngram_max: int):
        terms = list(vocabulary)
        keys = term_keys(terms)
        order = np.argsort(keys)
        self.keys = keys[order]
        self.columns = np.array([vocabulary[terms[i]] for i in order], dtype=np.int64)
        self.n_features = len(vocabulary)
        self.ngram_max = ngram_max

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        texts = [_WHITE.sub(" ", t.lower()) for t in texts]
        cps, starts = _codes(texts)
        doc = np.repeat(np.arange(len(texts)), np.diff(starts))
        rows, cols = [], []
        key = np.zeros(len(cps), dtype=np.uint64)
        for n in range(1, self.ngram_max + 1):
            m = len(cps) - n + 1
            if m <= 0:
                break
            key = (key[:m] << np.uint64(BITS)) | cps[n - 1 : n - 1 + m]
            valid = doc[:m] == doc[n - 1 : n - 1 + m]  # the n-gram stays inside one text
            k = key[valid]
            pos = np.searchsorted(self.keys, k)
            pos[pos == len(self.keys)] = 0
            hit = self.keys[pos] == k if len(self.keys) else np.zeros(len(k), dtype=bool)
            rows.append(doc[:m][valid][hit])
            cols.append(self.columns[pos[hit]])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        out = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(len(texts), self.n_features))
        out.sum_duplicates()
        return out

    def tfidf(self, texts: list[str], idf: np.ndarray) -> sp.csr_matrix:
        """Sublinear tf x idf, l2-normalised rows (as the fitted TfidfVectorizer)."""
        m = self.counts(texts)
        m.data = 1.0 + np.log(m.data)
        m = m.multiply(np.asarray(idf, dtype=np.float64)).tocsr()
        return normalize(m, norm="l2").astype(np.float32)
