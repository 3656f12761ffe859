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
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from hotline_nlp.corpus.text import normalise

N_FEATURES = 2**20
NO_EMBEDDER = "none"


def l2_rows(x: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    x = sparse.csr_matrix(x, dtype=np.float32)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags((1.0 / norms).astype(np.float32)) @ x)


def _resolve(embedder):
    if isinstance(embedder, str) and embedder.lower() == NO_EMBEDDER:
        return None
    if embedder is None or isinstance(embedder, (str, Path)):
        from hotline_nlp.corpus.embedding import load_embedder

        return load_embedder(embedder)
    return embedder


class Representation:
    """Estimator: ``fit(texts)`` learns the lexical IDF; ``transform(texts)`` gives a
    CSR matrix (n, embedder.dim + 2**20) of unit rows. ``embedder`` is a name for
    ``load_embedder`` (``None`` = bundled default), an embedder object, or ``"none"``."""

    def __init__(self, embedder=None, semantic_weight: float = 0.5,
                 ngram_range: tuple[int, int] = (2, 3), cache: bool = True):
        self.embedder = embedder
        self.semantic_weight = semantic_weight
        self.ngram_range = ngram_range
        self.cache = cache

    def _hasher(self) -> HashingVectorizer:
        return HashingVectorizer(analyzer="char", ngram_range=tuple(self.ngram_range), n_features=N_FEATURES,
                                 alternate_sign=False, norm=None, lowercase=True)

    def _set_embedder(self, emb) -> None:
        self.embedder_ = emb
        self.weight_ = float(self.semantic_weight) if emb is not None else 0.0
        self.embedder_version_ = str(getattr(emb, "version", NO_EMBEDDER)) if emb is not None else NO_EMBEDDER
        self.semantic_dim_ = int(emb.dim) if emb is not None else 0

    def fit(self, texts: list[str]) -> "Representation":
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: list[str], show_progress: bool = False) -> sparse.csr_matrix:
        """Learn the IDF and the semantic centre from ``texts`` and return their vectors."""
        texts = [normalise(t) for t in texts]
        counts = self._hasher().transform(texts)
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float64)
        n = counts.shape[0]
        self.idf_ = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.n_fit_ = int(n)
        self._set_embedder(_resolve(self.embedder))
        sem = self._semantic_raw(texts, show_progress)
        # Sentence embeddings share one dominant direction (every complaint is "a
        # complaint": raw cosines ~0.6); centring on the history's mean makes
        # unrelated complaints ~0 and keeps same-issue ones ~0.5.
        self.center_ = sem.mean(axis=0) if sem is not None and len(sem) else None
        return self._combine(self._semantic(sem), self._weigh(counts))

    def _semantic_raw(self, texts: list[str], show_progress: bool = False) -> np.ndarray | None:
        if self.embedder_ is None:
            return None
        return np.asarray(self.embedder_.encode(texts, show_progress=show_progress, cache=self.cache), np.float32)

    def _semantic(self, sem: np.ndarray | None) -> np.ndarray | None:
        if sem is None:
            return None
        if getattr(self, "center_", None) is not None:
            sem = sem - self.center_[None, :]
        norms = np.linalg.norm(sem, axis=1, keepdims=True)
        return np.divide(sem, norms, out=np.zeros_like(sem), where=norms > 0)

    def _combine(self, sem: np.ndarray | None, lex: sparse.csr_matrix) -> sparse.csr_matrix:
        if sem is None:
            return lex
        return l2_rows(sparse.hstack([sparse.csr_matrix(sem * np.float32(np.sqrt(self.weight_))),
                                      lex * np.float32(np.sqrt(1.0 - self.weight_))], format="csr"))

    def lexical(self, texts: list[str]) -> sparse.csr_matrix:
        return self._weigh(self._hasher().transform(texts))

    def _weigh(self, counts) -> sparse.csr_matrix:
        x = sparse.csr_matrix(counts, dtype=np.float32)
        x.data = np.log1p(x.data)  # sublinear tf: one phrase repeated is not many topics
        return l2_rows(x.multiply(self.idf_[None, :]).tocsr())

    def transform(self, texts: list[str], show_progress: bool = False) -> sparse.csr_matrix:
        if not hasattr(self, "idf_"):
            raise RuntimeError("Representation is not fitted; call fit(texts) first")
        texts = [normalise(t) for t in texts]
        if not texts:
            return sparse.csr_matrix((0, self.dim_), dtype=np.float32)
        return self._combine(self._semantic(self._semantic_raw(texts, show_progress)), self.lexical(texts))

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
        meta = {"semantic_weight": self.semantic_weight, "ngram_range": list(self.ngram_range),
                "n_fit": self.n_fit_, "idf_unseen": float(self.idf_.max()),
                "embedder": None if self.embedder_ is None else str(getattr(self.embedder_, "name", self.embedder)),
                "embedder_version": self.embedder_version_}
        (directory / "representation.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")

    @classmethod
    def load(cls, directory: Path, embedder=None) -> "Representation":
        """Load a saved representation; ``embedder`` (object or name) overrides the
        saved name. Raises ``ValueError`` when the embedder's version differs from
        the one the state was built with (stored centroids would not match)."""
        meta = json.loads((directory / "representation.json").read_text("utf-8"))
        chosen = embedder if embedder is not None else (meta["embedder"] or NO_EMBEDDER)
        rep = cls(embedder=chosen, semantic_weight=meta["semantic_weight"], ngram_range=tuple(meta["ngram_range"]))
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
