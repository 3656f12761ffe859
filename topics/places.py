"""Groups of people named in a complaint, and the places an issue's complaints share.

Why: a bulletin says *where* and *who* ("兴隆台区霞光府壹号院 ... 业主"). Place
extraction itself lives in ``corpus.places`` (the dispatcher reads it too);
it is re-exported here for the topic engine's callers.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from hotline_nlp.corpus.places import KINDS
from hotline_nlp.corpus.places import extract_places as _extract_places
from hotline_nlp.corpus.text import normalise

__all__ = ["KINDS", "extract_places", "extract_groups", "summarise", "place_words"]

GROUPS = (
    "业主",
    "学生",
    "老人",
    "老年人",
    "家长",
    "租户",
    "房客",
    "司机",
    "出租车司机",
    "网约车司机",
    "商户",
    "个体户",
    "村民",
    "居民",
    "职工",
    "员工",
    "农民工",
    "工人",
    "患者",
    "病人",
    "消费者",
    "乘客",
    "教师",
    "老师",
    "残疾人",
    "退休人员",
    "退役军人",
    "外卖员",
    "快递员",
    "儿童",
    "孩子",
    "购房者",
    "受害人",
    "投资人",
    "考生",
    "毕业生",
    "幼儿",
    "孕妇",
    "低保户",
    "贫困户",
    "失业人员",
)
_GROUP_RE = re.compile("|".join(sorted(map(re.escape, GROUPS), key=len, reverse=True)))


@lru_cache(maxsize=65536)
def _places_of(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(_extract_places(text))


def extract_places(text: str) -> list[tuple[str, str]]:
    """``corpus.places.extract_places``, cached: the keywords, the place
    summary and the names read the same complaints' places."""
    return list(_places_of(text))


def extract_groups(text: str) -> list[str]:
    """Groups of people named in the text (业主, 学生, 老人 ...), each once, in order."""
    out: list[str] = []
    for m in _GROUP_RE.finditer(normalise(text)):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


def summarise(texts: list[str], top: int = 5, min_share: float = 0.2) -> dict:
    """The places and groups an issue's complaints share.

    Returns ``{"places": [{"kind", "name", "count"}], "groups": [{"name", "count"}]}``
    with items named by at least ``min_share`` of the texts (at least 2 texts),
    most frequent first.
    """
    pc: Counter = Counter()
    gc: Counter = Counter()
    for t in texts:  # each text once per name, in text order (ties rank the same in every process)
        pc.update(list(dict.fromkeys(extract_places(t))))
        gc.update(list(dict.fromkeys(extract_groups(t))))
    need = max(2, min_share * len(texts)) if len(texts) > 1 else 1
    places = [{"kind": k, "name": n, "count": c} for (k, n), c in pc.most_common() if c >= need][:top]
    groups = [{"name": n, "count": c} for n, c in gc.most_common() if c >= need][:top]
    return {"places": places, "groups": groups}


def place_words(texts: list[str]) -> set[str]:
    """All place names in ``texts`` (to keep them out of keywords)."""
    out: set[str] = set()
    for t in texts:
        out.update(n for _, n in extract_places(t))
    return out
