"""Counting callers, not texts (issue 31, item 6): repeats of one caller
collapse; different callers with the same words count each and show as
多人反映; a burst of two or three callers is flagged in its week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hotline_nlp.topics.complaint_vectors import Representation
from hotline_nlp.topics.config import HotspotConfig, HotspotError
from hotline_nlp.topics.dedup import check_repeats
from hotline_nlp.topics.hotspots import replay, weekly_alert

BUS = "希望805路公交车改道走木莲中路，木莲中路周边有几十栋居民楼和好几所学校，附近只有一条公交线路，出行很不方便"
T0 = pd.Timestamp("2024-06-03 09:00")


def _check(texts, callers, times, **kw):
    x = Representation(embedder="none").fit_transform(texts)
    return check_repeats(times, texts, x, callers, **kw)


def test_three_callers_same_words_are_three_complaints_and_a_chorus():
    texts = [BUS] * 3
    times = [T0, T0 + pd.Timedelta(hours=2), T0 + pd.Timedelta(hours=5)]
    got = _check(texts, ["A", "B", "C"], times)
    assert got.dup_of.tolist() == [-1, -1, -1]
    assert got.chorus.tolist() == [True, True, True]
    # without a vector the identical-text rule alone says the same
    assert check_repeats(times, texts, None, ["A", "B", "C"]).dup_of.tolist() == [-1, -1, -1]


def test_one_caller_three_times_is_one_complaint_and_no_chorus():
    texts = [BUS, BUS, BUS + "，第二次反映了"]
    times = [T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=2)]
    got = _check(texts, ["A", "A", "A"], times)
    assert got.dup_of.tolist() == [-1, 0, 0]
    assert not got.chorus.any()


def test_unknown_callers_and_a_message_listed_twice_still_collapse():
    texts = [BUS] * 3
    times = [T0, T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=1)]
    # no caller on the second: it may be the first caller again, so it repeats;
    # the third is the second message listed again under another id at the same second
    got = _check(texts, ["A", "", "B"], times)
    assert got.dup_of.tolist() == [-1, 0, 1] or got.dup_of.tolist() == [-1, 0, 0]
    assert check_repeats(times, texts, None, None).dup_of.tolist() == [-1, 0, 0]  # no caller column at all
    same_second = _check([BUS, BUS], ["A", "B"], [T0, T0])
    assert same_second.dup_of.tolist() == [-1, 0] and not same_second.chorus.any()


def test_chorus_needs_near_identical_words_within_days():
    other = "木莲中路的路灯坏了好几个月，晚上一片漆黑，请尽快维修"
    got = _check([BUS, other], ["A", "B"], [T0, T0 + pd.Timedelta(hours=1)])
    assert not got.chorus.any()
    late = _check([BUS, BUS], ["A", "B"], [T0, T0 + pd.Timedelta(days=5)], chorus_days=3.0)
    assert late.dup_of.tolist() == [-1, -1] and not late.chorus.any()


def test_chorus_settings_are_checked():
    with pytest.raises(HotspotError, match="chorus_days"):
        HotspotConfig(chorus_days=10.0)
    with pytest.raises(HotspotError, match="chorus_cos"):
        HotspotConfig(chorus_cos=0.0)


# -- the weekly alert on a constructed stream ------------------------------------------
STEADY = {
    "供热": "{p}暖气不热，室温只有{n}度，热力公司测温说不达标但一直不处理",
    "噪音": "{p}旁边工地夜间施工，晚上{n}点还在打桩，噪音扰民严重影响休息",
    "退费": "{p}附近的健身房突然闭店跑路，办的预付卡{n}元无法退费",
}
ROUTE = "建议{n}路公交车改道走{r}，{r}周边居民和学生多，现在坐公交要走很远，出行很不方便"
PLACES = ["阳光小区", "锦绣花园", "翠湖家园", "金桥新村", "枫林雅苑", "滨河公寓"]
ROADS = ["木莲中路", "香樟路", "井湾路", "洞井路", "曙光南路", "劳动东路"]
WEEKS = 12


def _stream(burst_week: dict) -> pd.DataFrame:
    """Twelve weeks from 2024-01-01: three steady topics, one bus-route request a
    week (varied lines and roads), one-off questions; ``burst_week``: week ->
    [(caller, text), ...] sent on that week's Tuesday, an hour apart."""
    rng = np.random.default_rng(5)
    rows = []
    t0 = pd.Timestamp("2024-01-01")

    def add(text, when, caller=None):
        rows.append(
            {
                "id": str(500000 + len(rows)),
                "text": text,
                "created_at": when,
                "caller": caller or f"1{rng.integers(10**9, 10**10)}",
            }
        )

    for w in range(WEEKS):
        monday = t0 + pd.Timedelta(weeks=w)
        for tpl in STEADY.values():
            for _ in range(4):
                text = tpl.format(p=rng.choice(PLACES), n=int(rng.integers(5, 99)))
                add(text, monday + pd.Timedelta(seconds=int(rng.integers(0, 7 * 86400 - 1))))
        route = ROUTE.format(n=int(rng.integers(100, 999)), r=rng.choice(ROADS))
        add(route, monday + pd.Timedelta(days=4, hours=int(rng.integers(0, 12))))
        for k in range(5):
            add(
                f"咨询第{w}周第{k}件事项{rng.integers(10**5, 10**6)}的办理流程", monday + pd.Timedelta(days=k)
            )
        for h, (caller, text) in enumerate(burst_week.get(w, [])):
            add(text, monday + pd.Timedelta(days=1, hours=9 + h), caller)
    return pd.DataFrame(rows)


def _bus_issue(alert: dict, ids: set) -> dict:
    hit = [i for i in alert["issues"] if ids & set(i["complaint_ids"])]
    assert hit, [(i["label"], i["count"]) for i in alert["issues"]]
    return hit[0]


def test_three_callers_same_words_count_three_and_show_as_many_callers():
    frame = _stream({WEEKS - 1: [("P1", BUS), ("P2", BUS), ("P3", BUS)]})
    burst = set(frame["id"].iloc[-3:])
    r = weekly_alert(frame, "2024-W12")
    issue = _bus_issue(r, burst)
    assert burst <= set(issue["complaint_ids"])
    assert issue["count"] >= 3 and issue["chorus"] == 3
    assert issue["many_callers"] and issue["emerging"]
    assert issue["status"] in ("new", "growing")


def test_one_caller_three_times_counts_one():
    frame = _stream({WEEKS - 1: [("P1", BUS), ("P1", BUS), ("P1", BUS + "，请尽快答复")]})
    burst = set(frame["id"].iloc[-3:])
    r = weekly_alert(frame, "2024-W12")
    issue = _bus_issue(r, burst)
    assert issue["count"] <= 2  # the caller's three messages are one complaint (+ the week's route request)
    assert issue["repeats"] >= 2
    assert issue["chorus"] == 0 and not issue["many_callers"]


def test_a_burst_of_two_callers_is_flagged_in_its_week_only():
    frame = _stream({8: [("P1", BUS), ("P2", BUS + "，谢谢")]})
    burst = set(frame.loc[frame["caller"].isin(["P1", "P2"]), "id"])
    r = weekly_alert(frame, "2024-W09")
    issue = _bus_issue(r, burst)
    assert issue["many_callers"] and issue["emerging"] and issue["chorus"] == 2
    quiet = replay(frame, ("2024-02-26", "2024-03-24"))  # W09..W12
    flagged = {w["week"]: set(w["flagged"]) for w in quiet["weeks"]}
    bus = issue["id"]
    surv = quiet["surviving"]
    assert any(surv.get(k, k) == bus or k == bus for k in flagged["2024-W09"])
    assert not any(surv.get(k, k) == bus or k == bus for w in ("2024-W10", "2024-W11") for k in flagged[w])
    # the statistics alone (no 多人反映 rule) do not flag two complaints
    alone = weekly_alert(frame, "2024-W09", HotspotConfig(chorus_callers=0))
    assert not _bus_issue(alone, burst)["emerging"]


def test_a_new_burst_of_two_callers_forms_an_issue_and_is_flagged():
    """Nothing like it before: two callers' near-identical texts are an issue of two,
    flagged in their week (多人反映), where the pool's clustering needs more members."""
    text = "南塘小区门口城轨桥下的涵洞积水一米多深，下雨天行人车辆根本过不去，请尽快疏通排水管道"
    frame = _stream({10: [("Q1", text), ("Q2", text + "，谢谢")]})
    burst = set(frame.loc[frame["caller"].isin(["Q1", "Q2"]), "id"])
    r = weekly_alert(frame, "2024-W11")
    issue = _bus_issue(r, burst)
    assert burst <= set(issue["complaint_ids"]) and issue["count"] == 2
    assert issue["many_callers"] and issue["emerging"]


def test_the_count_table_counts_chorus_originals_and_reads_old_tables():
    from hotline_nlp.topics import count_table as ct

    at = np.array(["2024-06-03T09:00"] * 4, dtype="datetime64[ns]")
    t = ct.reduce_rows(
        [1, 1, 1, 2], [True, True, False, True], at, "2024-W23", chorus=[True, True, True, False]
    )
    assert t.set_index("issue")["chorus"].to_dict() == {1: 2, 2: 0}  # the repeat is not counted
    old = t.drop(columns="chorus")  # a state saved before the column existed
    assert ct.with_chorus(old)["chorus"].tolist() == [0, 0]
    assert list(ct.with_chorus(old).columns) == ct.COLUMNS
