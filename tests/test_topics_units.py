"""Stages of the hotspot engine on their own: places, keywords, dedup, clustering,
the issue tracker (ids, lineage, save/load), emergence scoring and heat, charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.bulletin.chart import trend_chart
from hotline_nlp.topics import clustering as cl
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.dedup import check_repeats
from hotline_nlp.topics.emergence import EmergenceConfig, heat_index, score_week
from hotline_nlp.topics.keywords import ctfidf_keywords, label_for
from hotline_nlp.topics.places import extract_groups, extract_places
from hotline_nlp.topics.tracker import IssueTracker, TrackerConfig, pool_cut
from hotline_nlp.topics.tracker_store import load_tracker, save_tracker
from support.tracker_steps import bootstrap, match, step


def test_places_and_groups():
    assert extract_places("市民反映兴隆台区霞光府壹号院物业拒绝出具证明，18路公交车不停站") == [
        ("district", "兴隆台区"),
        ("compound", "霞光府壹号院"),
        ("bus", "18路公交车"),
    ]
    assert ("town", "春华镇") in extract_places("本人系春华镇金鼎村七里组村民")
    assert ("school", "经济学院") in extract_places("A市经济学院强制学生实习")
    assert extract_places("商家跑路了，政府不管，走路都难") == []
    assert extract_places("供水管爆了，水流得满院都是，整院停水") == []  # 满院: the yard, not a compound
    assert extract_groups("业主和老人、学生家长都有意见，业主很生气") == ["业主", "老人", "学生", "家长"]


def test_ctfidf_keywords_rank_issue_words_and_hide_places():
    docs = {
        1: [
            "丽发新城小区旁搅拌站噪音扰民",
            "丽发新城小区搅拌站粉尘污染严重",
            "投诉丽发新城小区搅拌站夜间噪音",
        ],
        2: ["公积金贷款办理太慢", "公积金提取被拒", "住房公积金贷款额度问题"],
    }
    kw = ctfidf_keywords(docs, top=3)
    assert kw[1][0]["word"] == "搅拌站" and "公积金" in [w["word"] for w in kw[2]]
    assert not any("丽发" in w["word"] for w in kw[1])  # the place is not a keyword
    summary = {"places": [{"kind": "compound", "name": "丽发新城小区", "count": 3}]}
    assert label_for(kw[1], summary).startswith("丽发新城小区：搅拌站")


def test_repeats_same_text_same_caller_and_near_copies():
    t0 = pd.Timestamp("2024-03-01")
    texts = [
        "阳光小区暖气不热，室温只有十二度，请热力公司处理",
        "阳光小区暖气不热，室温只有十二度，请热力公司处理",
        "阳光小区暖气还是不热，室温只有十二度，请热力公司尽快处理",
        "公交车司机态度差",
        "阳光小区暖气不热，室温只有十二度，请热力公司处理",
        "翠湖家园停水三天了没人管",
    ]
    times = [
        t0,
        t0 + pd.Timedelta(days=1),
        t0 + pd.Timedelta(days=2),
        t0,
        t0 + pd.Timedelta(days=30),
        t0 + pd.Timedelta(days=3),
    ]
    callers = ["A", "B", "A", "A", "C", "A"]
    x = Representation(embedder="none").fit_transform(texts)
    dup = check_repeats(times, texts, x, callers, window_days=7).dup_of
    assert dup.tolist()[:3] == [
        -1,
        -1,
        0,
    ]  # same text from another caller: a complaint; same caller + same matter
    assert dup[3] == -1  # same caller, other matter
    assert dup[4] == -1  # same text but a month later: a new complaint
    assert dup[5] == -1  # same caller within the window but unrelated
    assert check_repeats([], [], None).dup_of.size == 0


def _groups(rng, n_per=12):
    base = {
        "暖气": "暖气不热室温只有十度热力公司测温不达标",
        "噪音": "工地夜间施工打桩噪音扰民睡不着觉",
        "公交": "公交车司机不按站点停车甩站态度恶劣",
        "退费": "健身房闭店跑路预付卡无法退费商家失联",
    }
    texts, truth = [], []
    extras = ["请尽快处理", "已经很久了", "希望重视", "谢谢", "邻居都有意见", "多次反映"]
    for k, (_name, s) in enumerate(base.items()):
        for _ in range(n_per):
            texts.append(f"{rng.choice(['阳光', '锦绣', '翠湖', '金桥'])}小区{s}，{rng.choice(extras)}")
            truth.append(k)
    return texts, np.array(truth)


def test_discover_recovers_constructed_issues():
    rng = np.random.default_rng(0)
    texts, truth = _groups(rng)
    noise = [f"咨询{w}的办理流程" for w in ["护照", "居住证", "营业执照", "驾驶证", "出生证明", "户口迁移"]]
    x = Representation(embedder="none").fit_transform(texts + noise)
    c, labels = cl.discover(x, cl.ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.25))
    lab = labels[: len(texts)]
    for k in range(4):  # each constructed issue is (mostly) one cluster of its own
        vals, counts = np.unique(lab[truth == k], return_counts=True)
        top = vals[counts.argmax()]
        assert top >= 0 and counts.max() >= 10 and (lab[truth != k] == top).sum() == 0


class _FitOnly:
    """A clusterer that is not an sklearn estimator: ``fit`` and ``labels_`` only."""

    def __init__(self, k: int):
        self.k = k
        self.calls = 0

    def fit(self, z):
        from sklearn.cluster import AgglomerativeClustering

        self.calls += 1
        self.labels_ = AgglomerativeClustering(n_clusters=self.k).fit_predict(z)
        return self


def test_the_clusterer_is_pluggable():
    """HDBSCAN is the default; any ``fit_predict`` (or ``fit`` + ``labels_``)
    object given in the config is used instead (cloned when it is an estimator)."""
    from hotline_nlp.topics.config import semantic_weight_for
    from hotline_nlp.topics.hotspots import HotspotConfig
    from sklearn.cluster import AgglomerativeClustering

    texts, truth = _groups(np.random.default_rng(0))
    x = Representation(embedder="none").fit_transform(texts)
    cfg = cl.ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.25)
    given = AgglomerativeClustering(n_clusters=4)
    _, labels = cl.discover(x, cfg, clusterer=given)
    assert not hasattr(given, "labels_")  # the caller's object is not fitted
    fit_only = _FitOnly(4)
    _, labels2 = cl.discover(x, cfg, clusterer=fit_only)
    assert fit_only.calls == 1
    for lab in (labels, labels2):
        for k in range(4):
            vals, counts = np.unique(lab[truth == k], return_counts=True)
            assert vals[counts.argmax()] >= 0 and counts.max() >= 10
    tr = IssueTracker(TrackerConfig(cluster=cfg), clusterer=fit_only)
    bootstrap(tr, [str(i) for i in range(len(texts))], ["2024-W01"] * len(texts), x)
    assert fit_only.calls == 2 and len(tr.active_) == 4
    # one default for the semantic share: an embedder named in the call is used
    assert HotspotConfig().clusterer is None
    assert semantic_weight_for(HotspotConfig(), "zh-static-v1") > 0
    assert semantic_weight_for(HotspotConfig(), None) == 0.0
    assert semantic_weight_for(HotspotConfig(semantic_weight=0.6), None) == 0.6


def test_tracker_keeps_ids_births_and_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    texts, truth = _groups(rng)
    rep = Representation(embedder="none")
    x = rep.fit_transform(texts)
    weeks = ["2024-W01"] * len(texts)
    tr = IssueTracker(
        TrackerConfig(cluster=cl.ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.25))
    )
    history_labels = bootstrap(tr, [f"h{i}" for i in range(len(texts))], weeks, x)
    first_ids = {int(history_labels[i]) for i in np.flatnonzero(truth == 0)}
    assert len(first_ids) == 1 and -1 not in first_ids
    heat_id = first_ids.pop()
    # week 2: more heating complaints, and a new issue nobody has seen
    new_texts = ["锦绣小区暖气不热室温只有十度热力公司测温不达标，多次反映"] * 1 + [
        f"{p}小区物业拒绝业主安装新能源汽车充电桩不给出具同意证明，{e}"
        for p, e in [
            ("阳光", "请处理"),
            ("翠湖", "很着急"),
            ("金桥", "谢谢"),
            ("锦绣", "多次反映"),
            ("阳光", "希望重视"),
        ]
    ]
    out = step(tr, "2024-W02", [f"n{i}" for i in range(len(new_texts))], rep.transform(new_texts))
    assert out["n0"] == heat_id
    born = [out[f"n{i}"] for i in range(1, 6)]
    new_id = max(set(born), key=born.count)
    assert born.count(new_id) >= 4 and set(born) <= {new_id, -1} and new_id > heat_id
    new = tr.issue(new_id)
    assert new.origin == "new" and new.born == "2024-W02" and new.lineage[0]["event"] == "born"
    save_tracker(tr, tmp_path / "st")
    rep.save(tmp_path / "st" / "representation")
    tr2 = load_tracker(tmp_path / "st")
    rep2 = Representation.load(tmp_path / "st" / "representation")
    assert tr2.assignments_ == tr.assignments_ and tr2.next_id_ == tr.next_id_
    more = ["翠湖小区物业拒绝业主安装新能源汽车充电桩，不给出具同意证明，请处理"]
    assert step(tr2, "2024-W03", ["m0"], rep2.transform(more))["m0"] == new_id
    with pytest.raises(ValueError, match="not after"):
        step(tr2, "2024-W02", [], rep2.transform([]))


def test_pool_cut_keeps_the_same_complaints_however_the_week_is_split():
    """A week matched in blocks on several workers lets the same complaints into
    the pool as the week matched whole: the ``cap`` smallest id hashes."""
    from hotline_nlp.topics.sampling import priorities

    ids = [f"c{i}" for i in range(500)]
    prio = priorities(ids)
    cut = pool_cut(prio, 40)
    keep = {i for i, p in zip(ids, prio) if p <= cut}
    assert keep == {ids[j] for j in np.argsort(prio)[:40]}
    perm = np.random.default_rng(3).permutation(500)
    blocks = np.array_split(perm, 7)  # each block keeps what is under the week's cut
    assert {ids[j] for b in blocks for j in b if prio[j] <= pool_cut(prio[perm], 40)} == keep
    assert pool_cut(prio[:10], 40) == np.iinfo(np.uint64).max  # under the cap: everyone


def test_tracker_match_then_step_matched_is_step():
    """``match`` (the map part, on workers in a distributed run) and
    ``step_matched`` (the tracker, in the client) give what ``step`` gives."""
    rng = np.random.default_rng(2)
    texts, _ = _groups(rng)
    rep = Representation(embedder="none")
    x = rep.fit_transform(texts)
    cfg = TrackerConfig(cluster=cl.ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.25))
    half = len(texts) // 2
    a, b = IssueTracker(cfg), IssueTracker(cfg)
    for tr in (a, b):
        bootstrap(tr, [f"h{i}" for i in range(half)], ["2024-W01"] * half, x[:half])
    ids = [f"n{i}" for i in range(len(texts) - half)]
    whole = step(a, "2024-W02", ids, x[half:])
    m, matched = match(b, ids, x[half:])
    placed = b.step_matched("2024-W02", m)
    assert {**matched, **placed} == whole and b.pool_ids_ == a.pool_ids_
    assert [vars(i) for i in b.issues_] == [vars(i) for i in a.issues_]


def test_new_issue_is_found_in_a_pool_larger_than_the_sample():
    """At a million complaints a year the pool of unassigned complaints outgrows
    HDBSCAN's sample; this week's complaints are sampled first, so a small new
    issue is still born."""
    rng = np.random.default_rng(5)
    texts, _ = _groups(rng)
    rep = Representation(embedder="none")
    cfg = cl.ClusterConfig(min_cluster_size=4, min_samples=2, assign_threshold=0.25, max_points=40)
    tr = IssueTracker(TrackerConfig(cluster=cfg))
    bootstrap(tr, [f"h{i}" for i in range(len(texts))], ["2024-W01"] * len(texts), rep.fit_transform(texts))
    # a week of 150 unrelated complaints (random characters): all stay in the pool
    noise = ["".join(chr(c) for c in rng.integers(0x4E00, 0x9FA5, 24)) for _ in range(150)]
    step(tr, "2024-W02", [f"z{i}" for i in range(150)], rep.transform(noise))
    assert len(tr.pool_ids_) == 150
    ev = [
        f"{p}小区物业拒绝业主安装新能源汽车充电桩不给出具同意证明，{e}"
        for p, e in [
            ("阳光", "请处理"),
            ("翠湖", "很着急"),
            ("金桥", "谢谢"),
            ("锦绣", "多次反映"),
            ("阳光", "希望重视"),
        ]
    ]
    # premise: a plain random sample of the 155-row pool would hold too few of them
    assert (cl.sample_rows(155, cfg) >= 150).sum() < cfg.min_cluster_size
    out = step(tr, "2024-W03", [f"n{i}" for i in range(5)], rep.transform(ev))
    born = [k for k in out.values() if k >= 0]
    assert len(born) >= 4 and len(set(born)) == 1 and tr.issue(born[0]).born == "2024-W03"


def test_emergence_on_constructed_streams():
    rng = np.random.default_rng(3)
    weeks = 60
    steady = rng.poisson(4, size=(40, weeks)).astype(float)
    totals = np.full(weeks, 400.0)
    cfg = EmergenceConfig(alpha=0.001)
    false = sum(
        score_week(steady[:, : t + 1], totals[: t + 1], cfg)["emerging"].sum() for t in range(20, weeks)
    )
    assert false <= 3  # 40 steady issues x 40 weeks: the false-alarm rate holds
    growing = np.zeros(weeks)
    growing[40:] = np.arange(1, 21)  # new, growing by one a week
    s = [
        score_week(np.vstack([steady, growing])[:, : t + 1], totals[: t + 1], cfg)["emerging"][-1]
        for t in range(40, weeks)
    ]
    first = s.index(True)
    assert first <= 4 and all(s[first:])
    # seasonal: high every weeks 45-50 of the year; last year's season is in the baseline
    seasonal = np.full(weeks + 52, 1.0)
    for start in (45, 45 + 52):
        seasonal[start : start + 6] = 12
    tot = np.full(weeks + 52, 400.0)
    col = 45 + 52 + 2
    with_season = score_week(seasonal[None, : col + 1], tot[: col + 1], cfg)
    without = score_week(
        seasonal[None, 52 : col + 1], tot[52 : col + 1], cfg
    )  # history starts after last winter
    assert not with_season["emerging"][0] and without["emerging"][0]
    for start in (
        43,
        44,
    ):  # history reaches last year's season for the week test but not the whole trend window
        short = score_week(seasonal[None, start : col + 1], tot[start : col + 1], cfg)
        assert not short["emerging"][0], start
    # everything doubling (a backlog week) is not one issue emerging
    doubled = score_week(np.hstack([steady[:, :30], steady[:, 30:31] * 2]), np.r_[totals[:30], 800.0], cfg)
    assert doubled["emerging"].sum() == 0


def test_alpha_governs_issues_born_this_week():
    """An issue with no history at all: without the expected-count floor any
    alpha flags it at min_count; with the floor, alpha decides how many
    complaints a brand-new issue needs."""
    totals = np.full(21, 400.0)

    def flagged(count, **cfg):
        stream = np.r_[np.zeros(20), count][None, :]
        return bool(score_week(stream, totals, EmergenceConfig(dispersion=0.3, **cfg))["emerging"][0])

    assert flagged(3, alpha=0.001, min_expected=0.0) and flagged(3, alpha=0.0001, min_expected=0.0)
    assert not flagged(3, alpha=0.001) and flagged(4, alpha=0.001)  # default floor 0.2
    assert not flagged(4, alpha=0.0001) and flagged(5, alpha=0.0001)
    assert not flagged(2, alpha=0.5, min_count=3)  # min_count still applies


def test_heat_index_and_chart():
    h = heat_index(np.array([10.0, 5.0, 0.0]), np.array([8, 2, 1]), np.array([100, 0, 0]))
    assert h[0] == pytest.approx(100.0) and h[0] > h[1] > h[2] >= 0
    assert heat_index(np.array([2.0, 4.0]), np.array([1, 1]), None)[1] == pytest.approx(100.0)
    png = trend_chart({"供热": [1, 2, 3], "充电桩": [0, 2, 5]}, ["W01", "W02", "W03"], highlight={"充电桩"})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="points"):
        trend_chart({"a": [1]}, ["W01", "W02"])


def test_chart_draws_chinese_without_an_os_font_package(monkeypatch):
    """A pip-only install must still draw 供热 as glyphs, not boxes: the
    packaged Noto Sans CJK SC is found when no OS font or env path is set."""
    import warnings

    from hotline_nlp.bulletin import chart
    from matplotlib import font_manager

    path = chart._packaged_font()
    assert path is not None, "mplfonts' Noto Sans CJK SC is missing from the install"
    assert font_manager.get_font(path).get_char_index(ord("热")) != 0
    monkeypatch.delenv("HOTLINE_NLP_CJK_FONT", raising=False)
    assert chart.cjk_font() is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart.trend_chart({"新能源汽车充电桩": [0, 2, 5]}, ["2024-W01", "2024-W02", "2024-W03"])
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_issue_headline_is_the_title_that_names_the_issue():
    """Of the central complaints' titles, the one naming the issue's keywords
    plainly wins over the most central caller's own story; generic titles never."""
    from hotline_nlp.topics.issue_records import pick_headline

    keywords = ["充电桩", "安装", "物业", "证明", "业主"]
    titles = [
        "东方嘉园物叶要求业主交2600元“管理费”才给出具充电桩安装同意书",
        "问题反映",
        "物业不给出具充电桩安装证明",
        "紫金公寓充电桩的事",
    ]
    assert pick_headline(titles, keywords) == "物业不给出具充电桩安装证明"
    assert (
        pick_headline(["问题反映", "求助"], keywords) == "问题反映"
    )  # nothing better: the bulletin falls back to the label
    assert pick_headline(["", "小区停水三天"], ["停水"]) == "小区停水三天"
    assert (
        pick_headline(["紫金名苑", "紫金名苑物业费涨价"], ["暖气"]) == "紫金名苑物业费涨价"
    )  # a bare place names nothing
    assert pick_headline([], keywords) == ""


def test_reduce_keeps_a_small_pool_small():
    """A pool too small for SVD is densified over the columns it uses only (not
    2^20 hashed n-grams, 8 MB a row), with the same geometry."""
    from scipy import sparse

    x = sparse.random(60, 2**20, density=40 / 2**20, format="csr", random_state=3, dtype=np.float32)
    z = cl.reduce(x, 128)
    assert z.shape == (60, len(np.unique(x.indices))) and z.shape[1] < 3000
    xn = x.multiply(1 / np.sqrt(x.multiply(x).sum(axis=1))).tocsr()
    assert np.allclose(z @ z.T, (xn @ xn.T).toarray(), atol=1e-6)


def test_issue_headline_drops_openers():
    """市民来电： / 来电人陈述： say nothing about the issue: the hot-issue table and
    the bulletin both describe issues without them (one opener list, corpus.text)."""
    from hotline_nlp.topics.issue_records import _headline

    assert (
        _headline({"title": "市民来电：红海二期楼道暖气管道漏水", "text": ""}) == "红海二期楼道暖气管道漏水"
    )
    assert (
        _headline({"title": "", "text": "来电人陈述：在理发店付了定金50元，商家没按时交货。请处理"})
        == "在理发店付了定金50元，商家没按时交货"
    )
    assert _headline({"title": "市民反映：停水", "text": ""}) == "市民反映：停水"  # too little would be left


def test_tied_places_rank_the_same_in_every_process():
    """Reports from two processes (a Dask worker and the client, two CLI runs)
    must list tied places in the same order: not by set iteration, which
    depends on PYTHONHASHSEED."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from hotline_nlp.topics.places import summarise; "
        "print(json.dumps(summarise(['阳光小区和平街道业主学生反映', '和平街道阳光小区学生业主反映'] * 2)))"
    )
    got = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
            ).stdout
        )
        for seed in ("1", "2", "3")
    ]  # fmt: skip
    assert got[0] == got[1] == got[2] and len(got[0]["places"]) >= 2 and len(got[0]["groups"]) == 2
