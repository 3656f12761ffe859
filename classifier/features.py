"""Turn complaint texts into the feature matrix the linear models read.

Two sparse blocks, measured on the real zhwz2020 data to beat a plain TF-IDF
(see BENCHMARKS.md): jieba word unigrams (with the domain dictionary, so 充电桩
and 测温退费 are single features) and character 1-2-grams (robust to typos such
as 物叶 for 物业 and to words jieba splits differently). Word bigrams were
measured and hurt. An optional dense block appends sentence embeddings from
``corpus.embedding``.

The fitted state is plain data (vocabularies and idf weights), so a saved model
is JSON and ``.npy`` files, never a pickle.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hotline_nlp.classifier.ngrams import CharNgramCounter, tfidf_matrix
from hotline_nlp.corpus.lattice import char_chunks
from hotline_nlp.corpus.resources import task_threads
from hotline_nlp.corpus.text import normalise, normalise_many, segment_many, segment_words, word_lattice
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

_PARALLEL_CHARS = 20_000  # below this many characters a second thread costs more than it saves
_pool_lock = threading.Lock()
_pool_ = None


def _pool() -> ThreadPoolExecutor:
    """Worker threads for the whole process (starting threads per call costs ~0.3 ms):
    a batch's second half and its sentence vectors run beside the first half.
    Not used where ``task_threads()`` is 1 (one core, or a one-thread Dask worker)."""
    global _pool_
    with _pool_lock:
        # a forked child inherits the executor but not its threads: it needs its own
        if _pool_ is None or _pool_[0] != os.getpid():
            _pool_ = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="features"))
    return _pool_[1]


def _identity(x):
    return x


def _word_vectorizer(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, dtype=np.float32)


def _char_vectorizer(ngram_max: int, min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, ngram_max),
        sublinear_tf=True,
        min_df=min_df,
        lowercase=True,
        dtype=np.float32,
    )


class TextFeatures(TransformerMixin, BaseEstimator):
    """Word + character TF-IDF (+ optional sentence embeddings) for complaint texts.

    Parameters
    ----------
    char_ngram_max : longest character n-gram (2 measured best with words beside it).
    min_df : drop terms seen in fewer documents (keeps models small on big exports).
    embedder : name or directory of a sentence embedder (``corpus.embedding``), or
        None for sparse features only.
    embedding_weight : scale of the dense block relative to each unit-norm sparse block.
    """

    def __init__(
        self,
        char_ngram_max: int = 2,
        min_df: int = 1,
        embedder: str | None = None,
        embedding_weight: float = 1.0,
    ):
        self.char_ngram_max = char_ngram_max
        self.min_df = min_df
        self.embedder = embedder
        self.embedding_weight = embedding_weight

    # -- fitting -----------------------------------------------------------
    def fit(self, texts, y=None, unlabeled=None):
        """Learn vocabularies (from ``texts``) and idf weights.

        ``unlabeled``: more of the city's text without labels. Its words do not
        join the vocabulary (no labelled row could weigh them), but it counts
        in the document frequencies, so the idf reflects the whole export.
        """
        texts = [normalise(t) for t in texts]
        words = segment_many(texts, normalised=True)
        self.word_ = _word_vectorizer(self.min_df).fit(words)
        self.char_ = _char_vectorizer(self.char_ngram_max, self.min_df).fit(texts)
        if unlabeled is not None and len(unlabeled):
            extra = [normalise(t) for t in unlabeled]
            extra_words = segment_many(extra, normalised=True)
            for vec, docs, more in ((self.word_, words, extra_words), (self.char_, texts, extra)):
                counter = CountVectorizer(
                    analyzer=vec.analyzer,
                    ngram_range=vec.ngram_range,
                    lowercase=vec.lowercase,
                    vocabulary=vec.vocabulary_,
                    dtype=np.float64,
                )
                df = np.bincount(counter.transform(list(docs) + list(more)).indices, minlength=len(vec.idf_))
                vec.idf_ = (np.log((1 + len(docs) + len(more)) / (1 + df)) + 1.0).astype(np.float32)
        self.embedder_ = self._load_embedder() if self.embedder and self.embedding_weight else None
        self.n_features_out_ = (
            len(self.word_.vocabulary_)
            + len(self.char_.vocabulary_)
            + (self.embedder_.dim if self.embedder_ is not None else 0)
        )
        return self

    def transform(self, texts):
        check_is_fitted(self, "word_")
        texts = normalise_many(texts)
        dense = None
        if self.embedder_ is not None and sum(map(len, texts)) >= _PARALLEL_CHARS and task_threads() > 1:
            dense = _pool().submit(self.embedder_.encode, texts, show_progress=False)  # beside the rest
        blocks = self._sparse_blocks(texts) or self._sparse_blocks_plain(texts)
        if self.embedder_ is not None:
            dense = dense.result() if dense is not None else self.embedder_.encode(texts, show_progress=False)
            blocks.append(sp.csr_matrix(self.embedding_weight * dense.astype(np.float32)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _sparse_blocks(self, texts: list[str]):
        """Word and character TF-IDF, both counted in numpy: the words by the
        segmenter's numpy search (``corpus.lattice``), mapped to columns by piece
        id. None where that does not apply (then ``_sparse_blocks_plain``, the
        same matrices; ``tests/test_tagging_speed_path.py`` checks they agree)."""
        if self.char_ngram_max > 3:
            return None
        if word_lattice() is None:
            return None
        sizes = np.cumsum([len(t) for t in texts])
        if len(texts) < 2 or sizes[-1] < _PARALLEL_CHARS or task_threads() < 2:
            return self._blocks(texts)
        # a batch: its second half (by characters) in a second thread (numpy
        # releases the GIL in its long loops), so both cores work; rows are
        # independent, so the halves stack into the same matrices
        half = min(int(np.searchsorted(sizes, sizes[-1] / 2)) + 1, len(texts) - 1)
        theirs = _pool().submit(self._blocks, texts[half:])
        mine = self._blocks(texts[:half])
        return [sp.vstack([a, b], format="csr") for a, b in zip(mine, theirs.result())]

    def _blocks(self, texts: list[str]):
        """Both blocks, a bounded number of characters at a time (memory stays flat
        on long texts)."""
        parts = []
        for a, b in char_chunks(texts):
            part = texts[a:b]
            parts.append([self._word_tfidf(segment_words(part)), self._char_tfidf(part)])
        if len(parts) == 1:
            return parts[0]
        return [sp.vstack(blocks, format="csr") for blocks in zip(*parts)]

    def _sparse_blocks_plain(self, texts: list[str]):
        """The blocks by scikit-learn's vectorizers over the tokenizer's words."""
        # Segmentation runs in Rust without the GIL: overlap it with the
        # character n-grams, so both cores work.
        if task_threads() < 2:
            words = segment_many(texts, normalised=True, plain=True)
            return [self.word_.transform(words), self.char_.transform(texts)]
        with ThreadPoolExecutor(max_workers=1) as pool:
            words = pool.submit(segment_many, texts, normalised=True, plain=True)
            chars = self.char_.transform(texts)
            return [self.word_.transform(words.result()), chars]

    def _word_tfidf(self, words):
        vocab = self.word_.vocabulary_
        n, lut = getattr(self, "_word_columns", (None, None))
        if n != len(vocab):
            lat = word_lattice()
            ids = lat.piece_ids()
            lut = np.full(len(lat.pieces), -1, dtype=np.int64)
            for term, col in vocab.items():
                pid = ids.get(term)
                if pid is not None:
                    lut[pid] = col
            self._word_columns = (len(vocab), lut)  # one attribute: threads may tag at once
        cols = lut[np.maximum(words.piece, 0)]
        cols[words.piece < 0] = -1
        for i, s in words.special.items():
            cols[i] = vocab.get(s, -1)
        hit = cols >= 0
        return tfidf_matrix(words.doc[hit], cols[hit], words.n_texts, self.word_.idf_)

    def _char_tfidf(self, texts: list[str]):
        """The character block: the numpy counter (``classifier.ngrams``, same
        result, several times faster) where n-grams fit its 63-bit keys."""
        if self.char_ngram_max > 3:
            return self.char_.transform(texts)
        counter = getattr(self, "_char_counter", None)
        if counter is None or counter.n_features != len(self.char_.vocabulary_):
            counter = self._char_counter = CharNgramCounter(self.char_.vocabulary_, self.char_ngram_max)
        return counter.tfidf(texts, self.char_.idf_)

    def _load_embedder(self):
        from hotline_nlp.corpus.embedding import load_embedder

        return load_embedder(self.embedder)

    # -- persistence (plain data, no pickle) ---------------------------------
    def save(self, directory: Path) -> None:
        check_is_fitted(self, "word_")
        directory.mkdir(parents=True, exist_ok=True)
        for name, vec in (("word", self.word_), ("char", self.char_)):
            vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
            (directory / f"{name}_vocab.json").write_text(
                json.dumps(vocab, ensure_ascii=False), encoding="utf-8"
            )
            np.save(directory / f"{name}_idf.npy", vec.idf_.astype(np.float32), allow_pickle=False)
        params = self.get_params()
        if self.embedder_ is not None:
            params["embedder_version"] = self.embedder_.version
        (directory / "features.json").write_text(
            json.dumps(params, ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> TextFeatures:
        params = json.loads((directory / "features.json").read_text(encoding="utf-8"))
        embedder_version = params.pop("embedder_version", None)
        self = cls(**params)
        self.word_ = _restore(_word_vectorizer(self.min_df), directory, "word")
        self.char_ = _restore(_char_vectorizer(self.char_ngram_max, self.min_df), directory, "char")
        self.embedder_ = self._load_embedder() if self.embedder and self.embedding_weight else None
        if self.embedder_ is not None and embedder_version and self.embedder_.version != embedder_version:
            raise ValueError(
                f"{directory}: model was trained with embedder version {embedder_version}, "
                f"but {self.embedder} is now {self.embedder_.version}; retrain the model"
            )
        self.n_features_out_ = (
            len(self.word_.vocabulary_)
            + len(self.char_.vocabulary_)
            + (self.embedder_.dim if self.embedder_ is not None else 0)
        )
        return self


class FoldFeatures:
    """Cross-validation features without refitting ``TextFeatures`` per fold.

    Honest out-of-fold metrics need the vocabulary and idf learned from each
    fold's training rows only. Refitting segments and counts every text again
    per fold (about 40 s more on the 7,251-row demo corpus); but the counts
    and the sentence vectors do not depend on the fold, only which terms are
    kept and their idf do. So the counts are made once over all rows with the
    same analysers, and ``split`` applies a fold's vocabulary and idf exactly
    as ``TfidfVectorizer`` would (smooth idf, sublinear tf, l2 rows): the
    result equals ``TextFeatures`` fitted on the training rows
    (``tests/test_classifier.py`` checks it).
    """

    def __init__(self, features: TextFeatures, texts, unlabeled=None, dense=None):
        """``unlabeled`` texts count in every fold's idf (as in ``TextFeatures.fit``);
        ``dense``: the texts' sentence vectors when the caller already has them
        (unweighted; ``features.embedding_weight`` is applied here)."""
        texts = [normalise(t) for t in texts]
        self.n = len(texts)
        if unlabeled is not None and len(unlabeled):
            texts = texts + [normalise(t) for t in unlabeled]
        f = features
        self.min_df = f.min_df
        words = CountVectorizer(analyzer=_identity, dtype=np.float64)
        chars = CountVectorizer(
            analyzer="char", ngram_range=(1, f.char_ngram_max), lowercase=True, dtype=np.float64
        )
        self.counts = [
            words.fit_transform(segment_many(texts, normalised=True)).tocsr(),
            chars.fit_transform(texts).tocsr(),
        ]
        self.dense = None
        if f.embedder and f.embedding_weight:
            if dense is None:
                dense = f._load_embedder().encode(texts[: self.n], show_progress=False)
            self.dense = f.embedding_weight * np.asarray(dense, dtype=np.float32)

    def _block(self, counts, tr, te):
        """TF-IDF of rows ``tr`` and ``te`` with the vocabulary of rows ``tr`` and
        the idf of rows ``tr`` plus the unlabelled rows."""
        df = np.bincount(counts[tr].indices, minlength=counts.shape[1])
        keep = np.flatnonzero(df >= max(self.min_df, 1))
        n_docs = len(tr)
        if counts.shape[0] > self.n:
            df = df + np.bincount(counts[self.n :].indices, minlength=counts.shape[1])
            n_docs += counts.shape[0] - self.n
        idf = np.log((1 + n_docs) / (1 + df[keep])) + 1.0
        out = []
        for rows in (tr, te):
            m = counts[rows][:, keep].tocsr()
            m.data = 1.0 + np.log(m.data)
            out.append(normalize(m.multiply(idf).tocsr(), norm="l2").astype(np.float32))
        return out

    def split(self, tr, te) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(training rows, held-out rows) as ``TextFeatures`` fitted on ``tr`` would give them."""
        tr, te = np.asarray(tr), np.asarray(te)
        blocks = [self._block(c, tr, te) for c in self.counts]
        parts_tr, parts_te = [b[0] for b in blocks], [b[1] for b in blocks]
        if self.dense is not None:
            parts_tr.append(sp.csr_matrix(self.dense[tr]))
            parts_te.append(sp.csr_matrix(self.dense[te]))
        return (
            sp.hstack(parts_tr, format="csr", dtype=np.float32),
            sp.hstack(parts_te, format="csr", dtype=np.float32),
        )


def _restore(vec: TfidfVectorizer, directory: Path, name: str) -> TfidfVectorizer:
    vocab = json.loads((directory / f"{name}_vocab.json").read_text(encoding="utf-8"))
    vec.vocabulary_ = {term: i for i, term in enumerate(vocab)}
    vec.idf_ = np.load(directory / f"{name}_idf.npy", allow_pickle=False)
    if len(vec.idf_) != len(vocab):
        raise ValueError(f"{directory}: {name} vocabulary and idf sizes differ")
    return vec
