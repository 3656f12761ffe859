"""Dispatch: the gazetteer, the unit directory, an unseen unit, bad directories, train -> classify."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest
from hotline_nlp.classifier.dispatch.directory import (
    CITY,
    DirectoryError,
    infer_directory,
    parse_unit,
    read_directory,
)
from hotline_nlp.classifier.dispatch.model import Dispatcher
from hotline_nlp.corpus.gazetteer import short_forms

# A tiny city: two districts, each with its own compounds and schools.
PLACES = {
    "东山区": (["翠湖小区", "金桂花园", "阳光新城"], ["东山一中", "实验小学"]),
    "西河区": (["柳岸小区", "银杏家园", "滨河新村"], ["西河二中", "育才小学"]),
}
HOUSING = "{c}楼道漏水，墙皮脱落，物业不管，请住建部门处理。"
SCHOOL = "{s}乱收补课费，家长意见很大，请教育部门调查。"
HEAT = "{c}暖气不热，室温只有十几度，热力公司不给解决。"


def _rows(seed: int = 0, n: int = 240) -> pd.DataFrame:
    """History: each district's 住建局 handles housing, school complaints come from
    东山区 only (its 教育局), 市热力公司 heats everywhere."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        d = rng.choice(sorted(PLACES))
        kind = rng.choice(["housing", "school", "heat"])
        d = "东山区" if kind == "school" else d
        compounds, schools = PLACES[d]
        if kind == "housing":
            text, unit, l1 = HOUSING.format(c=rng.choice(compounds)), f"{d}住房和城乡建设局", "住房建设"
        elif kind == "school":
            text, unit, l1 = SCHOOL.format(s=rng.choice(schools)), f"{d}教育局", "教育"
        else:
            text, unit, l1 = HEAT.format(c=rng.choice(compounds)), "市热力公司", "供热"
        rows.append({"诉求编号": f"A{i}", "诉求内容": text, "一级分类": l1, "所属区县": d, "承办单位": unit})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = tmp_path_factory.mktemp("dispatch") / "history.csv"
    _rows().to_csv(path, index=False)
    return path


def _directory(tmp_path, rows, name="units.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["承办单位", "区县", "类别/职能"]).to_csv(path, index=False)
    return path


FULL = [
    ("东山区住房和城乡建设局", "东山区", "住建"),
    ("西河区住房和城乡建设局", "西河区", "住建"),
    ("东山区教育局", "东山区", "教育"),
    ("西河区教育局", "西河区", "教育"),  # new: never in the history
    ("市教育局", CITY, "教育"),
    ("市热力公司", CITY, "供热"),
]


def test_place_evidence_learns_where_places_are_and_unknown_places_pull_nowhere():
    from hotline_nlp.classifier.dispatch.directory import Unit
    from hotline_nlp.classifier.dispatch.places import PlaceEvidence

    units = [
        Unit("东山区住房和城乡建设局", "东山区", "住建"),
        Unit("西河区住房和城乡建设局", "西河区", "住建"),
        Unit("东山区甲镇人民政府", "东山区", "街道/镇", town="甲镇"),
        Unit("东山区乙镇人民政府", "东山区", "街道/镇", town="乙镇"),
    ]
    texts = ["翠湖小区停水", "翠湖小区漏水", "柳岸小区噪音", "金桂花园垃圾", "金桂花园停车"]
    y = [0, 0, 1, 3, 3]
    jur = [CITY, "东山区", "西河区"]
    pe = PlaceEvidence().fit(texts, y, units, jur)
    ev_j, ev_u = pe.evidence(["翠湖小区的电梯坏了", "柳岸小区门口积水", "星河湾小区停电", "乙镇的路灯坏了"])
    assert ev_j[0].argmax() == 1 and ev_j[1].argmax() == 2  # learned places
    assert not ev_j[2].any() and not ev_u[2].any()  # a place never seen says nothing
    assert ev_u[3].argmax() == 3 and ev_j[3].argmax() == 1  # a town's name: its government and district
    assert ev_u[0][3] == 0 and ev_u[0].max() == 0  # 翠湖小区 rows were no town's
    again = PlaceEvidence.from_dict(json.loads(json.dumps(pe.to_dict(), ensure_ascii=False)))
    assert (again.evidence(texts)[0] == pe.evidence(texts)[0]).all()
    assert short_forms("A3区") == ["A3区"] and short_forms("大洼区") == ["大洼区", "大洼"]


def test_unit_names_parse_into_jurisdiction_and_function():
    districts = ["兴隆台区", "A3区"]
    assert parse_unit("兴隆台区住房和城乡建设局", districts) == ("兴隆台区", "住建")
    assert parse_unit("A3区住建局", districts) == ("A3区", "住建")
    assert parse_unit("市住房和城乡建设局", districts) == (CITY, "住建")
    assert parse_unit("盘锦广田热电有限公司", districts) == (CITY, "供热")
    assert parse_unit("兴隆台区振兴街道办事处", districts) == ("兴隆台区", "街道/镇")
    inferred = infer_directory(["A3区教育局", "A3区教育局", "市公安局"], districts)
    assert [(u.name, u.jurisdiction, u.function, u.source) for u in inferred] == [
        ("A3区教育局", "A3区", "教育", "history"),
        ("市公安局", CITY, "公安", "history"),
    ]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "is empty"),
        (
            [("东山区教育局", "东山区", "教育"), ("东山区教育局", "东山区", "教育")],
            "more than once (rows [2, 3])",
        ),
        ([("北岭区教育局", "北岭区", "教育")], "row 2: unknown district '北岭区'"),
    ],
)
def test_bad_directories_are_refused_with_one_clear_line(tmp_path, rows, message):
    path = _directory(tmp_path, rows)
    with pytest.raises(DirectoryError, match=None) as err:
        read_directory(path, ["东山区", "西河区"])
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_directory_without_its_columns_or_bytes_is_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DirectoryError, match="is empty"):
        read_directory(empty, ["东山区"])
    odd = tmp_path / "odd.csv"
    odd.write_text("名称,地址\n东山区教育局,东山区\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match="lacks column"):
        read_directory(odd, ["东山区"])


@pytest.fixture(scope="module")
def fitted(history, tmp_path_factory):
    frame = pd.read_csv(history, dtype=str)
    units = read_directory(_directory(tmp_path_factory.mktemp("dir"), FULL), ["东山区", "西河区"])
    cats = [{c: 1.0} for c in frame["一级分类"]]
    # the factored candidate alone: this history cannot tell the candidates apart (no unit
    # is new in its later months), and composing office x district is what is tested here
    model = Dispatcher(candidates=("factored",)).fit(
        frame["诉求内容"].tolist(), frame["承办单位"].tolist(), cats, directory=units
    )
    return model


def test_a_directory_unit_never_seen_in_training_is_recommended(fitted):
    assert "西河区教育局" in fitted.classes_
    # the new district office: its district from a place, its office taught by 东山区's;
    # no district named: 柳岸小区 is placed in 西河区 by what housing rows taught
    recs = fitted.recommend(["家住柳岸小区，孩子的学校乱收补课费。"], [{"教育": 1.0}])
    assert recs[0]["pred_unit"] == "西河区教育局"
    recs = fitted.recommend(["柳岸小区楼道漏水，墙皮脱落。"], [{"住房建设": 1.0}])
    assert recs[0]["pred_unit"] == "西河区住房和城乡建设局"
    assert recs[0]["unit_confidence"] > 0.5 and not recs[0]["unit_needs_review"]


def test_dispatcher_round_trips_and_reports_cross_validated_figures(fitted, tmp_path):
    m = fitted.cv_metrics_
    assert m["how"].startswith("out-of-time") and m["n"] >= 60  # the rows of the later folds
    assert m["top1"] > 0.8 and m["jurisdiction_top1"] > 0.8
    fitted.save(tmp_path / "dispatch")
    again = Dispatcher.load(tmp_path / "dispatch")
    texts = ["翠湖小区暖气不热", "东山一中乱收费"]
    assert (again.predict_proba(texts) == fitted.predict_proba(texts)).all()
    assert not list(tmp_path.rglob("*.pkl"))


def test_train_fits_dispatch_and_classify_evaluate_show_it(history, tmp_path):
    from hotline_nlp.classifier.evaluation import evaluate
    from hotline_nlp.classifier.model import load_model
    from hotline_nlp.classifier.tagging import classify_result
    from hotline_nlp.classifier.training import train
    from hotline_nlp.corpus.loaders import load_complaints

    units = _directory(tmp_path, [FULL[0]] + FULL[2:])  # 西河区住建局 left out of the directory
    data = load_complaints(history, require=("labels",))
    report = train(
        data, name="city", models_dir=tmp_path / "m", params={"embedder": None, "cv": 2}, units=units
    )
    missing = [n for n in report.notes if "西河区住房和城乡建设局" in n]
    assert missing and "not in the unit directory (rows " in missing[0]
    assert report.metrics["dispatch"]["top1"] > 0.8
    model = load_model("city", tmp_path / "m")
    assert "西河区住房和城乡建设局" in model.dispatcher.classes_  # reported, and kept
    out = classify_result(data, model)
    assert {"pred_unit", "unit_confidence", "unit_top_k", "unit_needs_review"} <= set(out.columns)
    first = json.loads(out["unit_top_k"].iloc[0])
    assert first[0]["unit"] == out["pred_unit"].iloc[0] and len(first) == 3
    result = evaluate(model, data)["dispatch"]
    assert result["n"] == 240 and result["top1"] > 0.8 and "市热力公司" in result["per_unit"]


def test_cli_train_refuses_a_bad_directory_before_the_long_fit(history, tmp_path):
    from hotline_nlp.cli import app
    from typer.testing import CliRunner

    bad = _directory(tmp_path, [("北岭区教育局", "北岭区", "教育")])
    args = ["train", "--data", str(history), "--units", str(bad), "--models-dir", str(tmp_path / "m")]
    res = CliRunner().invoke(app, args + ["--unit-col", "承办单位", "--embedder", "none"])
    assert res.exit_code != 0
    assert "unknown district '北岭区'" in res.output and not list((tmp_path / "m").rglob("manifest.json"))


def test_bulletin_has_a_dispatch_quality_line_when_both_columns_are_there(demo_csv, tmp_path):
    from hotline_nlp.bulletin.context import Options
    from hotline_nlp.bulletin.document import Paragraph
    from hotline_nlp.bulletin.report import build_report
    from hotline_nlp.corpus.loaders import load_complaints

    raw = pd.read_csv(demo_csv, dtype=str, keep_default_na=False)
    raw = raw[raw["受理时间"].str.startswith("2024-0")]
    # a recommendation that is right on every other transferred complaint
    raw["pred_unit"] = [u if i % 2 else "市教育局" for i, u in enumerate(raw["承办单位"])]
    raw.to_csv(tmp_path / "tagged.csv", index=False)
    frame = load_complaints(tmp_path / "tagged.csv").frame
    report = build_report(frame, "2024H1", Options(min_volume=3))
    lines = [b.text for b in report.blocks if isinstance(b, Paragraph) and b.text.startswith("派单质量")]
    handled = frame[(frame["unit"] != "") & (frame["created_at"] < "2024-07-01")]
    share = (handled["rec_unit"] == handled["unit"]).mean()
    assert len(lines) == 1 and f"{100 * share:.2f}%" in lines[0] and f"{len(handled)} 件" in lines[0]
    without = build_report(frame.drop(columns=["rec_unit"]), "2024H1", Options(min_volume=3))
    assert not [b for b in without.blocks if isinstance(b, Paragraph) and b.text.startswith("派单质量")]


def test_known_districts_come_from_the_district_column_when_there_is_one():
    from hotline_nlp.classifier.dispatch.directory import known_districts

    units = ["国网盘山县供电公司", "盘山县教育局", "市教育局"]
    assert known_districts(["盘山县", "", "大洼区"], units) == ["大洼区", "盘山县"]
    assert known_districts([], ["A3区住建局", "市住建局", ""]) == ["A3区"]
    assert parse_unit("国网盘山县供电公司", ["盘山县"]) == ("盘山县", "供电")
