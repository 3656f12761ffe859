"""Large-window machinery: hashed n-grams, threaded matching and the
candidate-pruned repeat check, each checked against a plain reference
computation. (The week blocks spilled to disk are gone: Dask holds the data,
see test_dask_hotspots.py.)"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.corpus.text import normalise
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics import complaint_vectors as cv
from hotline_nlp.topics.complaint_vectors import Representation, hash_char_ngrams, l2_rows
from hotline_nlp.topics.dedup import check_repeats
from hotline_nlp.topics.engine.pieces import check_frame
from test_topics_hotspots import make_stream


def _ngram_cosine(a: str, b: str) -> float:
    ca, cb = (
        Counter(t[i : i + n] for n in (2, 3) for i in range(len(t) - n + 1)) for t in (a.lower(), b.lower())
    )
    dot = sum(v * cb[k] for k, v in ca.items())
    return dot / np.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


def test_hashing_in_chunks_and_in_place_scaling_change_nothing(monkeypatch):
    texts = ["阳光小区暖气不热", "", "WiFi信号差wifi", "好", "公交车甩站", "阳光小区暖气不热，室温十二度"] * 3
    whole = hash_char_ngrams(texts)
    monkeypatch.setattr(cv, "HASH_CHUNK", 4)  # 18 texts in 5 chunks
    chunked = hash_char_ngrams(texts)
    assert chunked.shape == whole.shape and (chunked != whole).nnz == 0
    # unit rows as the plain formula gives them, the input untouched, empty rows stay empty
    ref = whole.toarray() / np.maximum(np.linalg.norm(whole.toarray(), axis=1, keepdims=True), 1e-30)
    before = whole.copy()
    unit = l2_rows(whole)
    assert np.allclose(unit.toarray(), ref, atol=1e-6) and (whole != before).nnz == 0
    assert unit[1].nnz == 0 and unit[3].nnz == 0


def test_hashed_ngrams_count_the_character_ngrams():
    texts = ["阳光小区暖气不热", "阳光小区暖气不热，室温十二度", "WiFi信号差wifi", "", "好", "公交车甩站"]
    x = hash_char_ngrams(texts)
    assert x.shape == (6, 2**20) and x.dtype == np.float32 and x.indices.dtype == np.int32
    # a text of n characters has (n-1) 2-grams and (n-2) 3-grams
    assert x.sum(axis=1).A.ravel().tolist() == [max(len(t) - 1, 0) + max(len(t) - 2, 0) for t in texts]
    assert x[0].sum() == 13 and x[4].nnz == 0
    # rows do not depend on the batch they were hashed in
    assert (hash_char_ngrams(["阳光小区暖气不热"]) != x[0]).nnz == 0
    # case folded: "WiFi" and "wifi" share their n-grams
    wifi = hash_char_ngrams(["WiFi", "wifi"])
    assert (wifi[0] != wifi[1]).nnz == 0
    # cosine of the hashed counts equals the cosine of the n-gram multisets (no collisions here)
    got = (x[0] @ x[1].T).toarray()[0, 0] / np.sqrt(
        (x[0] @ x[0].T).toarray()[0, 0] * (x[1] @ x[1].T).toarray()[0, 0]
    )
    assert got == pytest.approx(_ngram_cosine(texts[0], texts[1]), abs=1e-6)


def test_threaded_matching_equals_one_thread():
    """``assign`` multiplies chunks on threads; the answer is the single-threaded one."""
    f = check_frame(make_stream(weeks=6, planted_from=None))
    texts = f["text"].tolist()
    ref = Representation(embedder="none").fit_transform(texts)
    c = cl.centroids_of(ref, np.arange(len(texts)) % 7, 500)[0]
    rows = np.random.default_rng(1).permutation(len(texts))[: len(texts) // 2]
    want = cl.assign(ref, c, 0.2, chunk=1 << 20, n_jobs=1, rows=rows)
    for jobs in (1, 2, 3):
        got = cl.assign(ref, c, 0.2, chunk=7, n_jobs=jobs, rows=rows)
        assert (got[0] == want[0]).all() and np.allclose(got[1], want[1], atol=1e-6)
    assert (want[0] >= 0).any() and (want[0] < 0).any()


def _repeats_all_pairs(times, x, callers, window_days, dup_cos, caller_cos, keys):
    """The repeat rules by brute force: identical texts first (the latest earlier row
    that may be the same caller's, whose original is in the window), then every
    earlier original in the window with full cosines, the latest first; two
    different callers never repeat each other."""
    t = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[s]").astype(np.int64) / 86400.0
    order = np.argsort(t, kind="stable")
    sims = (x @ x.T).toarray()
    dup = np.full(len(t), -1)

    def one_caller(i, j):
        return not callers[i] or not callers[j] or callers[i] == callers[j]

    for p, i in enumerate(order):
        for q in range(p - 1, -1, -1):
            j = order[q]
            o = dup[j] if dup[j] >= 0 else j
            if keys[j] == keys[i] and one_caller(i, j) and t[i] - t[o] <= window_days:
                dup[i] = o
                break
    for p, i in enumerate(order):
        if dup[i] >= 0:
            continue
        for q in range(p - 1, -1, -1):
            j = order[q]
            if t[i] - t[j] > window_days or dup[j] >= 0 or not one_caller(i, j):
                continue
            if sims[i, j] >= dup_cos or (
                callers[i] and callers[i] == callers[j] and sims[i, j] >= caller_cos
            ):
                dup[i] = j
                break
    return dup


def test_pruned_repeat_check_matches_all_pairs():
    rng = np.random.default_rng(3)
    f = make_stream(weeks=3, planted_from=None, per_topic=10).reset_index(drop=True)
    extra = []  # copies with a new phone number, and second calls from the same caller
    for i in rng.choice(len(f), 25, replace=False):
        r = f.iloc[i].to_dict()
        extra.append(
            {
                **r,
                "id": f"c{i}",
                "text": r["text"] + f"电话{rng.integers(10**10, 10**11)}",
                "created_at": r["created_at"] + pd.Timedelta(hours=int(rng.integers(1, 100))),
            }
        )
    for i in rng.choice(len(f), 25, replace=False):
        r = f.iloc[i].to_dict()
        extra.append(
            {
                **r,
                "id": f"s{i}",
                "text": "第二次来电，" + r["text"][: len(r["text"]) // 2],
                "created_at": r["created_at"] + pd.Timedelta(days=int(rng.integers(1, 10))),
            }
        )
    g = pd.concat([f, pd.DataFrame(extra)], ignore_index=True).sort_values("created_at", ignore_index=True)
    texts, callers = g["text"].tolist(), g["caller"].tolist()
    x = Representation(embedder="none").fit_transform(texts)
    keys = [normalise(t) for t in texts]
    got = check_repeats(g["created_at"], texts, x, callers, 7.0, 0.95, 0.3).dup_of
    want = _repeats_all_pairs(g["created_at"], x, callers, 7.0, 0.95, 0.3, keys)
    assert (got >= 0).sum() >= 40  # the copies and second calls are found ...
    assert got.tolist() == want.tolist()  # ... exactly as the all-pairs rule finds them


def test_reduce_gives_the_same_vectors_whatever_the_blas_thread_count():
    """The randomized SVD's QR/LU steps rounded differently with two BLAS threads than
    with one, and over the clustering's noise rounds that changed which issues the
    demo's W48 alert found: the same export must give the same alert on any machine."""
    from scipy import sparse
    from threadpoolctl import threadpool_limits

    x = sparse.random(3000, 6000, density=0.01, random_state=0, format="csr")
    with threadpool_limits(2):
        two = cl.reduce(x, 128)
    with threadpool_limits(1):
        one = cl.reduce(x, 128)
    assert np.array_equal(one, two)
