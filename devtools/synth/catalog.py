"""The category tree the generator writes: every first-level ``Group`` in its fixed order.

Kept apart from the composer and the writer so that the row builder, the label
noise and the taxonomy writer share one lookup without importing each other.
"""

from __future__ import annotations

from devtools.synth import topics_city, topics_home, topics_public, topics_utilities
from devtools.synth.phrasing import Group, Topic

_ALL = {g.level1: g for m in (topics_home, topics_utilities, topics_city, topics_public) for g in m.GROUPS}
_ORDER = (
    "物业管理",
    "供热",
    "消费维权",
    "市容市貌",
    "出租车（网约车）",
    "供水",
    "燃气",
    "供电",
    "公交",
    "交通管理",
    "城市管理",
    "环境保护",
    "住房建设",
    "新能源汽车充电设施",
    "劳动权益",
    "社保医保",
    "教育",
    "医疗卫生",
    "户籍证件",
    "网络通信",
    "政策咨询",
    "农业农村",
)
GROUPS: tuple[Group, ...] = tuple(_ALL[name] for name in _ORDER)
assert len(GROUPS) == len(_ALL), "every topic group must appear in _ORDER"
BY_NAME: dict[str, Group] = {g.level1: g for g in GROUPS}


def lookup(level1: str, level2: str) -> tuple[Group, Topic]:
    group = BY_NAME[level1]
    for topic in group.topics:
        if topic.level2 == level2:
            return group, topic
    raise KeyError(f"no sub-category {level1} > {level2} in the generator's taxonomy")


def taxonomy_rows() -> list[tuple[str, str]]:
    return [(g.level1, t.level2) for g in GROUPS for t in g.topics]
