"""Example complaints: chosen as the most representative, quoted in the bulletin's
voice without adding anything."""

from __future__ import annotations

import pandas as pd
from hotline_nlp.bulletin.examples import bulletin_quote, examples_for, pick, representativeness, trim


def test_quote_voice():
    q = bulletin_quote(
        "您好，我想反映一个问题：我们小区物业不让业主安装充电桩，说是电容量不够，"
        "希望相关部门尽快处理，谢谢！",
        "123",
    )
    assert q == "市民反映其所在小区物业不让业主安装充电桩，说是电容量不够（诉求编号：123）"
    q = bulletin_quote(
        "市民来电反映，兴隆台区水木清华小区物业不允许业主车辆临时进入园区，搬运重物不便，认为不合理。",
        "8213631",
    )
    assert (
        q
        == "市民反映兴隆台区水木清华小区物业不允许业主车辆临时进入园区，搬运重物不便，认为不合理（诉求编号：8213631）"
    )
    # 我市 is not "其市"
    assert "本市" in bulletin_quote("我市某路段路灯不亮已经一周了。", "1")


def test_trim_at_clause_boundary():
    long = (
        "大洼区富田花园小区3号楼冬季室温只有16度，多次找热力公司测温均未达标，热力公司一直推脱不给解决，"
        "业主们非常气愤，要求退还供暖费并赔偿损失。"
    )
    out = trim(long)
    assert len(out) <= 60 and long.startswith(out) and long[len(out)] == "，"
    assert trim("小区路灯不亮。希望尽快修好。") == "小区路灯不亮"  # the plea is dropped


def test_phone_numbers_are_masked_and_avoided():
    assert "13912345678" not in bulletin_quote("物业乱收费，电话13912345678", "9")
    df = pd.DataFrame({"id": ["a", "b"], "text": ["物业乱收费请回电13912345678", "小区物业乱收费问题严重"]})
    assert pick(df, 1)[0][0] == "b"


def test_most_representative_is_chosen():
    texts = [
        "小区物业乱收费，停车费上涨",
        "物业乱收费，物业费和停车费都上涨了",  # shares words with all three others
        "物业费上涨，物业乱收费",
        "公交车晚点严重",
    ]
    scores = representativeness(texts)
    assert scores.argmax() == 1 and scores.argmin() == 3
    df = pd.DataFrame({"id": ["1", "2", "3", "4"], "text": texts})
    assert pick(df, 1)[0][0] == "2"


def test_one_example_per_named_subcategory():
    df = pd.DataFrame(
        {
            "id": ["a1", "a2", "b1", "b2"],
            "level2": ["供热质量", "供热质量", "测温退费", "测温退费"],
            "text": [
                "小区室温不达标，暖气不热",
                "暖气不热，室温只有十五度",
                "多次测温未达标，要求退还供暖费",
                "测温不达标要求退费",
            ],
        }
    )
    ids = [i for i, _ in examples_for(df, ["供热质量", "测温退费"], 2)]
    assert ids[0] in {"a1", "a2"} and ids[1] in {"b1", "b2"}
