"""Large-window machinery: hashed n-grams, week blocks spilled to disk and reused
through a state directory, and the candidate-pruned repeat check, each checked
against a plain reference computation."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.corpus.text import normalise
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.complaint_vectors import Representation, hash_char_ngrams
from hotline_nlp.topics.dedup import find_repeats
from hotline_nlp.topics.hotspots import weekly_alert
from hotline_nlp.topics.vector_store import BlockedRows, BlockStore, week_bounds
from hotline_nlp.topics.window import HotspotConfig, Window, check_frame
from scipy import sparse
from test_topics_hotspots import make_stream, week_label


def _ngram_cosine(a: str, b: str) -> float:
    ca, cb = (
        Counter(t[i : i + n] for n in (2, 3) for i in range(len(t) - n + 1)) for t in (a.lower(), b.lower())
    )
    dot = sum(v * cb[k] for k, v in ca.items())
    return dot / np.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


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


def _blocked(texts, weeks, budget, directory=None):
    rep = Representation(embedder="none")
    ids = [str(i) for i in range(len(texts))]
    store = BlockStore(directory, budget_bytes=budget)
    x = BlockedRows.build(rep, texts, ids, week_bounds(np.array(weeks)), store)
    rep.fit_raw(x.df_, x.n_docs_, x.semantic_mean_)
    return rep, x, store


def test_blocks_spilled_to_disk_read_like_one_matrix():
    f = check_frame(make_stream(weeks=6, planted_from=None))
    texts = f["text"].tolist()
    ref = Representation(embedder="none").fit_transform(texts)
    _, x, store = _blocked(texts, f["week"].tolist(), budget=0)  # nothing held in memory
    assert store._spill is not None and len(list(store._spill.glob("*.raw.npz"))) == 6
    assert x.shape == ref.shape
    rng = np.random.default_rng(0)
    pos = rng.choice(len(texts), 40, replace=False)  # unsorted, across blocks
    mask = rng.random(len(texts)) < 0.3
    for got, want in [
        (x[5:77], ref[5:77]),
        (x[pos], ref[pos]),
        (x[mask], ref[mask]),
        (x[-1], ref[-1]),
        (x.view(10, 60)[3:9], ref[13:19]),
        (x[np.arange(20, 30)], ref[20:30]),
    ]:
        assert got.shape == want.shape
        assert abs(got - want).max() < 1e-6
    assert x[0:0].shape == (0, ref.shape[1])
    with pytest.raises(IndexError):
        x[[len(texts)]]


def test_threaded_matching_equals_one_thread_on_disk_blocks():
    """``assign`` multiplies chunks on threads while reading them in order from
    spilled blocks; the answer is the single-threaded one on a plain matrix."""
    f = check_frame(make_stream(weeks=6, planted_from=None))
    texts = f["text"].tolist()
    rep, x, _ = _blocked(texts, f["week"].tolist(), budget=0)
    ref = rep.transform(texts)  # a plain CSR matrix
    c = cl.centroids_of(ref, np.arange(len(texts)) % 7, 500)[0]
    rows = np.random.default_rng(1).permutation(len(texts))[: len(texts) // 2]
    want = cl.assign(ref, c, 0.2, chunk=1 << 20, n_jobs=1, rows=rows)
    for jobs in (1, 2, 3):
        got = cl.assign(x, c, 0.2, chunk=7, n_jobs=jobs, rows=rows)
        assert (got[0] == want[0]).all() and np.allclose(got[1], want[1], atol=1e-6)
    assert (want[0] >= 0).any() and (want[0] < 0).any()


def test_state_directory_reuses_old_weeks_and_names_a_corrupt_block(tmp_path):
    f = check_frame(make_stream(weeks=5, planted_from=None))
    texts, weeks = f["text"].tolist(), f["week"].tolist()
    _, _, first = _blocked(texts, weeks, budget=1 << 30, directory=tmp_path / "vectors")
    assert first.computed == 5
    # next run: one complaint of the last week edited -> only that week is recomputed
    texts2 = texts[:-1] + [texts[-1] + "，补充说明"]
    _, x2, second = _blocked(texts2, weeks, budget=1 << 30, directory=tmp_path / "vectors")
    assert second.computed == 1
    assert second.prune(set(x2.names)) == 1  # the stale version of the last week
    assert len(list((tmp_path / "vectors").glob("*.raw.npz"))) == 5
    victim = tmp_path / "vectors" / f"{x2.names[0]}.raw.npz"
    victim.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match=x2.names[0]):
        _blocked(texts2, weeks, budget=0, directory=tmp_path / "vectors")[1][0:3]


def _repeats_all_pairs(times, x, callers, window_days, dup_cos, caller_cos, keys):
    """The repeat rules by brute force: identical texts first, then every earlier
    original in the window with full cosines, the latest first."""
    t = pd.to_datetime(pd.Series(times)).to_numpy(dtype="datetime64[s]").astype(np.int64) / 86400.0
    order = np.argsort(t, kind="stable")
    sims = (x @ x.T).toarray()
    dup = np.full(len(t), -1)
    last: dict[str, int] = {}
    for i in order:
        j = last.get(keys[i])
        if j is not None and t[i] - t[j] <= window_days:
            dup[i] = dup[j] if dup[j] >= 0 else j
        else:
            last[keys[i]] = i
    for p, i in enumerate(order):
        if dup[i] >= 0:
            continue
        for q in range(p - 1, -1, -1):
            j = order[q]
            if t[i] - t[j] > window_days or dup[j] >= 0:
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
    got = find_repeats(g["created_at"], texts, x, callers, 7.0, 0.95, 0.3)
    want = _repeats_all_pairs(g["created_at"], x, callers, 7.0, 0.95, 0.3, keys)
    assert (got >= 0).sum() >= 40  # the copies and second calls are found ...
    assert got.tolist() == want.tolist()  # ... exactly as the all-pairs rule finds them


def test_weekly_alert_is_the_same_when_vectors_go_to_disk(tmp_path):
    stream = make_stream()
    wk = week_label("2024-01-01", 26)
    small = weekly_alert(stream, wk, config=replace(HotspotConfig(), memory_mb=0))
    big = weekly_alert(stream, wk)
    strip = lambda r: [{k: v for k, v in i.items() if k != "lineage"} for i in r["issues"]]  # noqa: E731
    assert strip(small) == strip(big) and small["total"] == big["total"]


def test_state_dir_vectors_follow_the_window(tmp_path):
    stream = make_stream()
    st = tmp_path / "state"
    weekly_alert(stream, week_label("2024-01-01", 24), state_dir=st)
    n1 = len(list((st / "vectors").glob("*.raw.npz")))
    assert n1 == 25  # weeks 0..24 of the stream
    data = check_frame(stream)
    end = pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=26)
    win = Window(data, pd.Timestamp("2023-01-01"), end, state_dir=st)
    assert win.x.store.computed == 1  # only the new week was hashed
    assert isinstance(win.x[0:2], sparse.csr_matrix)
