"""Vectors that issues are clustered and matched on: meaning + wording.

Why two channels: a sentence embedding groups complaints by *what* they are
about (noise, refunds, heating), but the issues a bulletin reports are usually
one place's problem ("丽发新城小区旁的搅拌站"), which shows in the *words* (the
compound's name) more than in the meaning. So each complaint gets

    v = [sqrt(w) * semantic, sqrt(1 - w) * lexical]        (rows of unit length)

where ``semantic`` comes from the shared embedder (``load_embedder``, cached on
disk) and ``lexical`` is TF-IDF (sublinear tf) over hashed character 2-3-grams
of the normalised text, kept sparse. Cosine of two such vectors is
``w * cos_semantic + (1 - w) * cos_lexical``. Measured on the 2019 real stream
(BENCHMARKS.md), a random projection of the lexical part to a few hundred
dimensions destroyed the place-level signal, so it stays sparse; HDBSCAN gets a
TruncatedSVD of it instead (``clustering.reduce``).

The lexical channel is stateless apart from its IDF (learned in ``fit``, saved
with the issue tracker), so next week's vectors are comparable with centroids
learned this week. ``embedder="none"`` drops the semantic channel (w = 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hotline_nlp.corpus.embedding import load_embedder
from hotline_nlp.corpus.text import normalise_many
from scipy import sparse

N_FEATURES = 2**20
# texts hashed at once: ~1.2 M characters, whose per-character arrays (uint64 codes,
# positions) peaked at 1.8 GB for a count task's 77,000 complaints hashed in one go
HASH_CHUNK = 4096
NO_EMBEDDER = "none"
# The sentence embedding's share of the vectors when an embedder is used (the rest
# is n-grams); the one default of ``Representation`` and ``HotspotConfig``.
SEMANTIC_WEIGHT = 0.3
# The lexical channel's feature definition; saved with the state so that a state
# built with another definition is refused instead of silently mismatched.
HASHING = "char-ngram-mul64-v1"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier (Knuth)
_CODE_BITS = np.uint64(21)  # every Unicode code point fits in 21 bits


def l2_rows(x: sparse.csr_matrix, copy: bool = True) -> sparse.csr_matrix:
    """Rows scaled to unit length (all-zero rows stay zero).

    Scales the values in place (of a copy unless ``copy=False``) instead of
    ``x.multiply(x)`` and a diagonal product: at a count task's 77,000
    complaints (48 M values) each extra copy is ~400 MB of a worker's peak."""
    x = sparse.csr_matrix(x, dtype=np.float32, copy=copy)
    x.sum_duplicates()
    lengths = np.diff(x.indptr)
    sq = np.zeros(x.shape[0], np.float32)
    full = np.flatnonzero(lengths)
    if full.size:
        sq[full] = np.add.reduceat(np.square(x.data), x.indptr[full])
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    x.data *= np.repeat(1.0 / norms, lengths)
    return x


def hash_char_ngrams(
    texts: list[str], ngram_range: tuple[int, int] = (2, 3), n_features: int = N_FEATURES
) -> sparse.csr_matrix:
    """Counts of hashed character n-grams, one CSR row per text (float32 counts,
    int32 column indices).

    Why not scikit-learn's ``HashingVectorizer(analyzer="char")``: it builds a
    Python string per n-gram and is the largest cost of a hotspot run at a
    million complaints. Here the n-grams of all texts are encoded at once as
    integers (21 bits per code point), mixed by one 64-bit multiplication and
    bucketed by their top bits; the features are the same character n-grams,
    about 4x faster (BENCHMARKS.md). Case is folded here (WIFI = wifi).
    """
    n = len(texts)
    bits = int(np.log2(n_features))
    if 2**bits != n_features:
        raise ValueError(f"n_features must be a power of two, got {n_features}")
    if n > HASH_CHUNK:  # the per-character arrays of a chunk, not of the whole batch, in memory
        parts = [
            hash_char_ngrams(texts[i : i + HASH_CHUNK], ngram_range, n_features)
            for i in range(0, n, HASH_CHUNK)
        ]
        return sparse.vstack(parts, format="csr")
    texts = [t.lower() for t in texts]
    lens = np.fromiter((len(t) for t in texts), np.int64, n)
    cp = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lens)))
    lo, hi = ngram_range
    per_doc, pieces = [], []
    for k in range(lo, hi + 1):
        m = np.maximum(lens - k + 1, 0)  # k-grams per text
        per_doc.append(m)
        if not m.sum():
            pieces.append((m, np.zeros(0, np.int32)))
            continue
        length = len(cp) - k + 1
        code = cp[:length].copy()
        for j in range(1, k):
            code = code * np.uint64(1 << int(_CODE_BITS)) + cp[j : j + length]
        code += np.uint64(k) << np.uint64(63 - 2)  # 2-grams and 3-grams never share a code
        h = ((code * _MIX) >> np.uint64(64 - bits)).astype(np.int32)
        # position of each text's k-grams in ``h``: they start where the text starts
        first = np.repeat(starts[:-1] - np.concatenate(([0], np.cumsum(m)[:-1])), m) + np.arange(m.sum())
        pieces.append((m, h[first]))
    counts = np.sum(per_doc, axis=0) if per_doc else np.zeros(n, np.int64)
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    offset = indptr[:-1].copy()
    for m, h in pieces:  # each text's 2-grams, then its 3-grams, in its own slot
        if m.sum():
            dest = np.repeat(offset - np.concatenate(([0], np.cumsum(m)[:-1])), m) + np.arange(m.sum())
            indices[dest] = h
        offset += m
    x = sparse.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(n, n_features))
    x.sum_duplicates()
    return x


def _resolve(embedder):
    if isinstance(embedder, str) and embedder.lower() == NO_EMBEDDER:
        return None
    if embedder is None or isinstance(embedder, (str, Path)):
        return load_embedder(embedder)
    return embedder


class Representation:
    """Estimator: ``fit(texts)`` learns the lexical IDF; ``transform(texts)`` gives a
    CSR matrix (n, embedder.dim + 2**20) of unit rows. ``embedder`` is a name for
    ``load_embedder`` (``None`` = bundled default), an embedder object, or ``"none"``.

    The work is split in two so that large windows can be processed partition
    by partition (``topics.engine``): ``raw(texts)`` gives what does not
    depend on the fit (n-gram counts, semantic vectors), ``fit_raw`` learns from
    accumulated document frequencies, and ``weigh(counts, semantic)`` turns raw
    into unit rows. Pickled (sent to a Dask worker), a representation whose
    embedder is a name leaves the loaded embedder behind and loads it there.
    """

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if state.get("embedder_") is not None and (
            self.embedder is None or isinstance(self.embedder, (str, Path))
        ):
            for k in ("embedder_", "weight_", "embedder_version_", "semantic_dim_"):
                state.pop(k, None)  # ``prepare`` sets them again on the worker
        return state

    def __init__(
        self,
        embedder=None,
        semantic_weight: float = SEMANTIC_WEIGHT,
        ngram_range: tuple[int, int] = (2, 3),
        cache: bool = True,
    ):
        self.embedder = embedder
        self.semantic_weight = semantic_weight
        self.ngram_range = ngram_range
        self.cache = cache

    def _set_embedder(self, emb) -> None:
        self.embedder_ = emb
        self.weight_ = float(self.semantic_weight) if emb is not None else 0.0
        self.embedder_version_ = str(getattr(emb, "version", NO_EMBEDDER)) if emb is not None else NO_EMBEDDER
        self.semantic_dim_ = int(emb.dim) if emb is not None else 0

    def prepare(self) -> Representation:
        """Load the embedder (once); needed before ``raw``."""
        if not hasattr(self, "embedder_"):
            self._set_embedder(_resolve(self.embedder))
        return self

    def raw(
        self, texts: list[str], show_progress: bool = False
    ) -> tuple[sparse.csr_matrix, np.ndarray | None]:
        """N-gram counts and (uncentred) semantic vectors of ``texts`` (already ``normalise``d)."""
        self.prepare()
        counts = hash_char_ngrams(texts, tuple(self.ngram_range), N_FEATURES)
        sem = None
        if self.embedder_ is not None:
            sem = np.asarray(
                self.embedder_.encode(texts, show_progress=show_progress, cache=self.cache), np.float32
            )
        return counts, sem

    def fit_raw(self, df: np.ndarray, n: int, semantic_mean: np.ndarray | None) -> Representation:
        """Learn the IDF from document frequencies over ``n`` texts and the
        semantic centre (mean raw vector)."""
        self.prepare()
        self.idf_ = (np.log((1.0 + n) / (1.0 + np.asarray(df, np.float64))) + 1.0).astype(np.float32)
        self.n_fit_ = int(n)
        # Sentence embeddings share one dominant direction (every complaint is "a
        # complaint": raw cosines ~0.6); centring on the history's mean makes
        # unrelated complaints ~0 and keeps same-issue ones ~0.5.
        self.center_ = None if semantic_mean is None else np.asarray(semantic_mean, np.float32)
        return self

    def fit(self, texts: list[str]) -> Representation:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: list[str], show_progress: bool = False) -> sparse.csr_matrix:
        """Learn the IDF and the semantic centre from ``texts`` and return their vectors."""
        counts, sem = self.raw(normalise_many(texts), show_progress)
        df = np.bincount(counts.indices, minlength=N_FEATURES)
        self.fit_raw(df, counts.shape[0], sem.mean(axis=0) if sem is not None and len(sem) else None)
        return self.weigh(counts, sem)

    def transform(self, texts: list[str], show_progress: bool = False) -> sparse.csr_matrix:
        if not hasattr(self, "idf_"):
            raise RuntimeError("Representation is not fitted; call fit(texts) first")
        if not len(texts):
            return sparse.csr_matrix((0, self.dim_), dtype=np.float32)
        return self.weigh(*self.raw(normalise_many(texts), show_progress))

    def weigh(
        self, counts: sparse.csr_matrix, sem: np.ndarray | None, copy: bool = True
    ) -> sparse.csr_matrix:
        """Unit rows from raw counts (sublinear tf x idf) and semantic vectors
        (centred). ``copy=False`` reuses ``counts``' float32 values (a caller that
        has no further use for them saves a copy of the largest array it holds)."""
        self.prepare()
        x = sparse.csr_matrix(counts, dtype=np.float32, copy=copy)
        np.log1p(x.data, out=x.data)  # sublinear tf: one phrase repeated is not many topics
        x.data *= self.idf_.astype(np.float32, copy=False)[x.indices]
        lex = l2_rows(x, copy=False)
        if sem is None or self.embedder_ is None:
            return lex
        if getattr(self, "center_", None) is not None:
            sem = sem - self.center_[None, :]
        norms = np.linalg.norm(sem, axis=1, keepdims=True)
        sem = np.divide(sem, norms, out=np.zeros_like(sem), where=norms > 0)
        return l2_rows(
            sparse.hstack(
                [
                    sparse.csr_matrix(sem * np.float32(np.sqrt(self.weight_))),
                    lex * np.float32(np.sqrt(1.0 - self.weight_)),
                ],
                format="csr",
            )
        )

    @property
    def dim_(self) -> int:
        return self.semantic_dim_ + N_FEATURES

    # -- persistence (json + npy, no pickle) -------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero(self.idf_ != self.idf_.max())  # store only features seen in fit
        np.save(directory / "idf_index.npy", nz.astype(np.int32))
        np.save(directory / "idf_value.npy", self.idf_[nz])
        if self.center_ is not None:
            np.save(directory / "semantic_center.npy", self.center_)
        meta = {
            "semantic_weight": self.semantic_weight,
            "ngram_range": list(self.ngram_range),
            "n_fit": self.n_fit_,
            "idf_unseen": float(self.idf_.max()),
            "hashing": HASHING,
            "embedder": None
            if self.embedder_ is None
            else str(getattr(self.embedder_, "name", self.embedder)),
            "embedder_version": self.embedder_version_,
        }
        (directory / "representation.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1), "utf-8"
        )

    @classmethod
    def load(cls, directory: Path, embedder=None) -> Representation:
        """Load a saved representation; ``embedder`` (object or name) overrides the
        saved name. Raises ``ValueError`` when the embedder's version differs from
        the one the state was built with (stored centroids would not match)."""
        meta = json.loads((directory / "representation.json").read_text("utf-8"))
        if meta.get("hashing") != HASHING:
            raise ValueError(
                f"{directory}: the issue state was built with another text hashing "
                f"({meta.get('hashing', 'scikit-learn HashingVectorizer')}, not {HASHING}); "
                "start a new --state-dir"
            )
        chosen = embedder if embedder is not None else (meta["embedder"] or NO_EMBEDDER)
        rep = cls(
            embedder=chosen, semantic_weight=meta["semantic_weight"], ngram_range=tuple(meta["ngram_range"])
        )
        idf = np.full(N_FEATURES, meta["idf_unseen"], dtype=np.float32)
        idf[np.load(directory / "idf_index.npy")] = np.load(directory / "idf_value.npy")
        rep.idf_, rep.n_fit_ = idf, meta["n_fit"]
        rep._set_embedder(_resolve(chosen))
        center = directory / "semantic_center.npy"
        rep.center_ = np.load(center) if center.is_file() else None
        if rep.embedder_version_ != meta["embedder_version"]:
            raise ValueError(
                f"{directory}: the issue state was built with embedder {meta['embedder_version']}, "
                f"not {rep.embedder_version_}; use the same --embedder or start a new --state-dir"
            )
        return rep
