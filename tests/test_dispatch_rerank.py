"""The re-ranked dispatch candidate (issue 27): taught only by older folds, winning where two
weak signals must be combined, saved and loaded without a pickle. Constructed data only."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
from hotline_nlp.classifier.dispatch.candidates import UnitSpace
from hotline_nlp.classifier.dispatch.directory import make_unit
from hotline_nlp.classifier.dispatch.model import Dispatcher
from hotline_nlp.classifier.dispatch.rerank import Context, context_of, pool_pairs, unit_counts
from hotline_nlp.classifier.dispatch.selection import FoldData, choose

DISTRICTS = ["东山区", "西河区", "南湖区", "北岭区"]
OFFICES = ["教育局", "卫生健康委员会", "生态环境局", "市场监督管理局"]


def _space() -> UnitSpace:
    units = [make_unit(f"{d}{o}", DISTRICTS) for d in DISTRICTS for o in OFFICES]
    return UnitSpace(units, DISTRICTS)


def _weak_signal_folds(space: UnitSpace, seed: int = 0, n: int = 150, k: int = 3) -> list[FoldData]:
    """Two candidates, each with one weak signal about the true unit (jurisdiction x office):
    "flat" spreads 60 % over the true office's units in every district and puts 30 % on one
    decoy of another office; "factored" spreads 60 % over the true district's units and puts
    30 % on a decoy of another district. Alone, each ranks a decoy first every time."""
    rng = np.random.default_rng(seed)
    n_u = len(space)
    folds = []
    for f in range(k):
        truth = rng.integers(0, n_u, n)
        flat, fact = np.full((n, n_u), 0.1 / n_u), np.full((n, n_u), 0.1 / n_u)
        for i, t in enumerate(truth):
            same_office = np.flatnonzero(space.function_of == space.function_of[t])
            same_district = np.flatnonzero(space.jur_of == space.jur_of[t])
            flat[i, same_office] += 0.6 / len(same_office)
            fact[i, same_district] += 0.6 / len(same_district)
            flat[i, rng.choice(np.flatnonzero(space.function_of != space.function_of[t]))] += 0.3
            fact[i, rng.choice(np.flatnonzero(space.jur_of != space.jur_of[t]))] += 0.3
        noise = lambda: rng.normal(0, 0.05, (n, n_u))  # noqa: E731
        scores = {"flat": np.log(flat) + noise(), "factored": np.log(fact) + noise()}
        ctx = Context(np.ones(n_u), np.ones(n_u))  # every unit equally used: the history says nothing
        folds.append(FoldData(np.arange(n) + n * f, truth, scores, ctx))
    return folds


def test_reranker_wins_where_two_weak_signals_each_fail_alone():
    """The true unit is the one whose office "flat" believes in and whose district "factored"
    believes in, neither candidate's first; re-ranking on each one's jurisdiction and function
    probability finds it. The selection, scoring on later folds only, chooses it."""
    space = _space()
    choice = choose(_weak_signal_folds(space), ["flat", "factored"], 0.9, space=space)
    table = {row["name"]: row for row in choice.candidates}
    assert table["flat"]["top1"] < 0.1 and table["factored"]["top1"] < 0.1, table
    assert table["reranked"]["top1"] > 0.8, table
    assert table["reranked"]["top1"] > table["blend"]["top1"] + 0.2, table
    assert choice.chosen == "reranked"
    assert choice.rerank is not None and len(choice.rerank["coef"]) == len(choice.rerank["features"])
    # the weights it learned lean on the two marginals
    weights = dict(zip(choice.rerank["features"], choice.rerank["coef"]))
    assert weights["flat:log_p_function"] > 0 and weights["factored:log_p_jurisdiction"] > 0


def test_reranker_of_a_fold_is_taught_by_older_folds_only():
    """Fold k's re-ranked scores depend on folds 0..k-1 alone: scrambling the truth of fold k
    and of every later fold leaves them unchanged; scrambling an older fold's changes them."""
    space = _space()
    base = choose(_weak_signal_folds(space), ["flat", "factored"], 0.9, space=space)
    rng = np.random.default_rng(1)

    def scores_after_scrambling(which):
        folds = _weak_signal_folds(space)
        for k in which:
            folds[k].truth = rng.permutation(folds[k].truth)
        choose(folds, ["flat", "factored"], 0.9, space=space)
        return [f.scores["reranked"] for f in folds[1:]]

    reference = scores_after_scrambling([])
    later = scores_after_scrambling([2])  # the last fold: teaches nobody
    np.testing.assert_array_equal(reference[0], later[0])
    np.testing.assert_array_equal(reference[1], later[1])
    mid = scores_after_scrambling([1])  # fold 1 teaches fold 2, never itself
    np.testing.assert_array_equal(reference[0], mid[0])
    assert not np.allclose(reference[1], mid[1])
    assert base.folds[0]["role"].startswith("teaches")


def test_pool_and_counts():
    s = np.log(np.array([[0.5, 0.3, 0.2, 1e-9], [0.1, 0.2, 0.3, 0.4]]))
    s[0, 3] = -1e4  # a unit the part cannot recommend stays out of the pool
    rows, cols, ranks = pool_pairs([s], 3, s > -5e3)
    assert list(zip(rows, cols)) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 3)]
    assert ranks[0][1].tolist() == [3, 2, 1, 0]
    plain, recent = unit_counts([0, 0, 0, 1, 1, 2], 4)
    assert plain.tolist() == [3, 2, 1, 0] and recent[2] == 1.0 and recent[0] < recent[1]
    ctx = context_of(_space(), [0, 0, 5], ev_j=np.zeros((2, 5)))
    assert ctx.ev_j.shape == (2, 16) and ctx.prior[0] == 2


# -- end to end: a district moved one kind of letter from one office to another; the text
#    cannot tell the two apart, the units' recent history can
MOVED = ("东山区城市管理行政执法局", "东山区绿化和市容管理局")  # before, after
STABLE = {
    "东山区教育局": "{c}附近学校乱收补课费，请教育部门调查。",
    "东山区住房和城乡建设管理委员会": "{c}楼道漏水墙皮脱落，物业不管。",
    "东山区生态环境局": "{c}旁边工厂夜里排放黑烟，气味刺鼻。",
}
MOVED_TEXT = "{c}门口行道树枝叶遮挡路灯，绿化带堆满垃圾无人清理。"
COMPOUNDS = ["翠湖小区", "金桂花园", "柳岸小区", "银杏家园"]


def _moved_history(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """40 % of the letters are of the moved kind, answered by the old office for the first
    40 % of the period and by the new one after: at every fold the older rows hold more of
    the old office's letters, the recent rows more of the new one's."""
    rng = random.Random(seed)
    days = pd.date_range("2024-01-01", periods=180, freq="D")
    rows = []
    for i in range(n):
        c = "东山区" + rng.choice(COMPOUNDS)
        if rng.random() < 0.4:
            unit, text = MOVED[int(i >= 0.4 * n)], MOVED_TEXT.format(c=c)
        else:
            unit = rng.choice(sorted(STABLE))
            text = STABLE[unit].format(c=c)
        rows.append({"text": text, "unit": unit, "date": days[int(i * len(days) / n)]})
    return pd.DataFrame(rows)


def test_reranker_follows_a_moved_office_and_saves_and_loads_without_a_pickle(tmp_path):
    f = _moved_history()
    model = Dispatcher(divisions=False, candidates=("flat", "factored")).fit(
        f["text"].tolist(), f["unit"].tolist(), dates=f["date"].tolist()
    )
    top1 = {c["name"]: c["top1"] for c in model.selection_["candidates"]}
    assert model.chosen_ == "reranked", top1
    assert top1["reranked"] > max(v for k, v in top1.items() if k != "reranked") + 0.1, top1
    rerank = model.selection_["rerank"]
    weights = dict(zip(rerank["features"], rerank["coef"]))
    assert weights["log_recent_rows"] > weights["log_rows"], weights
    model.save(tmp_path / "d")
    assert not [p for p in (tmp_path / "d").rglob("*") if p.suffix in (".pkl", ".pickle", ".joblib")]
    loaded = Dispatcher.load(tmp_path / "d")
    texts = ["东山区翠湖小区门口行道树枝叶遮挡路灯。", "东山区金桂花园附近学校乱收补课费。"]
    a, b = model.recommend(texts), loaded.recommend(texts)
    assert a == b
    assert [r["pred_unit"] for r in a] == [MOVED[1], "东山区教育局"]
