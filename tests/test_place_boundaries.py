"""Place names with sound boundaries (issue 31): no doubled suffix (李家村村),
no verb phrase (物业不让车辆进小区, 参考成都天府大道), no cut-off prefix
(海国际社区 for 中海国际社区). Constructed sentences in the style of the
complaints that produced each defect, plus a check on the real export that
skips where it is absent."""

from __future__ import annotations

import pytest
from hotline_nlp.corpus.places import extract_places


def names(text: str) -> list[str]:
    return [n for _, n in extract_places(text)]


@pytest.mark.parametrize(
    "text, want, never",
    [
        ("李家村村口的垃圾堆了一个月", ["李家村"], ["李家村村"]),
        ("泉塘小塘路路口早晚高峰拥堵", ["泉塘小塘路"], ["泉塘小塘路路"]),
        ("中海国际社区物业乱收停车费", ["中海国际社区"], ["海国际社区"]),
        ("我住在中海国际社区三期", ["中海国际社区"], ["海国际社区"]),
        ("上海城小区门口道路破损", ["上海城小区"], ["海城小区"]),
        ("建议参考成都天府大道的绿化做法", ["成都天府大道"], ["参考成都天府大道"]),
        ("政府要打造林荫大道", [], ["打造林荫大道", "林荫大道"]),
        ("物业不让车辆进小区，业主无法回家", [], ["物业不让车辆进小区", "车辆进小区"]),
        ("且快速路上噪音很大", [], ["且快速路", "快速路"]),
        ("现在小区里没有路灯，一条路都是黑的", [], ["现在小区", "一条路"]),
        ("东四路与万家丽路交叉口红绿灯太短", ["东四路", "万家丽路"], []),
        ("五一广场和第一中学附近", ["五一广场", "第一中学"], []),
        ("A市A2区丽发新城小区建搅拌站", ["A2区", "丽发新城小区"], []),
    ],
)
def test_place_boundaries(text, want, never):
    got = names(text)
    for w in want:
        assert w in got, (text, got)
    for n in never:
        assert n not in got, (text, got)


def test_no_doubled_suffix_or_cut_prefix_on_real_messages(zhwz):
    """On the real export: no place ends in a doubled one-character tail (村村,
    路路; 58 mentions before the fix) and 中海国际社区 is found whole."""
    import pandas as pd

    df = pd.read_csv(zhwz / "hotspot_messages.csv", usecols=["留言主题", "留言详情"])
    texts = (df["留言主题"].fillna("") + "。" + df["留言详情"].fillna("")).tolist()
    found = [n for t in texts for n in names(t)]
    doubled = [n for n in found if len(n) > 2 and n[-1] == n[-2] and n[-1] in "村路街区镇苑府院湾"]
    assert not doubled, doubled[:10]
    assert "中海国际社区" in found and "海国际社区" not in found
