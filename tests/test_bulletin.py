"""The bulletin's numbers, section by section, against values counted by hand
from tests/data/bulletin_small.csv (read with the real loader).

2024H1 holds 20 complaints: 16 转办 (T01-T16) and 4 直接答复 (D01-D04);
2023H1 (同比 base) holds 16, 2023H2 (环比 base) 2. The per-row values are in
the CSV; each expected number below says how it was counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hotline_nlp.bulletin.context import Options
from hotline_nlp.bulletin.document import Heading, Paragraph
from hotline_nlp.bulletin.handling_rates import Weights, load_weights, score
from hotline_nlp.bulletin.report import build_report
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.topics.hotspots import HotspotConfig, emerging_issues

DATA = Path(__file__).parent / "data" / "bulletin_small.csv"


def opts(**kw) -> Options:
    """Options without the hotspot engine (tested on its own below: it takes seconds);
    the fixture's periods hold a handful of complaints, so changes are computed from
    a base of 1 (the default minimum base is tested in test_hostile_exports)."""
    return Options(**{"min_change_base": 1, **kw})


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    res = load_complaints(DATA)
    assert res.rejects.empty
    return res.frame


@pytest.fixture(scope="module")
def report(frame):
    return build_report(frame, "2024H1", opts(min_volume=3, city="测试市", date="2024年7月18日"))


def text_of(report) -> str:
    return "\n".join(b.lead + b.text for b in report.blocks if isinstance(b, Paragraph))


def table(report, caption_part: str):
    hits = [t for t in report.tables() if caption_part in t.caption]
    assert len(hits) == 1, [t.caption for t in report.tables()]
    t = hits[0]
    return {row[1]: dict(zip(t.columns, row)) for row in t.rows}, t


def test_overview_numbers(report):
    f = report.figures
    assert f["overview.total"].value == 20 and f["overview.total"].display == "20 件"
    assert f["overview.total_change"].value == pytest.approx((20 - 16) / 16)
    assert f["overview.direct"].value == 4 and f["overview.transferred"].value == 16
    assert f["overview.closed"].value == pytest.approx(14 / 16)  # T04, T12 not closed
    assert f["overview.satisfied"].value == pytest.approx(
        11 / 14
    )  # T05, T12 not evaluated; T04, T09, T15 不满意
    assert f["overview.on_time"].value == pytest.approx(14 / 16)  # T05, T12 late
    assert f["overview.revisited"].value == pytest.approx(13 / 16)  # T03, T09, T12
    assert f["overview.stars"].value == pytest.approx(34 / 14)  # 14 rated, stars sum 34
    lead = report.blocks[0].text
    assert lead.startswith(
        "2024 年上半年，测试市 12345 政务服务便民热线平台共受理各类诉求 20 件（同比增长 25.00%）"
    )
    assert (
        "平台直接答复 4 件，转办 16 件，办结率 87.50%，满意率 78.57%，按时反馈率 87.50%，有效回访率 81.25%"
        in lead
    )
    assert "得星平均分 2.43" in lead
    # each rate is defined once
    defs = text_of(report)
    assert defs.count("满意率 =（满意 + 基本满意）/ 参评件数") == 1


def test_report_layout(report):
    headings = [b.text for b in report.blocks if isinstance(b, Heading)]
    assert headings == [
        "一、总体情况",
        "（一）各地区办理情况",
        "（二）市直部门办理情况",
        "（三）其他单位办理情况",
        "（四）热点诉求分析",
        "二、“评优评差”情况",
        "说明",
    ]
    assert report.title.title == "关于测试市 12345 政务服务便民热线平台上半年诉求办理情况的通报"
    assert any("--no-emerging" in o for o in report.omitted)


def test_figures_trace_to_ids(report):
    closed = report.figures["overview.closed"]
    assert len(closed.complaint_ids) == 16 and all(i.startswith("T") for i in closed.complaint_ids)
    assert sorted(set(closed.complaint_ids) - set(closed.numerator_ids)) == ["T04", "T12"]
    change = report.figures["overview.total_change"]
    assert len(change.base_ids) == 16 and all(i.startswith("B") for i in change.base_ids)
    assert "2024-01-01 至 2024-06-30" in closed.filter and "办理方式=转办" in closed.filter


def test_unit_tables(report):
    rows, t = table(report, "县区办理情况")
    assert t.columns == [
        "序号",
        "受理单位",
        "交办总量",
        "得星平均分",
        "办结率",
        "满意率",
        "按时反馈率",
        "有效回访率",
        "综评分",
    ]
    xl = rows["兴隆台区"]  # T01-T06
    assert (
        xl["交办总量"],
        xl["得星平均分"],
        xl["办结率"],
        xl["满意率"],
        xl["按时反馈率"],
        xl["有效回访率"],
    ) == ("6", "2.40", "83.33%", "80.00%", "83.33%", "83.33%")
    # 100 x (.25*5/6 + .30*.8 + .15*5/6 + .10*5/6 + .20*(2.4-1)/2)
    assert xl["综评分"] == "79.67"
    dw = rows["大洼区"]  # T07-T09
    assert (dw["交办总量"], dw["满意率"], dw["有效回访率"], dw["综评分"]) == (
        "3",
        "66.67%",
        "66.67%",
        "76.67",
    )
    assert [r[1] for r in t.rows] == ["兴隆台区", "大洼区"]  # ranked by 综评分
    rows, _ = table(report, "市直部门办理情况")
    assert rows["市公安局"]["满意率"] == "100.00%" and rows["市公安局"]["综评分"] == "83.33"
    rows, _ = table(report, "其他单位办理情况")
    assert rows["供电公司"]["满意率"] == "75.00%" and rows["供电公司"]["综评分"] == "87.50"
    text = text_of(report)
    assert "各县区共受理诉求 9 件，占全市转办量的 56.25%" in text
    assert "市直部门共受理诉求 3 件，占全市转办量的 18.75%" in text


def test_hot_categories(report):
    f = report.figures
    assert f["hot.物业管理.count"].value == 7  # T01 T02 T03 T04 T09 T12 T15
    assert f["hot.物业管理.share"].value == pytest.approx(7 / 16)
    assert f["hot.物业管理.change"].value == pytest.approx((7 - 4) / 4)
    assert f["hot.供热.change"].value == pytest.approx((4 - 5) / 5)
    assert "hot.交通出行.change" not in f  # no 交通出行 in 2023H1: no change printed
    text = text_of(report)
    assert "群众反映高频问题主要集中在物业管理、供热、市容市貌、交通出行等方面。" in text
    assert (
        "1. 物业管理类诉求占比较大。同比增长 75.00%，占转办诉求总量的 43.75%，"
        "主要集中在物业服务管理（占比 71.43%）方面。如：市民反映"
    ) in text
    assert (
        "2. 供热类诉求有所下降。同比下降 20.00%，占转办诉求总量的 25.00%，主要集中在供热质量（占比 75.00%）方面"
        in text
    )
    assert "3. 市容市貌类诉求较为突出。同比增长 50.00%" in text
    assert "4. 交通出行类诉求关注度较高。占转办诉求总量的 12.50%" in text
    # the phone number in T04 is never quoted, every example names its id
    assert "13912345678" not in text and "（诉求编号：T04）" not in text
    assert text.count("（诉求编号：") >= 6
    assert len(report.images()) == 1 and report.images()[0].png[:4] == b"\x89PNG"


def test_trend_points_add_up(report):
    f = report.figures
    months = [k for k in (fig.key for fig in f) if k.startswith("trend.物业管理.")]
    assert len(months) == 6  # 2024H1 is charted by month
    assert sum(f[k].value for k in months) == 7


def test_ranking(report):
    f = report.figures
    assert f["ranking.units"].value == 5  # 5 base units handled 2024H1 complaints
    assert f["ranking.eligible"].value == 4  # 兴隆台区街道办 has 2 (< min_volume 3)
    best, t1 = table(report, "表一")
    worst, t2 = table(report, "表二")
    assert list(best) == ["供电公司", "市公安局", "大洼区综合执法局"]
    assert list(worst) == ["兴隆台区住建局"] and worst["兴隆台区住建局"]["综评分"] == "76.25"
    assert t1.note == "注：交办量 3 件以上。" and "平均分" in t1.columns


def test_min_volume_default_leaves_nobody_to_rank(frame):
    rep = build_report(frame, "2024H1", opts())
    assert not [t for t in rep.tables() if t.caption.startswith("表")]
    assert "交办量 15 件以上的单位不足，本期不作评优评差" in text_of(rep)


def test_compare_previous(frame):
    rep = build_report(frame, "2024H1", opts(compare="previous"))
    assert rep.figures["overview.total_change"].value == pytest.approx((20 - 2) / 2)
    assert "环比增长 900.00%" in rep.blocks[0].text
    assert rep.figures["hot.物业管理.change"].value == pytest.approx((7 - 2) / 2)


def test_missing_columns_are_omitted_not_invented(tmp_path, frame):
    raw = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    path = tmp_path / "thin.csv"
    raw.drop(
        columns=["满意度评价", "评星", "单位类型", "承办单位", "基层承办单位", "一级分类", "二级分类"]
    ).to_csv(path, index=False)
    rep = build_report(load_complaints(path).frame, "2024H1", opts())
    text = text_of(rep)
    assert "满意率" not in rep.blocks[0].text and "得星" not in rep.blocks[0].text
    assert "办结率 87.50%" in rep.blocks[0].text
    assert not rep.tables() and not rep.images()
    headings = [b.text for b in rep.blocks if isinstance(b, Heading)]
    assert not any("热点诉求" in h or "办理情况" in h or "评优评差" in h for h in headings)
    for needle in (
        "满意率、得星平均分：数据无对应列",
        "各地区、各部门办理情况：数据无“承办单位”列",
        "热点诉求分析：数据无分类列",
        "“评优评差”情况：数据无承办单位列",
    ):
        assert any(needle in o for o in rep.omitted), needle
        assert needle in text  # and the report says so in its 说明


def test_no_base_period_no_change(frame):
    rep = build_report(frame.loc[frame["created_at"] >= "2024-01-01"], "2024H1", opts())
    assert "overview.total_change" not in rep.figures
    assert "同比" not in rep.blocks[0].text
    assert any("未计算同比变化" in o for o in rep.omitted)


def test_no_handling_column(tmp_path):
    raw = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    path = tmp_path / "nohandling.csv"
    raw.drop(columns=["办理方式"]).to_csv(path, index=False)
    rep = build_report(load_complaints(path).frame, "2024H1", opts())
    assert "overview.direct" not in rep.figures
    assert rep.figures["overview.closed"].value == pytest.approx(14 / 20)  # direct rows have empty 是否办结
    assert "占诉求总量的" in text_of(rep)


def test_weights(tmp_path):
    assert score({"closed": 1.0, "satisfied": 0.5}, None, Weights()) == pytest.approx(
        100 * (0.25 + 0.15) / 0.55
    )
    p = tmp_path / "w.json"
    p.write_text(json.dumps({"closed": 1, "satisfied": 0, "on_time": 0, "revisited": 0, "stars": 0}))
    w = load_weights(p)
    assert score({"closed": 0.9, "satisfied": 0.1}, 3.0, w) == pytest.approx(90.0)
    t = tmp_path / "w.toml"
    t.write_text("[weights]\nstars = 1.0\nclosed = 0\nsatisfied = 0\non_time = 0\nrevisited = 0\n")
    assert score({"closed": 0.2}, 2.0, load_weights(t)) == pytest.approx(50.0)
    bad = tmp_path / "bad.json"
    bad.write_text('{"speed": 1}')
    with pytest.raises(ValueError, match="speed"):
        load_weights(bad)
    with pytest.raises(ValueError):
        Weights(closed=-1)


def test_weights_change_the_score(frame):
    w = Weights(closed=1, satisfied=0, on_time=0, revisited=0, stars=0)
    rep = build_report(frame, "2024H1", opts(weights=w, min_volume=3))
    rows, _ = table(rep, "县区办理情况")
    assert rows["兴隆台区"]["综评分"] == "83.33"  # = 办结率 x 100
    assert "办结率 1" in text_of(rep)  # the formula used is printed


def test_week_and_month_periods(frame):
    rep = build_report(frame, "2024-01", opts())
    assert sorted(rep.figures["overview.total"].complaint_ids) == ["T01", "T02", "T05", "T06", "T13"]
    wk = build_report(frame, "2024-W02", opts())  # 2024-01-08 .. 01-14: T05, T13
    assert sorted(wk.figures["overview.total"].complaint_ids) == ["T05", "T13"]
    assert wk.title.title == "关于本市 12345 政务服务便民热线平台第 2 周（1月8日—1月14日）诉求办理情况的通报"


DEMO = Path(__file__).resolve().parents[1] / "corpus" / "data" / "demo_complaints.csv"


def test_emerging_issues_section():
    """The section words what the engine finds, on a slice of the bundled corpus small
    enough for the engine to take seconds (charger complaints rising from July 2024,
    供水 as background). What the engine finds is tested with the engine."""
    frame = load_complaints(DEMO).frame
    frame = frame.loc[
        (frame["created_at"] >= "2024-05-01") & frame["level1"].isin(["新能源汽车充电设施", "供水"])
    ]
    found = emerging_issues(frame, "2024Q3", HotspotConfig(history_weeks=12), embedder="none")
    rep = build_report(frame, "2024Q3", Options(), emerging=found)
    headings = [b.text for b in rep.blocks if isinstance(b, Heading)]
    assert "二、难点问题" in headings
    start = headings.index("二、难点问题")
    paras = [b for b in rep.blocks if isinstance(b, Paragraph) and b.lead[:2] in ("1.", "2.", "3.")]
    issues = [p for p in paras if "此类诉求" in p.text]
    engine = rep.meta["emerging_issues"]
    assert len(issues) == len(engine) >= 1
    from hotline_nlp.bulletin.sec_emerging import _headline

    assert issues[0].lead == f"1. {_headline(engine[0], 1)}。"
    first = rep.figures["emerging.1.count"]
    assert first.value == engine[0]["count"] >= 5 and first.display == f"{first.value} 件"
    ids = set(first.complaint_ids)
    in_q3 = frame.loc[(frame["created_at"] >= "2024-07-01") & (frame["created_at"] < "2024-10-01")]
    assert ids <= set(in_q3["id"])  # only complaints of the period are counted
    assert f"此类诉求 {first.value} 件" in issues[0].text and "（诉求编号：" in issues[0].text
    dist = [f for f in rep.figures if f.key.startswith("emerging.1.district.")]
    assert dist and all(set(f.complaint_ids) <= ids for f in dist)
    assert headings[start + 1] == "三、“评优评差”情况"


def test_emerging_headline_skips_generic_titles():
    """A caller's title such as 问题反映 or 求助 names nothing: the issue's keyword
    label heads the paragraph instead; a real title is kept."""
    from hotline_nlp.bulletin.sec_emerging import _headline

    label = "充电桩、安装、物业"
    for generic in ("问题反映", "市民反映：情况反映", "求助", "投诉"):
        assert _headline({"description": generic, "label": label}, 1) == label, generic
    real = "物业拒绝业主安装充电桩"
    assert _headline({"description": real, "label": label}, 1) == real
    assert _headline({"description": "", "label": ""}, 2) == "新问题 2"
