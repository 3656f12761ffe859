"""Issues named as an analyst names them (issue 31), on constructed complaints:
地点 + 对象 + 问题 names, keywords the members share (no word one caller
used once), small issues named from their titles, no estate name for an issue
spread over districts, and catch-alls kept apart."""

from __future__ import annotations

from hotline_nlp.topics.coherence import coherence, is_catch_all, is_one_voice
from hotline_nlp.topics.keywords import ctfidf_keywords, keeper_for
from hotline_nlp.topics.naming import issue_name, shared_place, title_keywords, what_they_say
from hotline_nlp.topics.phrases import mmr

MIXER = [
    "A2区丽发新城小区旁边建搅拌站，噪音扰民，晚上无法休息",
    "A2区丽发新城小区搅拌站粉尘污染严重，家里全是灰",
    "丽发新城小区搅拌站夜间施工噪音太大",
    "A2区丽发新城小区附近搅拌站噪音和粉尘，请求搬迁",
    "丽发新城小区搅拌站噪音扰民，老人孩子睡不着，家里煤球炉子都不敢开",
]
FUND = ["公积金贷款办理太慢", "公积金贷款额度太低", "住房公积金提取被拒", "公积金贷款审批一个月了"]
BACKGROUND = [
    "小区停车位不够，业主停车难",
    "学校门口交通拥堵",
    "物业费上涨没有通知业主",
    "路灯坏了没人修",
    "公交车站太远",
    "夜市油烟扰民",
]


def _kw(docs):
    return {k: [w["word"] for w in v] for k, v in ctfidf_keywords(docs, top=6, background=BACKGROUND).items()}


def test_keywords_are_shared_by_members_not_one_callers_words():
    kw = _kw({1: MIXER, 2: FUND})
    assert kw[1][0].startswith("搅拌站")
    assert "噪音" in "".join(kw[1])
    assert "煤球" not in "".join(kw[1]) and "炉子" not in "".join(kw[1])  # one caller, once
    assert not any("丽发" in w for w in kw[1])  # the place is not a keyword
    assert "公积金" in "".join(kw[2])


def test_mmr_does_not_spend_two_slots_on_one_phrase():
    picked = [p for _, p in mmr([(1.0, "搅拌站噪音"), (0.95, "搅拌站"), (0.9, "噪音"), (0.5, "粉尘")], 3)]
    assert picked == ["搅拌站噪音", "粉尘"]


def test_name_is_place_object_problem():
    kw = _kw({1: MIXER, 2: FUND})
    summary = {
        "places": [
            {"kind": "district", "name": "A2区", "count": 3},
            {"kind": "compound", "name": "丽发新城小区", "count": 5},
        ]
    }
    keep = keeper_for({"丽发新城小区", "A2区"})
    name = issue_name(kw[1], summary, [], len(MIXER), keep)
    assert name.startswith("A2区丽发新城小区搅拌站") and "噪音" in name


def test_issue_spread_over_districts_is_not_named_after_one_estate():
    summary = {
        "places": [
            {"kind": "district", "name": "A1区", "count": 4},
            {"kind": "district", "name": "A3区", "count": 4},
            {"kind": "compound", "name": "雍景园", "count": 4},
        ]
    }
    assert shared_place(summary, 12) == ""
    one = {
        "places": [
            {"kind": "district", "name": "A1区", "count": 9},
            {"kind": "compound", "name": "雍景园", "count": 8},
        ]
    }
    assert shared_place(one, 12) == "A1区雍景园"
    rare = {"places": [{"kind": "compound", "name": "雍景园", "count": 2}]}
    assert shared_place(rare, 12) == ""  # two of twelve complaints do not make it the issue's place


def test_small_issue_is_named_from_its_titles_and_keyed_by_them():
    titles = ["市民来电反映：A7县泉塘小塘路路灯太暗，建议提质改造"]
    keep = keeper_for({"泉塘小塘路"})
    # statistics over one complaint picked a rare word of its body
    name = issue_name(["煤球", "油车"], {"places": []}, titles, 1, keep)
    assert name == "A7县泉塘小塘路路灯太暗，建议提质改造"
    kw = title_keywords(titles, ["煤球", "油车"], keep)
    assert "路灯" in kw and "煤球" not in kw and "油车" not in kw


def test_small_issue_whose_title_says_nothing_is_named_from_its_text():
    text = "关于一个问题。来电人诉求：他们家在大洼区住了7年，富田花园物业服务一塌糊涂，保洁都走了，物业费一分没少交。"
    for keep in (keeper_for({"大洼区", "富田花园"}), keeper_for(set())):
        said = what_they_say(["关于一个问题"], [text], keep)  # the title names nothing
        kw = title_keywords(said, [], keep)
        name = issue_name(kw, {"places": []}, said, 1, keep)
        assert name == "富田花园物业服务一塌糊涂" and "物业" in kw
    titled = ["富田花园保洁撤走"]
    assert what_they_say(titled, [text], keep) == titled  # a title that names something is kept


def test_catch_all_is_recognised():
    mixed = [
        "请加快医院建设力度，在国家大力倡导以人民为中心的大背景下希望市委市政府加快建设",
        "公交车司机态度恶劣，乘客投诉无门",
        "小区电梯经常坏，物业不修",
        "学校食堂饭菜太贵，学生吃不饱",
        "农民工工资被拖欠三个月",
        "夜市油烟扰民，晚上睡不着",
        "网约车平台乱收费",
        "公园厕所太脏，没人打扫",
        "快递丢件，快递公司不赔",
        "幼儿园收费太高",
        "路边违章停车堵住消防通道",
        "自来水有异味，水质不合格",
    ]
    alike = [f"丽发新城小区搅拌站噪音扰民，第{i}次反映，搅拌站晚上还在施工" for i in range(12)]
    c_mixed, c_alike = coherence(mixed, BACKGROUND), coherence(alike, BACKGROUND)
    assert c_mixed < c_alike
    assert is_catch_all(c_mixed, len(mixed)) and not is_catch_all(c_alike, len(alike))
    assert not is_catch_all(c_mixed, 3)  # three unlike complaints are a small issue, not a catch-all
    # one caller's 85 letters on 84 subjects: a catch-all however alike the template makes them
    assert is_one_voice(callers=2, complaints=85) and not is_one_voice(callers=48, complaints=51)
