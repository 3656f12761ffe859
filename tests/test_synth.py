"""The bundled synthetic demo corpus: shape, labels, planted issue, realism, and byte-exact regeneration.

Everything downstream (tagging demos, hotspot and emergence demos, unit rankings,
service fixtures) leans on these files, so their promises are checked here,
including the ones that make it a fair demo: it is not trivially separable
(confusable categories, recorded label noise, thin records, no dominant stock
phrase). The whole module runs in about fifteen seconds.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import hotline_nlp.corpus
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from devtools.synth import generate
from devtools.synth.bridges import neighbours

DATA = Path(hotline_nlp.corpus.__file__).parent / "data"
CSV = DATA / "demo_complaints.csv"
PLANTED = DATA / "demo_planted.json"
NOISE = DATA / "demo_label_noise.json"
TAXONOMY = DATA / "taxonomy_12345.csv"
EV = ("新能源汽车充电设施", "物业阻挠安装充电桩")


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.read_csv(CSV, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def taxonomy() -> pd.DataFrame:
    return pd.read_csv(TAXONOMY, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def key() -> dict:
    return json.loads(PLANTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def noise() -> dict:
    return json.loads(NOISE.read_text(encoding="utf-8"))


def test_columns_exactly_the_export_headers(corpus):
    assert tuple(corpus.columns) == generate.COLUMNS
    assert not CSV.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    assert CSV.stat().st_size < 5_000_000
    assert len(corpus) >= 3500


def test_ids_unique_seven_digits_and_increasing_with_time(corpus):
    ids = corpus["诉求编号"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"\d{7}").all()
    by_time = corpus.sort_values("受理时间", kind="stable")["诉求编号"].astype(int)
    assert by_time.is_monotonic_increasing


def test_dates_parse_and_span_two_full_years(corpus):
    times = pd.to_datetime(corpus["受理时间"], format="%Y-%m-%d %H:%M:%S")
    assert times.min() >= datetime(2023, 1, 1) and times.max() <= datetime(2024, 12, 31, 23, 59, 59)
    assert times.dt.to_period("M").nunique() == 24
    weekday = times.dt.day_of_week.value_counts()
    assert weekday[0] > 1.2 * weekday[6], "Mondays are busier than Sundays"


def test_taxonomy_shape_and_bulletin_names(taxonomy):
    assert tuple(taxonomy.columns) == ("一级分类", "二级分类")
    assert not taxonomy.duplicated().any()
    sizes = taxonomy.groupby("一级分类").size()
    assert len(sizes) >= 15
    assert sizes.between(3, 8).all(), sizes[~sizes.between(3, 8)]
    paths = set(zip(taxonomy["一级分类"], taxonomy["二级分类"]))
    for path in [
        ("物业管理", "物业服务管理"),
        ("物业管理", "公共区域设施"),
        ("物业管理", "物业维修服务"),
        ("消费维权", "售后服务纠纷"),
        ("消费维权", "退费纠纷"),
        ("消费维权", "预付卡消费"),
        ("供热", "供热质量"),
        ("供热", "测温退费"),
        ("市容市貌", "流动商贩"),
        ("市容市貌", "私搭乱建"),
        ("市容市貌", "露天烧烤"),
        ("市容市貌", "门市占道"),
        ("出租车（网约车）", "司乘服务"),
        ("出租车（网约车）", "计价议价及票据"),
        EV,
        ("劳动权益", "拖欠工资"),
        ("环境保护", "噪音扰民"),
        ("环境保护", "油烟污染"),
    ]:
        assert path in paths, path
    for level1 in [
        "供水",
        "燃气",
        "供电",
        "公交",
        "交通管理",
        "教育",
        "医疗卫生",
        "社保医保",
        "住房建设",
        "户籍证件",
        "城市管理",
        "网络通信",
        "政策咨询",
    ]:
        assert level1 in sizes.index, level1


def test_taxonomy_file_is_what_the_generator_defines(tmp_path):
    generate.write_taxonomy(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == TAXONOMY.read_bytes()


def test_every_label_is_a_taxonomy_path_and_every_path_has_examples(corpus, taxonomy):
    paths = set(zip(taxonomy["一级分类"], taxonomy["二级分类"]))
    used = corpus.groupby(["一级分类", "二级分类"]).size()
    unknown = [p for p in used.index if p not in paths]
    assert not unknown, unknown
    counts = {p: int(used.get(p, 0)) for p in paths}
    thin = {p: n for p, n in counts.items() if n < 10}
    assert not thin, thin
    # realistic imbalance: the bulletin's big four lead
    top4 = corpus["一级分类"].value_counts().index[:4]
    assert set(top4) == {"物业管理", "供热", "消费维权", "市容市貌"}


def test_field_domains_and_their_consistency(corpus):
    assert set(corpus["办理方式"]) == {"直接答复", "转办"}
    share = (corpus["办理方式"] == "转办").mean()
    assert 0.2 <= share <= 0.3
    direct = corpus["办理方式"] == "直接答复"
    for col in ("承办单位", "单位类型", "基层承办单位"):
        assert (corpus.loc[direct, col] == "").all() and (corpus.loc[~direct, col] != "").all(), col
    assert set(corpus.loc[~direct, "单位类型"]) == {"县区", "市直部门", "其他单位"}
    assert set(corpus["是否办结"]) == {"是", "否"} and (corpus["是否办结"] == "是").mean() > 0.95
    assert set(corpus["满意度评价"]) == {"满意", "基本满意", "不满意", ""}
    assert set(corpus["评星"]) == {"1", "2", "3", ""}
    stars = pd.to_numeric(corpus["评星"], errors="coerce")
    assert 2.6 <= stars.mean() <= 2.8
    assert 0.05 <= (corpus["满意度评价"] == "").mean() <= 0.15
    assert corpus["来电号码"].str.fullmatch(r"1\d{2}\*{4}\d{4}").all()
    assert ((corpus["诉求标题"] == "").mean() - 0.2) ** 2 < 0.05**2


def test_grassroots_units_rank_apart(corpus):
    passed_on = corpus[corpus["办理方式"] == "转办"].assign(
        stars=pd.to_numeric(corpus["评星"], errors="coerce")
    )
    units = passed_on.groupby("基层承办单位")["stars"].agg(["size", "mean"])
    ranked = units[units["size"] >= 15]
    assert len(units) >= 50
    assert (ranked["mean"] >= 2.9).sum() >= 3, "some clearly good units"
    assert (ranked["mean"] <= 2.45).sum() >= 3, "some clearly bad units"


def test_texts_are_varied_and_never_identical_by_accident(corpus):
    body = corpus["诉求内容"]
    assert body.is_unique, "deliberate repeats are reworded or prefixed, never byte-identical"
    lengths = body.str.len()
    assert lengths.min() >= 10 and lengths.max() <= 650 and 50 <= lengths.median() <= 150
    assert (lengths > 400).sum() >= 30, "some web messages ramble on, as real ones do"
    assert not body.str.contains(r"[\[\]{}|]").any(), "unexpanded template syntax"
    assert (
        body.str.contains("来电人").mean() > 0.1 and body.str.contains("我").mean() > 0.3
    )  # phone and web voice
    assert body.str.contains("|".join(["物叶", "暖气不惹", "以经", "反应，"])).sum() >= 20  # pinyin slips


def test_repeat_callers_send_near_duplicates_within_days(corpus):
    df = corpus.assign(t=pd.to_datetime(corpus["受理时间"])).sort_values("t")
    prev = df.groupby(["来电号码", "二级分类"])["t"].shift()
    repeats = ((df["t"] - prev).dt.days <= 6).sum()
    assert 0.01 * len(df) <= repeats <= 0.05 * len(df)


def test_seasonality(corpus):
    month = pd.to_datetime(corpus["受理时间"]).dt.month
    heating = month[corpus["一级分类"] == "供热"]
    assert heating.isin([11, 12, 1, 2, 3]).mean() > 0.85
    bbq = month[corpus["二级分类"] == "露天烧烤"]
    assert bbq.isin([5, 6, 7, 8, 9]).mean() > 0.8


def test_planted_issue_key_matches_the_corpus_and_rises(corpus, key):
    assert key["category"] == " > ".join(EV)
    assert key["first_rise_week"] == "2024-W27"
    rows = corpus.set_index("诉求编号")
    planted = rows.loc[key["ids"]]
    assert (planted["一级分类"] == EV[0]).all() and (planted["二级分类"] == EV[1]).all()
    assert (planted["受理时间"] >= "2024-07-01").all()
    assert 80 <= len(key["ids"]) <= 110
    background = rows.loc[key["background_ids"]]
    assert (background["受理时间"] < "2024-07-01").all() and 10 <= len(background) <= 30
    mine = corpus[(corpus["一级分类"] == EV[0]) & (corpus["二级分类"] == EV[1])]
    assert set(mine["诉求编号"]) == set(key["ids"]) | set(key["background_ids"])
    weekly = key["weekly_counts"]
    assert sum(weekly.values()) == len(key["ids"])
    first = [weekly.get(f"2024-W{w}", 0) for w in range(27, 33)]
    last = [weekly.get(f"2024-W{w}", 0) for w in range(47, 53)]
    assert max(first) <= 3 and sum(last) / 6 >= 5 and sum(last) >= 3 * sum(first)
    assert planted["诉求内容"].str.contains("充电桩").mean() > 0.95


def test_no_stock_phrase_dominates(corpus):
    """Template fingerprints: the most frequent 12-character phrase was in 4.5 % of texts before."""
    counts = Counter()
    for text in corpus["诉求内容"]:
        counts.update({text[i : i + 12] for i in range(len(text) - 11)})
    phrase, n = counts.most_common(1)[0]
    assert n / len(corpus) < 0.02, phrase


def test_label_noise_record_matches_the_corpus(corpus, noise, key, taxonomy):
    paths = {f"{a} > {b}" for a, b in zip(taxonomy["一级分类"], taxonomy["二级分类"])}
    rows = corpus.set_index("诉求编号")
    noisy = noise["noisy"]
    assert noise["n_rows"] == len(corpus) and noise["n_noisy"] == len(noisy)
    assert 0.03 <= len(noisy) / len(corpus) <= 0.05, "a call centre's few per cent, no more"
    ids = [r["id"] for r in noisy]
    assert len(set(ids)) == len(ids) and set(ids) <= set(rows.index)
    near = neighbours()
    for r in noisy:
        row = rows.loc[r["id"]]
        assert r["label"] == f"{row['一级分类']} > {row['二级分类']}"
        assert r["generator_label"] in paths and r["generator_label"] != r["label"]
        true = tuple(r["generator_label"].split(" > "))
        filed = (row["一级分类"], row["二级分类"])
        assert true[0] == filed[0] or filed in near[true], (
            r
        )  # a sibling, or a category the text could belong to
    other = sum(r["label"].split(" > ")[0] != r["generator_label"].split(" > ")[0] for r in noisy)
    assert other == noise["n_noisy_other_level1"] and 0.15 * len(noisy) <= other <= 0.6 * len(noisy)
    planted_ids = set(key["ids"]) | set(key["background_ids"])
    assert not planted_ids & set(ids), "the planted issue's labels stay exact"
    assert key["category"] not in {r["label"] for r in noisy} | {r["generator_label"] for r in noisy}
    for name in ("bridge_ids", "vague_ids", "empty_ids"):
        assert set(noise[name]) <= set(rows.index), name
    assert set(noise["empty_ids"]) <= set(noise["vague_ids"])
    assert 0.08 <= len(noise["bridge_ids"]) / len(corpus) <= 0.25
    assert 0.02 <= len(noise["vague_ids"]) / len(corpus) <= 0.06
    thin = rows.loc[noise["vague_ids"], "诉求内容"].str.len()
    assert thin.median() < 40, "thin records say little"


@pytest.mark.parametrize(
    "label, words, at_least",
    [
        (("环境保护", "油烟污染"), "烧烤", 10),
        (("市容市貌", "露天烧烤"), "油烟", 10),
        (("物业管理", None), "暖气", 30),
        (("供热", None), "物业", 60),
        (("交通管理", None), "公交", 10),
        (("住房建设", None), "物业", 15),
        (("新能源汽车充电设施", "充电车位占用"), "物业", 8),
        (("消费维权", "退费纠纷"), "卡", 30),
        (("供热", "测温退费"), "不热", 15),
        (("物业管理", "物业维修服务"), "物业费", 15),
    ],
)
def test_confusable_categories_share_wording(corpus, label, words, at_least):
    """Neighbouring boxes talk about the same things, as real complaints do."""
    mask = corpus["一级分类"] == label[0]
    if label[1]:
        mask &= corpus["二级分类"] == label[1]
    assert corpus.loc[mask, "诉求内容"].str.contains(words).sum() >= at_least


def test_corpus_is_realistically_hard_for_a_linear_tagger(corpus, noise):
    """Not a toy: a char-n-gram linear model lands near real-data scores, and the noise is real noise.

    The project's tagger scores about the same in cross-validation (README); the
    bounds are wide so that a template tweak passes, a return to 0.999 does not.
    """
    text = (corpus["诉求标题"] + "。" + corpus["诉求内容"]).tolist()
    x = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit_transform(text)
    y1 = corpus["一级分类"].to_numpy()
    y2 = (corpus["一级分类"] + " > " + corpus["二级分类"]).to_numpy()
    truth = dict(zip(corpus["诉求编号"], y2))
    truth.update({r["id"]: r["generator_label"] for r in noise["noisy"]})
    y_true = corpus["诉求编号"].map(truth).to_numpy()
    idx = list(range(len(corpus)))
    train, test = train_test_split(idx, test_size=0.25, random_state=0, stratify=y2)
    pred1 = LinearSVC(C=0.5).fit(x[train], y1[train]).predict(x[test])
    pred2 = LinearSVC(C=0.5).fit(x[train], y2[train]).predict(x[test])
    f1_1 = f1_score(y1[test], pred1, average="macro")
    f1_2 = f1_score(y2[test], pred2, average="macro")
    assert 0.85 <= f1_1 <= 0.96, f1_1
    assert 0.72 <= f1_2 <= 0.9, f1_2
    assert (pred2 == y_true[test]).mean() > (pred2 == y2[test]).mean(), (
        "scored against the generator's labels, fewer errors"
    )


def test_regenerating_reproduces_the_committed_files_byte_for_byte(tmp_path):
    out = tmp_path / "demo_complaints.csv"
    subprocess.run(
        [sys.executable, "-m", "devtools.synth.generate", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],  # devtools/ is run from the repository root
    )
    assert out.read_bytes() == CSV.read_bytes()
    assert (tmp_path / "demo_planted.json").read_bytes() == PLANTED.read_bytes()
    assert (tmp_path / "demo_label_noise.json").read_bytes() == NOISE.read_bytes()


def test_small_runs_are_deterministic_and_seed_dependent(tmp_path):
    a = generate.write(tmp_path / "a.csv", None, n=300, seed=7)
    b = generate.write(tmp_path / "b.csv", None, n=300, seed=7)
    c = generate.write(tmp_path / "c.csv", None, n=300, seed=8)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert [r["诉求内容"] for r in a] == [r["诉求内容"] for r in b] != [r["诉求内容"] for r in c]
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as f:
        assert tuple(next(csv.reader(f))) == generate.COLUMNS
    assert all(re.fullmatch(r"\d{7}", r["诉求编号"]) for r in a)
