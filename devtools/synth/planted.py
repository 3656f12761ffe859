"""The planted emerging issue: property companies blocking home EV chargers.

A demo of emerging-issue detection needs a known answer. This issue runs at a
background rate of about one complaint a month (2023-01 .. 2024-06) and then
rises from 2024-W27 (1-2 a week) to 6-8 a week in December 2024, echoing the
"难点问题" of the Panjin 2024 H1 bulletin. All of it is labelled
新能源汽车充电设施 > 物业阻挠安装充电桩; ``demo_planted.json`` is the answer key.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from devtools.synth.phrasing import T

ISSUE = "物业拒绝为业主出具安装新能源汽车充电桩的同意证明"
LEVEL1 = "新能源汽车充电设施"
LEVEL2 = "物业阻挠安装充电桩"
RISE_START = date(2024, 7, 1)  # Monday of ISO week 2024-W27

TOPIC = T(
    LEVEL2,
    0.0,
    "物业不给出具充电桩安装证明|物业拒绝安装充电桩|{xq}物业阻挠安装充电桩|安装充电桩物业不盖章|物业不同意装充电桩"
    "|新能源车充电桩安装难|求助：物业不让装充电桩|关于{xq}安装充电桩的问题|私人充电桩报装物业不配合",
    [
        "{xq}业主，[今年|{months}个月前]买了{carbrand}新能源车，想在自家车位安装充电桩，国家电网要求物业出具同意安装证明，物业[拒绝出具|不给盖章]",
        "按国家电网公司要求，安装充电桩需要物业出具同意证明，{district}{xq}物业[以各种理由推脱|就是不给开]",
        "{xq}物业不同意业主安装新能源汽车充电桩，说[怕电路负荷不够|有消防隐患|小区没有规划]",
        "我在{xq}[买的|有]产权车位，申请安装家用充电桩，物业[不配合|不给签字]，供电公司说没有物业证明没法报装",
        "{xq}物业要求业主[交{money_m}元“管理费”|签无限责任承诺书|找他们指定的公司安装]才给出具充电桩安装证明",
        "{xq}[地下车库|地面车位]，物业[一刀切|统一]不允许安装充电桩",
        "{xq}物业说[开发商没留电源|车库电容量不够]，不让装充电桩，[可供电公司都来看过了|国网说可以单独拉线]",
        "买了新能源车{months}个月了，充电桩[装不上|一直卡在物业这]，每天只能去外面[公共充电站|商场]充电",
        "{xq}物业[口头同意|先是答应]安装充电桩，[到了要盖章又反悔了|后来说上级不让]",
        "{xq}申请安装私人充电桩，物业让[找业委会|找开发商]，业委会又让找物业，[来回踢皮球|没人给办]",
        "{xq}物业[经理|负责人]说“小区一律不让装充电桩，想装找谁都没用”",
        "充电桩安装师傅已经上门勘察过，[线路|电表]都没问题，就差物业一个章，{xq}物业就是不给",
        "{xq}物业不给出具安装充电桩的同意书，说[怕|担心]充电桩着火要担责任",
        "{xq}新能源车主想装充电桩，物业不给开证明",
    ],
    details=(
        "国网营业厅说必须有物业盖章的同意书才能报装",
        "[国家|省里]不是鼓励[新能源车|安装充电桩]吗，物业凭什么不让",
        "[同一个小区|隔壁楼]有业主已经装上了，到我这就不行了",
        "车位是我自己[买的|有产权证的]，[又不占公共地方|不影响别人]",
        "找了[社区|街道]，说[这是物业和业主之间的事|没有强制规定]",
        "每天去外面充电[排队|来回]得一个多小时，[费用也高|太折腾了]",
        "物业说[要业委会同意|要全楼业主签字]",
        "{carbrand}的销售说[好多|不少]车主都卡在物业这一步",
        "[我们|小区里]好几家新能源车主都遇到了这个问题",
        "物业让签的承诺书写着“出任何问题业主承担全部责任”",
        "@2024-05:车是赶上以旧换新补贴买的，结果充电桩装不上",
    ),
    demands=(
        "希望有关部门督促物业出具证明",
        "请[住建部门|相关部门]明确物业有没有义务配合安装充电桩",
        "希望[政府|有关部门]出台政策，解决小区安装充电桩难的问题",
        "要求物业依法配合业主安装充电桩",
    ),
)


def _at(rng: random.Random, day: date) -> datetime:
    hour = rng.choice((8, 9, 9, 10, 10, 11, 13, 14, 15, 16, 17, 19, 20, 21))
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))


def background_times(rng: random.Random) -> list[datetime]:
    """About one a month, 2023-01 .. 2024-06 (before the rise)."""
    out: list[datetime] = []
    for year, month in [(2023, m) for m in range(1, 13)] + [(2024, m) for m in range(1, 7)]:
        for _ in range(rng.choice((0, 1, 1, 1, 1, 2))):
            out.append(_at(rng, date(year, month, rng.randint(1, 28))))
    return out


def rise_times(rng: random.Random) -> list[datetime]:
    """The rise: 26 ISO weeks 2024-W27..W52, then the two days of 2025-W01 left in 2024."""
    out: list[datetime] = []
    for k in range(26):
        expected = 1.0 + 6.2 * (k / 25) ** 1.6
        count = max(1 if k < 4 else 2, round(expected + rng.uniform(-0.7, 0.7)))
        monday = RISE_START + timedelta(weeks=k)
        for _ in range(count):
            out.append(_at(rng, monday + timedelta(days=rng.choice((0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6)))))
    for _ in range(2):
        out.append(_at(rng, date(2024, 12, rng.choice((30, 31)))))
    return out
