"""End-to-end hotspot reports on a constructed stream with a planted emerging issue,
bad input, persistence of issue ids through a state directory, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.topics.category_stats import MIN_CHANGE_BASE
from hotline_nlp.topics.config import HotspotConfig, HotspotError
from hotline_nlp.topics.hotspots import emerging_issues, hot_issues, replay, weekly_alert
from typer.testing import CliRunner

PLACES = ["阳光小区", "锦绣花园", "翠湖家园", "金桥新村", "枫林雅苑", "滨河公寓", "东湖小区", "松竹苑"]
TOPICS = {
    "供热": [
        "{p}暖气不热，室温只有{n}度，热力公司测温说不达标但一直不处理",
        "{p}供暖温度低，家里只有{n}度，老人孩子冻得受不了，要求热力公司退费",
    ],
    "噪音": [
        "{p}旁边工地夜间施工，晚上{n}点还在打桩，噪音扰民严重影响休息",
        "{p}附近工地噪音太大，夜里{n}点还在施工，吵得睡不着觉",
    ],
    "公交": [
        "{n}路公交车司机态度恶劣，不按站点停车，乘客下不了车",
        "{n}路公交车经常甩站，司机开车太猛，乘客站不稳",
    ],
    "退费": [
        "{p}附近的健身房突然闭店跑路，办的预付卡{n}元无法退费",
        "{p}旁边的游泳馆关门了，预付卡里还有{n}元，商家联系不上",
    ],
}
PLANTED = [
    "{p}物业拒绝给业主出具安装新能源汽车充电桩的同意证明，国家电网说必须物业盖章",
    "{p}物业不同意业主在自己车位安装新能源汽车充电桩，不给出具证明，车没法充电",
    "买了新能源汽车，{p}物业拒绝出具充电桩安装同意证明，充电桩一直装不上",
]
DETAILS = [
    "已经反映过好几次了",
    "打电话一直没人接",
    "希望有关部门尽快处理",
    "请领导重视一下",
    "这个问题持续很久了",
    "周围邻居意见都很大",
    "请尽快给个答复",
    "实在没办法才打12345",
    "找过社区也没有解决",
    "希望能派人到现场看看",
    "谢谢",
    "麻烦尽快联系我",
]
NOISE = ["咨询{x}的办理流程和所需材料", "请问{x}在哪里办理，需要带什么证件", "反映{x}窗口工作人员服务态度差"]
SERVICES = [
    "居住证",
    "护照",
    "公积金提取",
    "医保报销",
    "社保转移",
    "营业执照",
    "不动产登记",
    "驾驶证换证",
    "出生证明",
    "户口迁移",
    "失业金申领",
    "老年证",
    "残疾证",
    "结婚登记",
    "税务登记",
    "准生证",
]


def make_stream(
    weeks: int = 30,
    planted_from: int | None = 22,
    seed: int = 0,
    start: str = "2024-01-01",
    per_topic: int = 4,
) -> pd.DataFrame:
    """Weekly complaints: four steady topics (``per_topic`` a week each), one-off noise,
    and (from week ``planted_from``) a growing EV-charger issue: 1, 2, 3, ... a week."""
    rng = np.random.default_rng(seed)
    rows = []
    t0 = pd.Timestamp(start)

    def add(text, week, topic, caller=None):
        text = text + "，" + "，".join(rng.choice(DETAILS, size=2, replace=False)) + "。"
        when = t0 + pd.Timedelta(weeks=week) + pd.Timedelta(seconds=int(rng.integers(0, 7 * 86400 - 1)))
        rows.append(
            {
                "id": str(100000 + len(rows)),
                "text": text,
                "created_at": when,
                "topic": topic,
                "caller": caller or f"1{rng.integers(10**9, 10**10)}",
            }
        )

    for w in range(weeks):
        for topic, templates in TOPICS.items():
            for _ in range(rng.poisson(per_topic)):
                add(rng.choice(templates).format(p=rng.choice(PLACES), n=int(rng.integers(5, 99))), w, topic)
        for _ in range(6):
            add(
                rng.choice(NOISE).format(x=rng.choice(SERVICES)) + f"，编号{rng.integers(1000, 9999)}",
                w,
                "noise",
            )
        if planted_from is not None and w >= planted_from:
            for _ in range(w - planted_from + 1):
                add(rng.choice(PLANTED).format(p=rng.choice(PLACES)), w, "planted")
    f = pd.DataFrame(rows)
    f["level1"] = f["topic"].map(
        {
            "供热": "供热",
            "噪音": "环境保护",
            "公交": "公交",
            "退费": "消费维权",
            "planted": "新能源汽车充电设施",
            "noise": "政务服务",
        }
    )
    f["level2"] = f["topic"]
    return f


def week_label(start: str, w: int) -> str:
    y, n, _ = (pd.Timestamp(start) + pd.Timedelta(weeks=w)).isocalendar()
    return f"{y}-W{n:02d}"


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    return make_stream()


def test_planted_issue_flagged_and_steady_topics_not(stream):
    wk = week_label("2024-01-01", 26)  # fifth week of the plant: 5 complaints
    r = weekly_alert(stream, wk)
    assert r["period"]["label"] == wk and r["total"] == int(
        (
            pd.to_datetime(stream.created_at).apply(
                lambda t: f"{t.isocalendar()[0]}-W{t.isocalendar()[1]:02d}"
            )
            == wk
        ).sum()
    )
    planted = set(stream.loc[stream.topic == "planted", "id"])
    flagged = [i for i in r["issues"] if i["emerging"]]
    hits = [i for i in flagged if len(set(i["complaint_ids"]) & planted) > len(i["complaint_ids"]) / 2]
    assert hits, (
        f"planted issue not flagged: {[(i['label'], i['count'], i['expected']) for i in r['issues']]}"
    )
    assert "充电桩" in "".join(hits[0]["keywords"]) + hits[0]["label"]
    assert len(flagged) <= 2, [i["label"] for i in flagged]  # steady topics stay quiet
    issue = hits[0]
    assert issue["examples"] and {"id", "text"} <= set(issue["examples"][0])
    assert issue["count"] >= 3 and issue["first_seen"] <= r["period"]["end"]
    for key in (
        "id",
        "label",
        "keywords",
        "count",
        "previous_count",
        "growth",
        "score",
        "emerging",
        "first_seen",
        "places",
        "examples",
        "complaint_ids",
    ):
        assert key in issue


def test_categories_block_matches_hand_count(stream):
    wk = week_label("2024-01-01", 20)
    r = weekly_alert(stream, wk)
    ts = pd.to_datetime(stream.created_at)
    start = pd.Timestamp(r["period"]["start"])
    in_week = stream[(ts >= start) & (ts < start + pd.Timedelta(days=7))]
    prev = stream[(ts >= start - pd.Timedelta(days=7)) & (ts < start)]
    cats = {c["category"]: c for c in r["categories"]}
    for name, n in in_week["level1"].value_counts().items():
        c = cats[name]
        assert c["count"] == n
        assert c["share"] == pytest.approx(n / len(in_week))
        p = int((prev["level1"] == name).sum())
        # below the minimum base a percentage says nothing: no change (reports say 新增/不适用)
        assert c["change_vs_previous"] == (None if p < MIN_CHANGE_BASE else pytest.approx((n - p) / p))
        assert c["change_vs_last_year"] is None  # the data does not reach back a year


def test_no_dates_one_week_and_empty_period():
    f = make_stream(weeks=1, planted_from=None)
    with pytest.raises(HotspotError, match="date"):
        weekly_alert(f.drop(columns=["created_at"]), "2024-W01")
    with pytest.raises(HotspotError, match="usable date"):
        weekly_alert(f.assign(created_at="not a date"), "2024-W01")
    r = weekly_alert(f, "2024-W01")  # one week of data: listed, nothing judged emerging
    assert r["total"] == len(f) and not any(i["emerging"] for i in r["issues"])
    assert any("没有历史数据" in n for n in r["notes"])  # the alert is Chinese, its notes too
    with pytest.raises(HotspotError, match="no complaints in 2024-W10"):
        weekly_alert(f, "2024-W10")
    with pytest.raises(HotspotError, match="ISO week"):
        weekly_alert(f, "2024-01")
    assert emerging_issues(f, "2024-06") == []
    with pytest.raises(HotspotError, match="no complaints"):
        hot_issues(f, ("2025-01-01", "2025-01-31"))
    with pytest.raises(HotspotError, match="empty"):
        weekly_alert(f.iloc[:0], "2024-W01")


def test_state_dir_keeps_issue_ids_across_weeks(stream, tmp_path):
    state = tmp_path / "state"
    w1, w2 = week_label("2024-01-01", 24), week_label("2024-01-01", 25)
    r1 = weekly_alert(stream, w1, state_dir=state)
    assert (state / "tracker.json").is_file() and (state / "assignments" / f"{w1}.json").is_file()
    saved = json.loads((state / "assignments" / f"{w1}.json").read_text())
    r2 = weekly_alert(stream, w2, state_dir=state)
    # the tracker's placements of w1 (pool births and joins) are kept as they were
    assert json.loads((state / "assignments" / f"{w1}.json").read_text()) == saved
    listed = {cid: i["id"] for i in r1["issues"] for cid in i["complaint_ids"]}
    assert all(listed[c] == k for c, k in saved.items() if c in listed and k >= 0)
    heat1 = {
        i["id"] for i in r1["issues"] if "暖气" in "".join(i["keywords"]) or "供暖" in "".join(i["keywords"])
    }
    heat2 = {
        i["id"] for i in r2["issues"] if "暖气" in "".join(i["keywords"]) or "供暖" in "".join(i["keywords"])
    }
    assert heat1 & heat2, (heat1, heat2)  # the heating issue has one id in both weeks
    # the stateful run gives the same ids as replaying the two weeks in one process
    again = weekly_alert(stream, w2, state_dir=state)  # re-running a stored week changes nothing
    assert [i["id"] for i in again["issues"]] == [i["id"] for i in r2["issues"]]


def test_emerging_issues_and_replay_report_the_plant(stream):
    period = (
        str((pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=20)).date()),
        str((pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=30) - pd.Timedelta(days=1)).date()),
    )
    found = emerging_issues(stream, period)
    planted = set(stream.loc[stream.topic == "planted", "id"])
    assert found and len(set(found[0]["complaint_ids"]) & planted) > len(found[0]["complaint_ids"]) / 2
    assert found[0]["first_flagged"] >= week_label("2024-01-01", 22)
    weeks = replay(stream, period)["weeks"]
    assert [w["week"] for w in weeks][0] == week_label("2024-01-01", 20)
    assert sum(len(w["flagged"]) for w in weeks[:2]) == 0  # before the plant: quiet


def test_hot_issues_ranks_by_heat(stream):
    r = hot_issues(stream, ("2024-01-01", "2024-07-28"), HotspotConfig(listed=5))
    assert [i["rank"] for i in r["issues"]] == list(range(1, len(r["issues"]) + 1))
    heats = [i["heat"] for i in r["issues"]]
    assert heats == sorted(heats, reverse=True) and 99 <= heats[0] <= 100.01
    assert all(i["complaint_ids"] and i["first_seen"] <= i["last_seen"] for i in r["issues"])


def test_cli_hotspots_md_json_html(stream, tmp_path):
    from hotline_nlp.cli import app

    data = stream.rename(
        columns={
            "id": "诉求编号",
            "text": "诉求内容",
            "created_at": "受理时间",
            "level1": "一级分类",
            "level2": "二级分类",
            "caller": "来电号码",
        }
    )
    src = tmp_path / "in.csv"
    data.drop(columns=["topic"]).to_csv(src, index=False)
    wk = week_label("2024-01-01", 26)
    runner = CliRunner()
    res = runner.invoke(app, ["hotspots", "--input", str(src), "--period", wk, "--format", "json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert {"period", "total", "categories", "issues"} <= set(body) and body["period"]["label"] == wk
    assert any(i["emerging"] for i in body["issues"]) and body["settings"]["min_count"] == 3
    # --min-count raises the bar for every alert; --jobs 1 matches on one thread: the same
    # issues and counts (--memory-mb, no longer needed, is accepted and ignored)
    res = runner.invoke(
        app,
        [
            "hotspots",
            "--input",
            str(src),
            "--period",
            wk,
            "--format",
            "json",
            "--min-count",
            "50",
            "--memory-mb",
            "0",
            "--jobs",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    strict = json.loads(res.stdout)
    assert strict["settings"]["min_count"] == 50 and not any(i["emerging"] for i in strict["issues"])
    assert [i["id"] for i in strict["issues"]] != [] and strict["total"] == body["total"]
    assert {(i["id"], i["count"]) for i in strict["issues"]} == {
        (i["id"], i["count"]) for i in body["issues"]
    }
    out = tmp_path / "alert.md"
    res = runner.invoke(
        app, ["hotspots", "--input", str(src), "--period", wk, "--format", "md", "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    md = out.read_text("utf-8")
    assert "新出现和快速上升的问题" in md and f"]({out.name}.png)" in md
    assert (tmp_path / "alert.md.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(
        app,
        [
            "hotspots",
            "--input",
            str(src),
            "--start",
            "2024-01-01",
            "--end",
            "2024-06-30",
            "--top",
            "3",
            "--format",
            "html",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "热点问题表" in res.stdout and "data:image/png;base64," in res.stdout
    res = runner.invoke(app, ["hotspots", "--input", str(src), "--period", "2030-W01"])
    assert res.exit_code == 2 and "no complaints in 2030-W01" in res.output
    res = runner.invoke(app, ["hotspots", "--input", str(src)])
    assert res.exit_code == 2 and "--period" in res.output
    res = runner.invoke(app, ["hotspots", "--input", str(src), "--period", wk, "--format", "docx"])
    assert res.exit_code == 2 and "--output" in res.output
