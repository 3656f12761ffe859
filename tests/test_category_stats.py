"""category_table on a small export written to disk and read by the real loader;
every expected number below is counted by hand from ROWS."""

from __future__ import annotations

import csv

import pytest
from hotline_nlp.corpus.loaders import load_complaints
from hotline_nlp.topics.category_stats import category_table, transferred_mask

HEAD = ["诉求编号", "受理时间", "诉求内容", "一级分类", "二级分类", "办理方式"]
ROWS = [
    # 2024H1 (the period): 物业管理 4 (3 转办), 供热 2 (2 转办), 1 unlabelled (转办), 交通 1 (直接答复)
    ["A1", "2024-01-05 09:00", "小区物业不让车辆进入", "物业管理", "物业服务管理", "转办"],
    ["A2", "2024-02-11 10:00", "物业不作为，垃圾不清", "物业管理", "物业服务管理", "转办"],
    ["A3", "2024-03-01 08:00", "物业费怎么收", "物业管理", "物业服务管理", "直接答复"],
    ["A4", "2024-06-30 23:59", "楼道灯坏了无人修", "物业管理", "公共区域设施", "转办"],
    ["A5", "2024-01-20 12:00", "室温16度不达标", "供热", "供热质量", "转办"],
    ["A6", "2024-02-02 12:00", "测温未达标要求退费", "供热", "测温退费", "转办"],
    ["A7", "2024-04-04 12:00", "咨询一个问题", "", "", "转办"],
    ["A8", "2024-05-05 12:00", "公交几点发车", "交通出行", "公交", "直接答复"],
    # 2024-07-01 is outside 2024H1 (half-open period)
    ["B1", "2024-07-01 00:00", "物业又不让进", "物业管理", "物业服务管理", "转办"],
    # 2023H2 (previous): 物业管理 2 (1 转办), 交通出行 1
    ["C1", "2023-08-01 09:00", "物业乱收费", "物业管理", "物业服务管理", "转办"],
    ["C2", "2023-09-01 09:00", "物业不修电梯", "物业管理", "物业维修服务", "直接答复"],
    ["C3", "2023-12-31 23:00", "公交晚点", "交通出行", "公交", "转办"],
    # 2023H1 (last year): 物业管理 5 (all 转办), 供热 1 (转办)
    *[[f"D{i}", f"2023-0{i}-10 09:00", "物业问题", "物业管理", "物业服务管理", "转办"] for i in range(1, 6)],
    ["D6", "2023-02-15 09:00", "暖气不热", "供热", "供热质量", "转办"],
]


@pytest.fixture()
def frame(tmp_path):
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEAD)
        w.writerows(ROWS)
    res = load_complaints(path)
    assert res.rejects.empty
    return res.frame


def _by_cat(rows):
    return {r["category"]: r for r in rows}


def test_all_complaints(frame):
    rows = category_table(frame, "2024H1", min_base=1)  # a tiny fixture: every base counts
    assert [r["category"] for r in rows] == ["物业管理", "供热", "交通出行"]
    wy = _by_cat(rows)["物业管理"]
    assert wy["count"] == 4
    assert wy["share"] == pytest.approx(4 / 8)  # the unlabelled A7 is in the denominator
    assert wy["previous_count"] == 2 and wy["change_vs_previous"] == pytest.approx(1.0)
    assert wy["last_year_count"] == 5 and wy["change_vs_last_year"] == pytest.approx(-0.2)
    assert wy["complaint_ids"] == ["A1", "A2", "A3", "A4"]
    assert [(s["category"], s["count"]) for s in wy["subcategories"]] == [
        ("物业服务管理", 3),
        ("公共区域设施", 1),
    ]
    assert wy["subcategories"][0]["share"] == pytest.approx(0.75)
    assert wy["subcategories"][1]["complaint_ids"] == ["A4"]
    gr = _by_cat(rows)["供热"]
    # no 供热 in 2023H2 (but the data covers it): base 0 -> change None
    assert gr["previous_count"] == 0 and gr["change_vs_previous"] is None
    assert gr["last_year_count"] == 1 and gr["change_vs_last_year"] == pytest.approx(1.0)


def test_transferred_only_and_top(frame):
    rows = category_table(frame, "2024H1", transferred_only=True, top=2, min_base=1)
    assert [r["category"] for r in rows] == ["物业管理", "供热"]
    wy = rows[0]
    assert wy["count"] == 3 and wy["share"] == pytest.approx(3 / 6)  # 6 transferred in 2024H1
    assert wy["previous_count"] == 1 and wy["change_vs_previous"] == pytest.approx(2.0)
    assert wy["last_year_count"] == 5 and wy["change_vs_last_year"] == pytest.approx(-0.4)
    assert wy["complaint_ids"] == ["A1", "A2", "A4"]
    assert rows[1]["share"] == pytest.approx(2 / 6)


def test_base_absent_when_data_does_not_reach_back(frame):
    rows = category_table(frame.loc[frame["created_at"] >= "2024-01-01"], "2024H1")
    wy = _by_cat(rows)["物业管理"]
    assert wy["previous_count"] is None and wy["change_vs_previous"] is None
    assert wy["last_year_count"] is None and wy["change_vs_last_year"] is None


def test_transferred_only_without_handling_column_uses_all(frame):
    rows = category_table(frame.drop(columns=["handling"]), "2024H1", transferred_only=True)
    assert _by_cat(rows)["物业管理"]["count"] == 4
    assert transferred_mask(frame.drop(columns=["handling"])) is None


def test_weekly_period_and_errors(frame):
    rows = category_table(frame, "2024-W03")  # 2024-01-15 .. 2024-01-21 holds A5
    assert [(r["category"], r["count"], r["share"]) for r in rows] == [("供热", 1, 1.0)]
    with pytest.raises(ValueError, match="一级分类"):
        category_table(frame.drop(columns=["level1"]), "2024H1")
    assert category_table(frame, "2022-05") == []
