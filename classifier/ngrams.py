"""Character n-gram TF-IDF at tagging time, vectorised with numpy.

scikit-learn's ``TfidfVectorizer.transform`` counts character n-grams in a
Python loop (one dict lookup per n-gram): about 90 % of tagging time on
400-character complaints. Here every text becomes an array of code points,
each n-gram an integer key (code points + 1 packed 21 bits apiece, so keys of
different lengths never collide), and the vocabulary a hash table of keys
(``corpus.keytable``): counting is one bulk lookup per n over all texts at once. The result equals the
fitted ``TfidfVectorizer``'s (``analyzer="char"``, lowercase, sublinear tf,
smooth idf, l2 rows), which ``tests/test_tagging_selection.py`` checks.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from hotline_nlp.corpus.keytable import KeyTable

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
        terms = [t for t in vocabulary if len(t) > 1]
        self.table = KeyTable(term_keys(terms), [vocabulary[t] for t in terms])
        # single characters: a direct table by code point + 1
        self.unigram = np.full(0x110001, -1, dtype=np.int64)
        singles = [t for t in vocabulary if len(t) == 1]
        self.unigram[term_keys(singles).astype(np.int64)] = [vocabulary[t] for t in singles]
        self.n_features = len(vocabulary)
        self.ngram_max = ngram_max

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        return count_matrix(*self.hits(texts), len(texts), self.n_features)

    def hits(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(text, column) of every vocabulary n-gram occurrence."""
        texts = [_WHITE.sub(" ", t.lower()) if "  " in t or not t.isprintable() else t.lower() for t in texts]
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
            col = self.unigram[key[valid].astype(np.int64)] if n == 1 else self.table.get(key[valid])
            hit = col >= 0
            rows.append(doc[:m][valid][hit])
            cols.append(col[hit])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        return r, c

    def tfidf(self, texts: list[str], idf: np.ndarray) -> sp.csr_matrix:
        """Sublinear tf x idf, l2-normalised rows (as the fitted TfidfVectorizer)."""
        return tfidf_matrix(*self.hits(texts), len(texts), idf)


def count_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Occurrences (row, column) counted into a CSR matrix (columns sorted in each row)."""
    counts, indices, indptr = _counts(rows, cols, n_rows, n_cols)
    return sp.csr_matrix((counts.astype(np.float64), indices, indptr), shape=(n_rows, n_cols))


def _counts(rows, cols, n_rows, n_cols):
    # one sortable key per occurrence; 32-bit when it fits (sorts ~1.7x faster)
    dtype = np.int32 if (n_rows + 1) * n_cols < 2**31 else np.int64
    key = np.sort(rows.astype(dtype) * dtype(n_cols) + cols.astype(dtype))
    new = np.ones(len(key), dtype=bool)
    new[1:] = key[1:] != key[:-1]
    uniq = key[new]
    counts = np.diff(np.append(np.flatnonzero(new), len(key)))
    indptr = np.searchsorted(uniq, np.arange(n_rows + 1, dtype=np.int64) * n_cols)
    return counts, (uniq % n_cols).astype(np.int32), indptr.astype(np.int32)


def tfidf_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, idf: np.ndarray) -> sp.csr_matrix:
    """Counts of (row, column) occurrences weighed as the fitted TfidfVectorizer
    does: sublinear tf (1 + log count) x idf, rows scaled to unit l2 norm; float32."""
    counts, indices, indptr = _counts(rows, cols, n_rows, len(idf))
    data = (1.0 + np.log(counts)) * np.asarray(idf, dtype=np.float64)[indices]
    row_of = np.repeat(np.arange(n_rows), np.diff(indptr))
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n_rows))
    norms[norms == 0] = 1.0
    data /= norms[row_of]
    return sp.csr_matrix((data.astype(np.float32), indices, indptr), shape=(n_rows, len(idf)))
