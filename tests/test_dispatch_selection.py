"""Dispatch chosen on the city's history (issue 27): time-ordered folds, the flat and the
factored candidates each winning where they should, a unit-only export, the auto-route
threshold, bad unit columns. Constructed data only (never real letters)."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.classifier.calibration import review_threshold
from hotline_nlp.classifier.dispatch.model import Dispatcher
from hotline_nlp.classifier.dispatch.selection import route_at, route_threshold, time_folds

DAYS = pd.date_range("2024-01-01", periods=180, freq="D")


def _dated(rows: list[dict], seed: int = 0) -> pd.DataFrame:
    """Rows in time order, spread over half a year (several per day, so dates tie)."""
    frame = pd.DataFrame(rows)
    frame["受理时间"] = [str(DAYS[int(i * len(DAYS) / len(frame))].date()) for i in range(len(frame))]
    frame["诉求编号"] = [f"T{i}" for i in range(len(frame))]
    return frame


def test_time_folds_never_score_a_row_older_than_any_training_row():
    rng = np.random.default_rng(0)
    dates = rng.choice(pd.date_range("2024-01-01", periods=40).to_numpy(), size=500)  # many ties
    folds = time_folds(dates, n_folds=3)
    assert len(folds) == 3
    scored = set()
    for tr, te in folds:
        assert dates[tr].max() < dates[te].min()  # strictly older: a day is never split
        assert not set(tr) & set(te)
        scored |= set(te)
    assert len(scored) >= 200  # the later half is scored, in three blocks


# -- the flat candidate must win: town governments of one district, told apart by
#    what the complaint is about, never by a place (the factored model cannot place them)
TOWN_TOPICS = {
    "东山区甲镇人民政府": ["渔港码头冷库异味", "渔船停靠噪音", "海鲜市场污水横流"],
    "东山区乙镇人民政府": ["机场航班夜间噪音", "机场大巴站点太远", "航空限高影响加装电梯"],
    "东山区丙镇人民政府": ["葡萄园农药飘散", "采摘园乱收门票", "果农灌溉水渠堵塞"],
}


def _flat_history(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        unit = rng.choice(sorted(TOWN_TOPICS))
        rows.append({"诉求内容": f"{rng.choice(TOWN_TOPICS[unit])}，请尽快处理。", "承办单位": unit})
    return _dated(rows)


def test_flat_candidate_wins_where_only_the_text_tells_the_units_apart():
    f = _flat_history()
    model = Dispatcher(divisions=False).fit(
        f["诉求内容"].tolist(), f["承办单位"].tolist(), dates=pd.to_datetime(f["受理时间"]).tolist()
    )
    scores = {c["name"]: c["top1"] for c in model.selection_["candidates"]}
    assert model.chosen_ == "flat", scores
    assert scores["flat"] > scores["factored"] + 0.3
    # every fold fitted on older rows than it scored
    for fold in model.selection_["folds"]:
        assert fold["train_until"] < fold["scored_from"]
    recs = model.recommend(["机场航班夜间噪音太大"])
    assert recs[0]["pred_unit"] == "东山区乙镇人民政府" and recs[0]["pred_jurisdiction"] == "东山区"


# -- the factored candidate must win: the same offices in every district, and later
#    complaints come from a district whose offices the early months never saw
OFFICES = {
    "教育局": "{c}附近学校乱收补课费，请教育部门调查。",
    "住房和城乡建设局": "{c}楼道漏水墙皮脱落，物业不管。",
}
COMPOUNDS = {
    "东山区": ["翠湖小区", "金桂花园"],
    "西河区": ["柳岸小区", "银杏家园"],
    "南湖区": ["荷塘小区", "莲花苑"],
    "北岭区": ["松涛小区", "枫林苑"],
}


def _factored_history(n: int = 240, seed: int = 2) -> pd.DataFrame:
    """Every district's 住建局 from the start; 教育局 complaints of 南湖区 only from 70 %
    of the period on and of 北岭区 from 88 %: those offices are new then."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        office = rng.choice(sorted(OFFICES))
        late = {"南湖区": i > 0.7 * n, "北岭区": i > 0.88 * n}
        pool = [d for d in COMPOUNDS if office != "教育局" or late.get(d, True)]
        d = rng.choice(pool + [d for d in late if late[d] and office == "教育局"] * 2)
        text = OFFICES[office].format(c=f"{d}{rng.choice(COMPOUNDS[d])}")
        rows.append({"诉求内容": text, "承办单位": f"{d}{office}"})
    return _dated(rows)


def test_factored_candidate_wins_where_offices_repeat_across_districts():
    f = _factored_history()
    model = Dispatcher(divisions=False).fit(
        f["诉求内容"].tolist(), f["承办单位"].tolist(), dates=pd.to_datetime(f["受理时间"]).tolist()
    )
    scores = {c["name"]: c["top1"] for c in model.selection_["candidates"]}
    assert model.chosen_.startswith("factored"), scores
    assert scores[model.chosen_] > scores["flat"] + 0.1
    # a district office first seen late, and one never seen: composed from office x district
    recs = model.recommend(["南湖区荷塘小区附近学校乱收补课费。"])
    assert recs[0]["pred_unit"] == "南湖区教育局"
    assert recs[0]["pred_jurisdiction"] == "南湖区" and recs[0]["jurisdiction_confidence"] > 0.5


# -- a unit column alone is enough
def _export(tmp_path, frame: pd.DataFrame, name: str = "export.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_a_unit_only_export_trains_classifies_evaluates_and_serves(tmp_path):
    from hotline_nlp.classifier.evaluation import evaluate
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.tagging import classify_result
    from hotline_nlp.cli import app
    from hotline_nlp.corpus.loaders import load_complaints
    from support.in_process import InProcessServer
    from typer.testing import CliRunner

    f = _factored_history().rename(columns={"承办单位": "回复单位"})
    path = _export(tmp_path, f)
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "train",
            "--data",
            str(path),
            "--unit-col",
            "回复单位",
            "--name",
            "d",
            "--models-dir",
            str(tmp_path / "m"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "chosen on later complaints" in res.output and "auto-route" in res.output
    model = load_model("d", tmp_path / "m")
    assert model.tagger is None and model.manifest["kind"] == "dispatcher"
    sel = model.manifest["selection"]["dispatch"]
    assert {c["name"] for c in sel["candidates"]} >= {"flat", "factored", "neighbours", "blend"}
    assert sel["chosen"] in {c["name"] for c in sel["candidates"]}
    assert not list((tmp_path / "m").rglob("*.pkl"))

    data = load_complaints(path, "unit=回复单位")
    out = classify_result(data, model)
    assert "pred_level1" not in out and {"pred_unit", "pred_jurisdiction", "pred_function"} <= set(out)
    assert out["jurisdiction_confidence"].between(0, 1).all()
    result = evaluate(model, data)["dispatch"]
    assert {"top1", "top3", "top5", "jurisdiction_accuracy", "auto_route"} <= set(result)
    res = runner.invoke(
        app,
        ["evaluate", "--model", "d", "--models-dir", str(tmp_path / "m"), "--data", str(path)]
        + ["--unit-col", "回复单位", "--route-precision", "0.8", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    routed = json.loads(res.stdout)["dispatch"]["auto_route"]
    assert routed["target_precision"] == 0.8 and 0 <= routed["share"] <= 1

    srv = InProcessServer("d", f"sqlite:///{tmp_path / 'c.db'}", models_dir=tmp_path / "m").start()
    try:
        answer = srv.post("/v1/classify", json={"text": "西河区柳岸小区楼道漏水墙皮脱落。"})
        assert answer.status_code == 200, answer.text
        d = answer.json()["dispatch"]
        assert d["unit"] == "西河区住房和城乡建设局" and d["jurisdiction"] == "西河区"
    finally:
        srv.stop()


# -- the auto-route threshold reaches its precision
def test_route_threshold_on_a_known_answer():
    # 100 predictions: the 40 most confident are all right, the next 20 half right, the rest wrong
    conf = np.linspace(1.0, 0.01, 100)
    correct = np.zeros(100, dtype=bool)
    correct[:40] = True
    correct[40:60:2] = True
    r = route_at(conf, correct, 0.9)
    # the largest top set at >= 0.9: 51 rows (46 right: 0.902); 52 would be 46/52 = 0.885
    assert r["n_routed"] == 51 and r["precision"] == round(46 / 51, 4) and r["share"] == 0.51
    assert route_at(conf, correct, 0.5)["n_routed"] == 100  # 50/100 right overall
    assert route_at(conf, correct, 1.0)["n_routed"] == 41  # rows 0-40 are all right


def test_route_threshold_with_a_lower_bound_on_a_known_answer():
    # the same 100 predictions: with the one-sided 95 % Wilson lower bound the largest top
    # set reaching 0.9 is 43 rows (42 right: bound 0.902); 44 (42 right) bounds at 0.872
    conf = np.linspace(1.0, 0.01, 100)
    correct = np.zeros(100, dtype=bool)
    correct[:40] = True
    correct[40:60:2] = True
    r = route_at(conf, correct, 0.9, z=1.645)
    assert r["n_routed"] == 43 and r["precision"] == round(42 / 43, 4)
    assert route_at(conf[1:11], correct[1:11], 0.9, z=1.645)["n_routed"] == 0  # 10/10 bounds at 0.787
    # the rule fit uses cuts on the latest fold alone: older rows, all right, do not count
    older_conf, older_ok = np.linspace(1.0, 0.01, 200), np.ones(200, dtype=bool)
    t = route_threshold(np.r_[older_conf, conf], np.r_[older_ok, correct], 0.9, latest=100)
    assert t == route_threshold(conf, correct, 0.9) == round(conf[42], 4)
    assert route_threshold(np.r_[older_conf, conf], np.r_[older_ok, correct], 0.9) < t


def test_lower_bound_threshold_holds_its_precision_on_later_rows_where_the_observed_share_does_not():
    """A calibrated process with a known answer: confidence c uniform, right with
    probability c, so the true precision above a cut t is (1 + t) / 2 (0.9 at t = 0.8). Cut
    on 300 held-out rows, the lower-bound rule holds 0.9 on later rows for nearly every
    draw; the observed share (round 1's rule) for fewer than half of them."""
    held_bound, held_observed = [], []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        c = rng.uniform(0, 1, 300)
        ok = rng.uniform(0, 1, 300) < c
        for rule, out in ((route_threshold, held_bound), (review_threshold, held_observed)):
            t = rule(c, ok, 0.9)
            out.append(t >= 1.0 or (1 + t) / 2 >= 0.9)
    assert np.mean(held_bound) >= 0.9
    assert np.mean(held_observed) < 0.6


def test_dispatcher_routes_the_unambiguous_share_at_the_precision_it_promises():
    """Half the complaints say which unit (distinct wording), half could be either of two
    (the same wording, answered by both at random): at 0.9 the auto-routed share on
    fresh complaints is the unambiguous half, and its precision is reached."""

    def rows(n, seed):
        rng = random.Random(seed)
        out = []
        for _ in range(n):
            if rng.random() < 0.5:
                unit = rng.choice(["市热力公司", "市燃气公司", "市自来水公司"])
                word = {"市热力公司": "暖气片不热", "市燃气公司": "燃气表漏气", "市自来水公司": "自来水发黄"}[
                    unit
                ]
                out.append({"诉求内容": f"家里{word}，请派人维修。", "承办单位": unit})
            else:
                out.append(
                    {"诉求内容": "路边垃圾很多没人管。", "承办单位": rng.choice(["市城管局", "市环卫中心"])}
                )
        return _dated(out)

    f = rows(600, 3)  # the latest fold's 100: ~50 unambiguous, all right (Wilson bound >= 0.93)
    model = Dispatcher(divisions=False).fit(
        f["诉求内容"].tolist(), f["承办单位"].tolist(), dates=pd.to_datetime(f["受理时间"]).tolist()
    )
    fresh = rows(400, 4)
    recs = model.recommend(fresh["诉求内容"].tolist())
    conf = np.array([r["unit_confidence"] for r in recs])
    ok = np.array([r["pred_unit"] == u for r, u in zip(recs, fresh["承办单位"])])
    routed = ~np.array([r["unit_needs_review"] for r in recs])
    unambiguous = ~fresh["诉求内容"].str.startswith("路边").to_numpy()
    assert ok[routed].mean() >= 0.9
    assert (routed == unambiguous).mean() > 0.95
    assert model.cv_metrics_["auto_route"]["precision"] >= 0.9
    assert model.route_threshold(0.9) == model.threshold_  # the review flag follows the rule
    assert 0 < conf.min() and conf.max() <= 1


def test_a_threshold_that_nothing_reaches_routes_not_even_a_confidence_of_one():
    # all wrong, one of them certain: no cut reaches 0.9, so nothing may be routed
    conf = np.array([1.0, 1.0, 0.9, 0.5])
    wrong = np.zeros(4, dtype=bool)
    for t in (review_threshold(conf, wrong, 0.9), route_threshold(conf, wrong, 0.9)):
        assert not (conf >= t).any()
    assert route_at(conf, wrong, 0.9)["n_routed"] == 0
    # 10 right in 10 at confidence 1.0: the Wilson bound (0.787) does not reach 0.9 either
    assert route_threshold(np.ones(10), np.ones(10, dtype=bool), 0.9) > 1.0


def test_route_threshold_lies_on_the_grid_of_the_returned_confidences():
    # the cut is one of the confidences as returned (4 digits), never between them
    conf = np.array([0.98765, 0.91234567, 0.91236, 0.5])
    t = route_threshold(conf, np.array([True, True, True, False]), 0.99, z=None)
    assert t == 0.9123 == round(t, 4)


def test_the_review_flag_agrees_with_the_returned_confidence_and_threshold():
    """A caller compares the returned unit_confidence (4 digits) with the model's threshold:
    it must reach the same answer as unit_needs_review, also for a confidence that rounds
    down across the threshold, and for a model that routes nothing."""
    f = _flat_history()
    model = Dispatcher(divisions=False).fit(
        f["诉求内容"].tolist(), f["承办单位"].tolist(), dates=pd.to_datetime(f["受理时间"]).tolist()
    )
    topics = [t for ts in TOWN_TOPICS.values() for t in ts]
    texts = [f"{a}，还有{b}" for a in topics for b in topics]  # two towns' topics: unsure
    raw = model.predict_proba(texts).max(1)
    down = raw[np.round(raw, 4) < raw]  # confidences that the 4 digits round down
    assert len(down)
    for threshold in (float(down[0]), float(raw.max()), model.route_threshold(0.999), model.threshold_):
        model.threshold_ = threshold
        for r in model.recommend(texts):
            assert r["unit_needs_review"] == (r["unit_confidence"] < model.threshold_), threshold
    model.threshold_ = model.route_threshold(1.0)
    assert all(r["unit_needs_review"] for r in model.recommend(texts + ["渔港码头冷库异味"]))


def test_cross_fitted_calibration_uses_the_latest_folds_rows_scored_by_near_deployed_models():
    f = _factored_history()
    texts, units = f["诉求内容"].tolist(), f["承办单位"].tolist()
    dates = pd.to_datetime(f["受理时间"]).tolist()
    folds = Dispatcher(divisions=False).fit(texts, units, dates=dates)
    cross = Dispatcher(divisions=False, calibrate_on="cross").fit(texts, units, dates=dates)
    latest = cross.selection_["folds"][-1]["n_scored"]
    assert cross.chosen_ == folds.chosen_ and cross.candidates == folds.candidates  # restored
    assert cross.route_rows_ == latest == len(cross.oot_[0])
    # those rows are scored by models fitted on all the others: surer than the fold's own
    assert cross.oot_[1].mean() >= folds.oot_[1][-latest:].mean()
    assert cross.route_threshold() == cross.threshold_ == cross.route_threshold(cross.route_precision)
    recs = cross.recommend(["南湖区荷塘小区附近学校乱收补课费。"])
    assert recs[0]["pred_unit"] == "南湖区教育局"


# -- bad unit columns: a note or a one-line error naming the column, nothing dropped silently
def _load(tmp_path, frame, **kw):
    from hotline_nlp.corpus.loaders import load_complaints

    return load_complaints(_export(tmp_path, frame), **kw)


def test_empty_and_nan_units_and_units_seen_once_are_noted_with_their_column(tmp_path):
    from hotline_nlp.classifier.dispatch.training import fit_dispatcher

    f = _factored_history()
    f.loc[[3, 7], "承办单位"] = ["", "NaN"]
    f.loc[10, "承办单位"] = "南湖区体育局"  # once
    model, notes = fit_dispatcher(_load(tmp_path, f), params={"divisions": False})
    text = " | ".join(notes)
    assert "2 row(s) have no unit in column '承办单位' (rows 5, 9)" in text
    assert "appear only once" in text and "南湖区体育局" in text
    assert "南湖区体育局" in model.classes_  # kept


def test_directory_units_never_seen_are_noted(tmp_path):
    from hotline_nlp.classifier.dispatch.training import fit_dispatcher

    f = _factored_history()
    units = tmp_path / "units.csv"
    listed = sorted(set(f["承办单位"])) + ["南湖区卫生健康委员会"]
    pd.DataFrame(
        {"承办单位": listed, "区县": [u[:3] for u in listed], "类别/职能": [""] * len(listed)}
    ).to_csv(units, index=False)
    model, notes = fit_dispatcher(_load(tmp_path, f), units, params={"divisions": False})
    assert any("never appear in the history" in n and "南湖区卫生健康委员会" in n for n in notes)
    assert "南湖区卫生健康委员会" in model.classes_


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda i: f"单位{i}", "has 5,001 distinct values"),
        (
            lambda i: f"我家楼下的餐馆每天晚上都很吵，反映了很多次都没有人管，希望尽快处理第{i}号",
            "looks like free text",
        ),
    ],
)
def test_a_column_that_is_not_a_unit_column_is_a_one_line_error(tmp_path, make, message):
    from hotline_nlp.classifier.dispatch.training import fit_dispatcher

    n = 5_001 if "distinct" in message else 200
    f = pd.DataFrame(
        {"诉求内容": [f"投诉内容{i}" for i in range(n)], "承办单位": [make(i) for i in range(n)]}
    )
    with pytest.raises(ValueError) as err:
        fit_dispatcher(_load(tmp_path, f))
    assert message in str(err.value) and "'承办单位'" in str(err.value) and "\n" not in str(err.value)


def test_selection_by_top1_or_by_top1_plus_top3_on_constructed_fold_scores():
    """Two candidates over 5 units on folds with a known answer: "flat" right first for half
    the rows and otherwise nowhere near; "factored" first for 45 % but second for the rest.
    By top-1 flat wins; by top-1 + top-3 (what a dispatcher shows) factored does."""
    from hotline_nlp.classifier.dispatch.selection import FoldData, choose

    rng = np.random.default_rng(0)
    folds = []
    for k in range(3):
        n = 100
        truth = rng.integers(0, 5, n)
        flat = np.zeros((n, 5))
        fact = np.zeros((n, 5))
        for i, t in enumerate(truth):
            other = (t + 1) % 5
            flat[i, t if i < 50 else other] = 5.0
            flat[i, t] = 5.0 if i < 50 else -5.0
            fact[i, t if i < 45 else other] = 5.0
            fact[i, t] = 5.0 if i < 45 else 4.0
        folds.append(FoldData(np.arange(n) + 100 * k, truth, {"flat": flat, "factored": fact}))
    by_top1 = choose(folds, ["flat", "factored"], 0.9, want_blend=False)
    by_both = choose(folds, ["flat", "factored"], 0.9, want_blend=False, select_on="top1+top3")
    table = {row["name"]: row for row in by_top1.candidates}
    assert table["flat"]["top1"] == 0.5 and table["factored"]["top1"] == 0.45
    assert table["flat"]["top3"] == 0.5 and table["factored"]["top3"] == 1.0
    assert by_top1.chosen == "flat" and by_both.chosen == "factored"


def test_candidate_and_place_settings_reach_the_candidates_they_name():
    from hotline_nlp.classifier.dispatch.candidates import make_candidate

    d = Dispatcher(
        C=2.0, candidate_params={"factored": {"town_weight": 2.0}, "places": {"learned_weight": 0.5}}
    )
    assert make_candidate("factored", d._params("factored")).town_weight == 2.0
    assert make_candidate("factored-grouped", d._params("factored-grouped")).town_weight == 3.0  # the default
    assert make_candidate("flat", d._params("flat")).C == 2.0
    assert d._params("places") == {"learned_weight": 0.5}
