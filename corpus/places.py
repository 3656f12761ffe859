"""Places named in a complaint (district, town, compound, road ...).

Why: a bulletin says *where* and *who* ("兴隆台区霞光府壹号院 ... 业主"), and an
issue's keywords read better with the place names taken out of them (every
complaint about one compound repeats its name, which would crowd out what the
complaint is *about*). Chinese has no spaces, so a place is found by its tail
(…小区, …路, …小学, …路公交) and its head is trimmed back to where a verb or a
function word begins ("反映兴隆台区" -> "兴隆台区").

The tails are plain regexes; the head's start is decided by jieba's
part-of-speech tags (``corpus.pos``: dictionary tags of the project's segmenter): a verb, preposition,
conjunction, pronoun or stop word before the name is cut off ("参考成都天府大道"
-> "成都天府大道"), a one-character breaker only when it is a word of its own
(中海国际社区 keeps its 中), a head ending in a motion verb is a phrase, not a
name ("物业不让车辆进小区"), and a doubled one-character tail (李家村村口,
小塘路路口) yields the shorter name. On the real 2019 export this removed all
58 doubled-suffix mentions (tests/test_place_boundaries.py). A separate stage,
so a gazetteer-based extractor can replace it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hotline_nlp.corpus.pos import tagged
from hotline_nlp.corpus.text import normalise, stopwords

# Place kinds, in the order they are reported.
KINDS = ("district", "town", "compound", "road", "school", "bus", "facility")

_NAME = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9·]")
# (kind, tail regex, longest head). Within a kind, longer tails come first.
_TAILS: list[tuple[str, str, int]] = [
    ("district", r"(?:新区|开发区)", 8),
    ("district", r"(?<![小社园景城片辖学郊市校厂矿营库军新发])(?:区|县)", 4),
    ("town", r"(?:街道办事处|街道|镇|乡)", 4),
    ("town", r"(?<![农山渔乡])村(?![民委])", 4),
    ("bus", r"\d{1,4}路(?:公交车|公交|车)?", 0),
    ("school", r"(?:幼儿园|小学|中学|初中|高中|大学|学院|学校|职校|技校)", 8),
    ("compound", r"(?:小区|花园|家园|新城|新村|公寓|嘉园|雅苑|苑|府|院|湾|广场|大厦|社区)", 8),
    ("road", r"(?:大街|大道|街|路)", 6),
    ("facility", r"(?:医院|卫生院|菜市场|农贸市场|车站|客运站|公园|派出所)", 8),
]

# A place name never contains these: the head is cut after the last one.
_BREAKERS = (
    "反映",
    "投诉",
    "举报",
    "咨询",
    "建议",
    "位于",
    "住在",
    "居住",
    "来自",
    "关于",
    "对于",
    "请问",
    "市民",
    "业主",
    "本人",
    "我们",
    "我家",
    "家住",
    "附近",
    "旁边",
    "对面",
    "门口",
    "周边",
    "里面",
    "的",
    "在",
    "是",
    "了",
    "和",
    "与",
    "及",
    "我",
    "你",
    "他",
    "她",
    "从",
    "到",
    "向",
    "对",
    "把",
    "给",
    "为",
    "被",
    "于",
    "由",
    "将",
    "请",
    "该",
    "这",
    "那",
    "个",
    "有",
    "无",
    "要",
    "去",
    "往",
    "说",
    "问",
    "称",
    "系",
    "因",
    "相关",
    "是否",
    "后",
    "前",
    "内",
    "外",
    "上",
    "下",
    "中",
    "买",
    "租",
    "住",
    "办",
    "省",
    "市",
    "本",
    "还",
    "导致",
    "影响",
    "严重",
    "条",
    "此",
    "过",
    "临",
    "之",
    "住宅",
    "商品房",
    "楼盘",
    "开发商",
    "项目",
    "整个",
    "所在",
    "所有",
    "各",
    "每",
    "等",
    "多",
)
# Generic words with a place tail: never a place name on their own.
_NOT_PLACES = frozenset(
    {
        "小区",
        "社区",
        "学校",
        "医院",
        "市场",
        "公园",
        "广场",
        "大学",
        "学院",
        "小学",
        "中学",
        "高中",
        "初中",
        "幼儿园",
        "车站",
        "街道",
        "新区",
        "开发区",
        "政府",
        "法院",
        "学区",
        "城区",
        "郊区",
        "景区",
        "园区",
        "辖区",
        "地区",
        "区县",
        "农村",
        "山区",
        "片区",
        "市区",
        "庭院",
        "家庭",
        "乡村",
        "城乡",
        "乡镇",
        "村民",
        "老街",
        "商业街",
        "步行街",
        "后院",
        "大院",
        "民办学校",
        "公办学校",
        "医学院",
        "快速路",
        "林荫大道",
        "断头路",
        "十字路",
        "丁字路",
        "环线",
        "居民区",
        "公共区",
        "生活区",
        "住宅区",
        "城镇",
        "水泥路",
        "柏油路",
        "全村",
        "本村",
        "该村",
        "各区",
        "本区",
        "我区",
        "该区",
        "全县",
        "本县",
        "该县",
    }
)
_GENERIC_ENDINGS = (
    "公路",
    "马路",
    "道路",
    "线路",
    "电路",
    "思路",
    "出路",
    "套路",
    "网路",
    "走路",
    "让路",
    "一路",
    "铁路",
    "水路",
    "进路",
    "过路",
    "上路",
    "修路",
    "开路",
    "带路",
    "引路",
    "门路",
    "绕路",
    "小路",
    "大路",
    "道街",
    "大街",
    "学院",
    "法院",
    "医院",
    "物业",
    "大院",
    "乡镇",
)
# A one-character compound tail (院, 府, 苑, 湾) right after these is a phrase, not a name.
_FILLERS = frozenset("满整全半")
_NEVER_ENDINGS = (
    "政府",
    "法院",
    "国务院",
    "检察院",
    "研究院",
    "设计院",
    "办事处",
    "公路",
    "铁路",
    "道路",
    "线路",
    "马路",
    "跑路",
    "走路",
    "让路",
    "绕路",
    "修路",
    "带路",
    "上路",
    "出路",
    "套路",
)


def _head_start(s: str, end: int, limit: int) -> int:
    """Leftmost index of the run of name characters ending at ``end`` (at most ``limit``)."""
    i = end
    while i > 0 and end - i < limit and _NAME.match(s[i - 1]):
        i -= 1
    return i


_MULTI_BREAKERS = tuple(b for b in _BREAKERS if len(b) > 1)
# Single-character breakers cut only where the segmenter leaves them a word of
# their own: 中 in 中海国际社区 or 上 in 上海城 is part of the name, not a
# preposition (cutting at every 中 gave 海国际社区).
_SINGLE_BREAKERS = frozenset(b for b in _BREAKERS if len(b) == 1) | frozenset("且并而但或让")
# Words of these parts of speech (jieba's tags) are never part of a place name:
# prepositions, conjunctions, pronouns, adverbs, particles, and stop words
# ("一个小区", "目前泉星美食街"; numerals stay: 五一广场, 东四路); verbs
# ("参考成都天府大道") only where two characters or more follow them, as
# 建设路 and 解放路 are names.
_CUT_FLAGS = frozenset("pcrduyeo")
# A head ending in one of these is a verb phrase ("物业不让车辆进小区"), not a name.
_VERB_ENDS = frozenset("进到去入让给往把被将")


# A numeral ending in a measure word counts things ("两个小区", "一条路"); other
# numerals name places (五一广场, 东四路).
_MEASURES = frozenset("个条所名些座栋处位种次")


@lru_cache(maxsize=4096)
def _names_nothing(head: str) -> bool:
    """Is ``head`` one verb ("作为", "还有", "往来")? Before a generic
    tail (小区, 学校) that makes a phrase, not a name ("还有小区")."""
    tokens = _tokens(head.lower())
    return len(tokens) == 1 and tokens[0][1] == "v"


def _tokens(head: str) -> list[tuple[str, str]]:
    """(word, tag) of a head; the words' lengths add up to the head's (the
    segmenter drops nothing from name characters but ``·``, which ends a word)."""
    got = list(tagged(head))
    if sum(len(w) for w, _ in got) == len(head):
        return got
    return [(ch, "x") for ch in head]


@lru_cache(maxsize=131072)
def _trim_head(name: str) -> str | None:
    """The head of a place name without what precedes the name: everything up
    to the last breaker word (反映, 位于 anywhere; one-character breakers only as
    words of their own), or up to the last verb, preposition, conjunction,
    pronoun, adverb or particle that leaves two characters or more (jieba's
    POS tags, dictionary only: unknown names fall to single characters, which
    those tags never cut). None when the head ends in a motion verb: a phrase."""
    cut = 0
    for b in _MULTI_BREAKERS:
        i = name.rfind(b)
        if i >= 0:
            cut = max(cut, i + len(b))
    name = name[cut:]
    if not name:
        return name
    tokens = _tokens(name.lower())
    if tokens and tokens[-1][0] in _VERB_ENDS:
        return None
    stop = stopwords()
    pos = cut = 0
    for word, flag in tokens:
        pos += len(word)
        if len(word) == 1:
            if word in _SINGLE_BREAKERS:
                cut = pos
        elif word in stop or flag[:1] in _CUT_FLAGS or (flag == "m" and word[-1] in _MEASURES):
            cut = pos
        elif flag == "v" and len(name) - pos >= 2:
            cut = pos
    return name[cut:]


def _candidates(s: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, name) for every tail, heads trimmed, districts cutting heads."""
    out: list[tuple[int, int, str, str]] = []
    district_ends: list[int] = []
    for kind, tail, head in _TAILS:
        for m in re.finditer(tail, s):
            a, b = m.span()
            if kind == "bus":
                out.append((a, b, kind, m.group(0)))
                continue
            anon = re.search(r"[A-Z]\d{1,2}$", s[:a]) if kind == "district" else None
            if anon:  # the anonymised data's A3区 / K9县
                out.append((anon.start(), b, kind, anon.group(0) + m.group(0)))
                district_ends.append(b)
                continue
            start = _head_start(s, a, head + 3)  # 3 more: room for a breaker to trim
            # a district found earlier ends inside this head: the name starts after it
            start = max([start] + [e for e in district_ends if start < e <= a])
            trimmed = _trim_head(s[start:a])
            if trimmed is None:
                continue  # "车辆进小区": a verb phrase ending in the tail
            name = trimmed[-head:] + m.group(0)
            if m.group(0) in _NOT_PLACES and _names_nothing(name[: -len(m.group(0))]):
                continue
            name = re.sub(r"^[A-Z]市", "", name)
            if len(name) < len(m.group(0)) + 2 or name in _NOT_PLACES or name.endswith(_NEVER_ENDINGS):
                continue  # a place needs a name of two characters or more before its tail
            if kind not in ("district", "town") and name.endswith(_GENERIC_ENDINGS) and len(name) <= 3:
                continue
            if kind != "district" and re.fullmatch(r"[\d·]+\D{0,1}", name[: -len(m.group(0))] or "x"):
                continue  # "3号院", "5栋": numbers, not names
            if len(m.group(0)) == 1 and name[-2] == name[-1]:
                continue  # "李家村村口", "小塘路路口": the place is the shorter name, found at its own tail
            if kind == "compound" and len(m.group(0)) == 1 and name[-2] in _FILLERS:
                continue  # "水流得满院", "整院都停电": 院 as "the yard", not a compound's name
            out.append((b - len(name), b, kind, name))
            if kind == "district" or (kind == "town" and not name.endswith("村")):
                district_ends.append(b)
    return out


def extract_places(text: str) -> list[tuple[str, str]]:
    """``[(kind, name)]`` in order of appearance, each (kind, name) once.

    Overlapping candidates keep the longest ("霞光府壹号院" over "霞光府"); a
    district is always kept as well ("兴隆台区" and "霞光府壹号院").

    >>> extract_places("市民反映兴隆台区霞光府壹号院物业拒绝出具证明，18路公交车不停站")
    [('district', '兴隆台区'), ('compound', '霞光府壹号院'), ('bus', '18路公交车')]
    """
    s = normalise(text)
    cands = _candidates(s)
    districts = [c for c in cands if c[2] == "district"]
    others = sorted((c for c in cands if c[2] != "district"), key=lambda c: (c[0] - c[1], c[0]))
    taken = [False] * (len(s) + 1)
    kept = list(districts)
    for a, b, kind, name in others:
        if any(taken[a:b]):
            continue
        kept.append((a, b, kind, name))
        for i in range(a, b):
            taken[i] = True
    kept.sort()
    seen: set = set()
    out: list[tuple[str, str]] = []
    for _, _, kind, name in kept:
        if (kind, name) not in seen:
            seen.add((kind, name))
            out.append((kind, name))
    return out
