"""Routing of complaints to handling units, and the (invented) quality of each unit.

A 评优评差 ranking is only worth demonstrating if some grassroots units are
clearly better or worse than the rest, so a handful get fixed, deliberately
extreme star means. The companies given poor scores are invented names; every
score in the corpus is synthetic and says nothing about any real body.
"""

from __future__ import annotations

import random
import zlib
from datetime import datetime

CITY = "市直部门"
COUNTY = "县区"
OTHER = "其他单位"

_STREET_UNITS = {
    "兴隆台区": ("兴隆台区振兴街道办事处", "兴隆台区欢喜岭街道办事处"),
    "双台子区": ("双台子区胜利街道办事处", "双台子区红旗街道办事处"),
    "大洼区": ("大洼区二界沟街道办事处", "大洼区于楼街道办事处"),
    "盘山县": ("盘山县东郭街道办事处", "盘山县陈家镇政府"),
    "辽滨沿海经济技术开发区": ("辽滨沿海经济技术开发区辽滨街道办事处",),
    "高新技术开发区": ("高新技术开发区社会事业局",),
}
_BUREAU = {
    "住建": "住房和城乡建设局",
    "执法": "综合执法局",
    "市监": "市场监督管理局",
    "生态": "生态环境局",
    "教育": "教育局",
    "卫健": "卫生健康局",
    "医保": "医疗保险管理中心",
    "人社": "人力资源和社会保障局",
    "农业": "农业农村局",
}
_ZONE = {  # the two development zones have few bureaus
    "高新技术开发区": {
        "住建": "建设局",
        "执法": "建设局",
        "生态": "建设局",
        "农业": "建设局",
        "市监": "市场监督管理局",
    },
    "辽滨沿海经济技术开发区": {
        "住建": "建设局",
        "执法": "建设局",
        "生态": "建设局",
        "农业": "建设局",
        "市监": "市场监督管理局",
    },
}


def county_base(district: str, key: str, rng: random.Random) -> str:
    """A grassroots unit of ``district`` for a kind of work (``key``)."""
    if key == "街道":
        return rng.choice(_STREET_UNITS[district])
    if district in _ZONE:
        return district + _ZONE[district].get(
            key, "社会事业局" if district.startswith("高新") else "社会事务局"
        )
    if district == "兴隆台区" and key == "农业":
        return "兴隆台区农业和水利服务中心"
    return district + _BUREAU[key]


# level1 (or "level1 > level2") -> ((weight, target), ...); target is ("county", {key: weight}) or (unit, type, bases)
ROUTES: dict[str, tuple] = {
    "物业管理": (
        (0.82, ("county", {"街道": 0.55, "住建": 0.45})),
        (0.1, ("市住房和城乡建设局", CITY, ("市房产事务服务中心",))),
        (0.08, ("盘锦鑫城物业服务有限公司", OTHER, ("盘锦鑫城物业服务有限公司",))),
    ),
    "住房建设": (
        (0.55, ("county", {"住建": 1.0})),
        (0.45, ("市住房和城乡建设局", CITY, ("市住房和城乡建设局", "市房产事务服务中心"))),
    ),
    "住房建设 > 办证难": (
        (0.4, ("county", {"住建": 1.0})),
        (0.6, ("市自然资源局", CITY, ("市不动产登记中心",))),
    ),
    "供水": (
        (0.72, ("盘锦水务集团有限公司", CITY, ("盘锦水务集团有限公司",))),
        (0.28, ("county", {"住建": 0.5, "街道": 0.5})),
    ),
    "燃气": (
        (0.85, ("盘锦国华燃气有限公司", CITY, ("盘锦国华燃气有限公司",))),
        (0.15, ("county", {"住建": 1.0})),
    ),
    "供电": ((0.85, ("国网盘锦供电公司", CITY, ("国网盘锦供电公司",))), (0.15, ("county", {"街道": 1.0}))),
    "新能源汽车充电设施": (
        (0.45, ("国网盘锦供电公司", CITY, ("国网盘锦供电公司",))),
        (0.2, ("市市场监督管理局", CITY, ("市市场监督管理局",))),
        (0.35, ("county", {"执法": 0.5, "街道": 0.5})),
    ),
    "新能源汽车充电设施 > 物业阻挠安装充电桩": (
        (0.72, ("county", {"住建": 0.6, "街道": 0.4})),
        (0.28, ("市住房和城乡建设局", CITY, ("市房产事务服务中心",))),
    ),
    "网络通信": ((0.15, ("county", {"街道": 1.0})),),  # operators are added from the text, see route()
    "市容市貌": (
        (0.85, ("county", {"执法": 0.7, "街道": 0.3})),
        (0.15, ("市城市管理综合行政执法局", CITY, ("市城市管理综合行政执法局",))),
    ),
    "城市管理": (
        (0.6, ("county", {"住建": 0.5, "执法": 0.3, "街道": 0.2})),
        (0.25, ("市住房和城乡建设局", CITY, ("市市政设施服务中心",))),
        (0.15, ("市城市管理综合行政执法局", CITY, ("市城市管理综合行政执法局",))),
    ),
    "环境保护": (
        (0.6, ("county", {"生态": 0.6, "执法": 0.4})),
        (0.4, ("市生态环境局", CITY, ("市生态环境局",))),
    ),
    "交通管理": ((0.85, ("市公安局", CITY, ("市公安局交通警察支队",))), (0.15, ("county", {"街道": 1.0}))),
    "公交": ((1.0, ("盘锦客运公交集团有限公司", CITY, ("盘锦客运公交集团有限公司",))),),
    "出租车（网约车）": (
        (1.0, ("市交通运输局", CITY, ("市交通运输局", "市道路运输事务服务中心", "市道路运输事务服务中心"))),
    ),
    "消费维权": ((0.8, ("county", {"市监": 1.0})), (0.2, ("市市场监督管理局", CITY, ("市市场监督管理局",)))),
    "教育": ((0.6, ("county", {"教育": 1.0})), (0.4, ("市教育局", CITY, ("市教育局",)))),
    "医疗卫生": ((0.6, ("市卫生健康委员会", CITY, ("市卫生健康委员会",))), (0.4, ("county", {"卫健": 1.0}))),
    "社保医保": (
        (0.3, ("市医疗保障局", CITY, ("市医疗保障局", "市医疗保险服务中心"))),
        (0.3, ("市人力资源和社会保障局", CITY, ("市社会保险事业服务中心",))),
        (0.4, ("county", {"医保": 0.6, "人社": 0.4})),
    ),
    "劳动权益": (
        (0.45, ("市人力资源和社会保障局", CITY, ("市劳动保障监察支队",))),
        (0.55, ("county", {"人社": 1.0})),
    ),
    "户籍证件": ((1.0, ("市公安局", CITY, ("市公安局户政管理支队",))),),
    "户籍证件 > 出入境证件": ((1.0, ("市公安局", CITY, ("市公安局出入境管理支队",))),),
    "政策咨询": (
        (0.5, ("county", {"街道": 0.5, "人社": 0.5})),
        (0.25, ("市人力资源和社会保障局", CITY, ("市人力资源和社会保障局",))),
        (0.25, ("市住房公积金管理中心", CITY, ("市住房公积金管理中心",))),
    ),
    "农业农村": ((1.0, ("county", {"农业": 0.6, "街道": 0.4})),),
}

# heating is routed by district: who supplies heat there
_HEAT = {
    "兴隆台区": (
        (0.4, "盘锦广田热电有限公司", CITY),
        (0.3, "盘锦润电热力有限公司", CITY),
        (0.15, "盘锦暖居热力有限公司", OTHER),
    ),
    "双台子区": ((0.5, "盘锦润电热力有限公司", CITY), (0.2, "盘锦暖居热力有限公司", OTHER)),
    "大洼区": ((0.55, "大洼清泉供暖有限公司", OTHER), (0.15, "盘锦广田热电有限公司", CITY)),
    "盘山县": ((0.4, "盘锦润电热力有限公司", CITY),),
    "辽滨沿海经济技术开发区": ((0.8, "辽滨汇海热力有限公司", OTHER),),
    "高新技术开发区": ((0.6, "盘锦广田热电有限公司", CITY),),
}
_TELECOM = {"移动": "中国移动盘锦分公司", "联通": "中国联通盘锦分公司", "电信": "中国电信盘锦分公司"}


def _pick(rng: random.Random, weighted):
    return rng.choices([t for _, t in weighted], [w for w, _ in weighted])[0]


def route(level1: str, level2: str, district: str, ctx: dict, rng: random.Random) -> tuple[str, str, str]:
    """(承办单位, 单位类型, 基层承办单位) for a complaint that is passed on (转办)."""
    if level1 == "供热":
        options = list(_HEAT[district])
        rest = 1.0 - sum(w for w, _, _ in options)
        r = rng.random()
        for w, unit, kind in options:
            if r < w:
                return unit, kind, unit
            r -= w
        assert rest > 0
        return district, COUNTY, county_base(district, "住建", rng)
    if level1 == "网络通信" and rng.random() < 0.85:
        op = ctx.get("tel_op") or rng.choice(tuple(_TELECOM))
        return _TELECOM[op], OTHER, _TELECOM[op]
    target = _pick(rng, ROUTES.get(f"{level1} > {level2}") or ROUTES[level1])
    if target[0] == "county":
        keys = target[1]
        key = rng.choices(list(keys), list(keys.values()))[0]
        return district, COUNTY, county_base(district, key, rng)
    unit, kind, bases = target
    base = rng.choice(bases)
    if unit == "国网盘锦供电公司" and district in ("盘山县", "大洼区"):
        base = {"盘山县": "国网盘山县供电公司", "大洼区": "国网盘锦市大洼区供电公司"}[district]
    return unit, kind, base


# mean stars (1-3) of grassroots units chosen to stand out; everyone else is near 2.74
QUALITY = {
    "大洼区医疗保险管理中心": 2.98,
    "大洼区综合执法局": 2.97,
    "大洼区于楼街道办事处": 2.97,
    "双台子区市场监督管理局": 2.96,
    "大洼区二界沟街道办事处": 2.95,
    "盘山县教育局": 2.95,
    "双台子区生态环境局": 2.94,
    "盘山县陈家镇政府": 2.93,
    "市教育局": 2.93,
    "盘山县东郭街道办事处": 2.92,
    "兴隆台区农业和水利服务中心": 2.9,
    "大洼清泉供暖有限公司": 1.6,
    "盘锦暖居热力有限公司": 2.2,
    "盘锦鑫城物业服务有限公司": 2.25,
    "辽滨汇海热力有限公司": 2.3,
    "市道路运输事务服务中心": 2.4,
    "兴隆台区住房和城乡建设局": 2.5,
}
_HARD = {"供热": -0.08, "出租车（网约车）": -0.08, "物业管理": -0.05, "政策咨询": 0.08, "教育": 0.03}


def unit_quality(base: str) -> float:
    """Mean stars of a grassroots unit: fixed for the stand-outs, a stable jitter for the rest."""
    if base in QUALITY:
        return QUALITY[base]
    jitter = (zlib.crc32(base.encode("utf-8")) % 1000) / 1000 - 0.5  # stable across runs and Pythons
    return 2.74 + 0.16 * jitter


def _stars(rng: random.Random, mean: float) -> int:
    d = min(max(3.0 - mean, 0.0), 1.6)
    p1, p2 = 0.4 * d, 0.2 * d
    r = rng.random()
    return 1 if r < p1 else 2 if r < p1 + p2 else 3


_SAT = {
    3: (("满意", 0.94), ("基本满意", 0.06)),
    2: (("基本满意", 0.7), ("满意", 0.18), ("不满意", 0.12)),
    1: (("不满意", 0.72), ("基本满意", 0.28)),
}


def outcome(base: str, level1: str, created: datetime, end: datetime, rng: random.Random) -> dict[str, str]:
    """是否办结 / 满意度评价 / 是否按时反馈 / 是否有效回访 / 评星 for one complaint."""
    bad = base in QUALITY and QUALITY[base] < 2.6
    mean = (unit_quality(base) if base else 2.78) + (_HARD.get(level1, 0.0) if base not in QUALITY else 0.0)
    p_closed = 0.985 if not base else (0.93 if bad else 0.97)
    if (end - created).days < 10:
        p_closed -= 0.35  # the newest complaints are still open when the export is taken
    closed = rng.random() < p_closed
    on_time = rng.random() < (0.96 if bad else 0.995)
    revisited = closed and rng.random() < (0.95 if bad else 0.978)
    sat, stars = "", ""
    if revisited and rng.random() >= 0.065:
        s = _stars(rng, mean)
        stars = str(s)
        opts = _SAT[s]
        sat = rng.choices([o for o, _ in opts], [w for _, w in opts])[0]
    return {
        "是否办结": "是" if closed else "否",
        "满意度评价": sat,
        "是否按时反馈": "是" if on_time else "否",
        "是否有效回访": "是" if revisited else "否",
        "评星": stars,
    }
