"""The fast tagging path (numpy segmentation, hashed n-gram lookups) gives what
the straightforward path gives: the tokenizer's words, scikit-learn's TF-IDF
matrices, and so the same tags and confidences."""

from __future__ import annotations

import numpy as np
import pytest
from hotline_nlp.classifier.features import TextFeatures
from hotline_nlp.corpus.keytable import KeyTable
from hotline_nlp.corpus.lattice import LatticeSegmenter
from hotline_nlp.corpus.text import _PUNCT, normalise, normalise_many, segment_many, segmenter, word_lattice

TRICKY = [
    "",
    "，。！",
    "你好，世界äö ABC 2019年wifi",
    "c++和c#以及at&t，İstanbul",  # İ lower-cases to two characters: the tokenizer segments it
    "Σίσυφος ΣΑΣ",
    "<unk>你好",  # the unknown piece's own name
    "１６度Ａ１",
    "äöü",
    "12345热线打不通",
    "++a",
    " a b ",
    "wifi2024年5月",
    "ä你ö好",
    "\u0300\u0301",
    "𠀀𠀁汉字",
    "物叶不作为，充电桩坏了 3 天",
]


@pytest.fixture(scope="module")
def demo_texts(demo_raw):
    return [normalise(t) for t in demo_raw["诉求内容"].tolist()[:3000]] + [normalise(t) for t in TRICKY]


def test_numpy_segmentation_gives_the_tokenizers_words(demo_texts):
    assert word_lattice() is not None
    assert segment_many(demo_texts, normalised=True) == segment_many(demo_texts, normalised=True, plain=True)
    # one at a time too (the single-complaint path), on a sample
    for text in demo_texts[:: len(demo_texts) // 40] + [normalise(t) for t in TRICKY]:
        assert segment_many([text], normalised=True) == segment_many([text], normalised=True, plain=True)


def test_batch_normalise_equals_normalise(demo_raw):
    raw = demo_raw["诉求内容"].tolist()[:3000] + TRICKY + [None, float("nan"), "Ａ\u0301　ｂ①㎡", 12]
    assert normalise_many(raw) == [normalise(t) for t in raw]


def test_saved_lattice_loads_equal(tmp_path, demo_texts):
    built = LatticeSegmenter.from_tokenizer(segmenter(), _PUNCT)
    with open(tmp_path / "l.npz", "wb") as f:
        built.save(f)
    loaded = LatticeSegmenter.load(tmp_path / "l.npz", _PUNCT)
    texts, _ = built.prepare(demo_texts[:500])
    assert loaded.word_lists(loaded.words(texts)) == built.word_lists(built.words(texts))


def test_key_table_answers_like_a_dict():
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(1, 1 << 62, 5000, dtype=np.int64)).astype(np.uint64)
    table = KeyTable(keys, np.arange(len(keys)))
    queries = np.concatenate([keys, rng.integers(1, 1 << 62, 5000, dtype=np.int64).astype(np.uint64)])
    expect = {int(k): i for i, k in enumerate(keys)}
    assert table.get(queries).tolist() == [expect.get(int(q), -1) for q in queries]
    assert table.get(np.zeros(0, dtype=np.uint64)).tolist() == []
    with pytest.raises(ValueError):
        KeyTable([0, 1], [0, 1])


def test_fast_sparse_blocks_equal_sklearns(train_csv, demo_texts):
    import pandas as pd

    fit_texts = pd.read_csv(train_csv, dtype=str, keep_default_na=False)["诉求内容"].tolist()
    feats = TextFeatures(embedder=None).fit(fit_texts)
    fast, plain = feats._sparse_blocks(demo_texts), feats._sparse_blocks_plain(demo_texts)
    for a, b in zip(fast, plain):
        assert a.shape == b.shape and a.dtype == np.float32
        a.sort_indices()
        b.sort_indices()
        assert (a.indptr == b.indptr).all() and (a.indices == b.indices).all()
        assert np.allclose(a.data, b.data, atol=1e-6)


def test_fast_path_gives_the_same_tags(trained_model, demo_texts, monkeypatch):
    texts = demo_texts[:1500]
    fast = trained_model.predict(texts, top_k=3)
    feats = trained_model.tagger.features_
    monkeypatch.setattr(feats, "_sparse_blocks", lambda texts: None)  # the straightforward path
    plain = trained_model.predict(texts, top_k=3)
    assert fast == plain


def test_long_batches_are_searched_in_chunks_with_the_same_result(demo_texts, monkeypatch):
    import hotline_nlp.corpus.lattice as lattice

    texts = demo_texts[:400]
    lat = word_lattice()
    prepared, _ = lat.prepare(texts)
    whole_words = lat.word_lists(lat.words(prepared))
    whole_ids = lat.token_ids(prepared)
    monkeypatch.setattr(lattice, "CHUNK_CHARS", 3000)
    assert len(lattice.char_chunks(prepared)) > 10
    assert lat.word_lists(lat.words(prepared)) == whole_words
    ids, counts = lat.token_ids(prepared)
    assert (ids == whole_ids[0]).all() and (counts == whole_ids[1]).all()
