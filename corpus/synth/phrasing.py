"""The fragment grammar and the composer that turns fragments into one complaint.

Why a grammar and not whole sentences: a few hundred hand-written fragments,
each with ``[a|b|c]`` choices and ``{slot}`` fillers, multiply into far more
distinct texts than could be written by hand, while every clause still reads
like something a caller or an operator would say. A complaint is assembled as
opening + core situation + details + (history, consequence, colloquial aside)
+ demand + closing, in phone-record or web-message voice.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from hotline_nlp.corpus.synth.places import fill_slot

# month weights (Jan..Dec) for seasonal topics
FLAT = (1.0,) * 12
HEAT = (1.7, 1.2, 0.8, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 2.0, 1.9)  # season: 11-01 .. 03-31
HEAT_REFUND = (1.6, 1.2, 1.2, 0.7, 0.15, 0.05, 0.05, 0.05, 0.1, 0.2, 1.0, 1.6)
HEAT_FEE = (0.6, 0.3, 0.3, 0.2, 0.2, 0.3, 0.5, 1.2, 2.0, 2.2, 1.6, 0.8)
HEAT_STOP = (0.6, 0.7, 1.8, 0.8, 0.1, 0.05, 0.05, 0.05, 0.2, 1.0, 2.0, 1.0)
SUMMER = (0.1, 0.1, 0.3, 0.8, 1.5, 2.2, 2.6, 2.4, 1.4, 0.5, 0.1, 0.1)
BBQ = (0.0, 0.0, 0.15, 0.8, 1.6, 2.4, 2.8, 2.6, 1.4, 0.4, 0.05, 0.0)  # nobody grills outdoors at -15 °C
WARM = (0.35, 0.4, 0.7, 1.1, 1.4, 1.5, 1.5, 1.5, 1.4, 1.1, 0.6, 0.4)
RAIN = (0.1, 0.1, 0.2, 0.4, 0.6, 1.3, 3.2, 3.0, 1.0, 0.3, 0.1, 0.1)
WINTER = (1.8, 1.5, 1.0, 0.6, 0.5, 0.5, 0.5, 0.5, 0.6, 0.8, 1.3, 1.8)
SCHOOL = (0.4, 0.6, 0.8, 0.8, 0.9, 1.6, 2.2, 2.4, 2.0, 0.7, 0.5, 0.4)
YEAR_END = (2.0, 1.6, 0.9, 0.7, 0.6, 0.7, 0.7, 0.7, 0.8, 0.9, 1.3, 2.1)
BURN = (0.3, 0.3, 1.4, 2.2, 0.8, 0.3, 0.2, 0.3, 0.8, 2.4, 2.2, 0.5)
SPRING = (0.4, 0.5, 1.0, 1.6, 1.8, 1.6, 1.3, 1.1, 1.0, 0.8, 0.5, 0.4)


@dataclass(frozen=True)
class Topic:
    """One second-level category and the fragments that only it uses."""

    level2: str
    share: float
    titles: tuple[str, ...]
    cores: tuple[str, ...]
    details: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    season: tuple[float, ...] = FLAT
    standalone: bool = False  # True: the group's shared fragments do not fit this topic


@dataclass(frozen=True)
class Group:
    """One first-level category: its topics plus fragments shared by them."""

    level1: str
    share: float
    topics: tuple[Topic, ...]
    details: tuple[str, ...] = ()
    consequences: tuple[str, ...] = ()
    demands: tuple[str, ...] = ()
    handover: float = 0.25  # share of complaints passed on (转办) rather than answered directly
    districts: tuple[tuple[str, float], ...] = ()  # override of the city-wide district mix
    related: tuple[str, ...] = ()  # first-level categories that a multi-issue complaint may add
    intros: tuple[str, ...] = ()  # who/where the caller is, said before the problem
    generic_demands: bool = True  # False where "请尽快解决" would be odd (questions, not complaints)


def T(level2: str, share: float, titles: str, cores, details=(), demands=(), season=FLAT,
      standalone: bool = False) -> Topic:
    """Compact constructor: ``titles`` is one ``|``-separated string."""
    return Topic(level2, share, tuple(titles.split("|")), tuple(cores), tuple(details), tuple(demands), season,
                 standalone)


_GUARD = re.compile(r"^@(winter|summer|\d{4}-\d{2}):")
_MONTHS = {"winter": (11, 12, 1, 2, 3), "summer": (5, 6, 7, 8, 9)}


def fits(fragment: str, ctx: dict) -> bool:
    """Whether a fragment suits the complaint's date: ``@winter:`` (Nov-Mar), ``@summer:`` or ``@2024-05:`` (from then on)."""
    m = _GUARD.match(fragment)
    if not m:
        return True
    when, d = m.group(1), ctx["date"]
    return d.month in _MONTHS[when] if when in _MONTHS else f"{d.year}-{d.month:02d}" >= when


def usable(fragments, ctx: dict) -> list[str]:
    """Fragments that fit the date, guards stripped (all of them if none fits)."""
    ok = [f for f in fragments if fits(f, ctx)] or list(fragments)
    return [_GUARD.sub("", f) for f in ok]


_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")


def expand(template: str, rng: random.Random, ctx: dict) -> str:
    """Resolve ``[a|b]`` choices (innermost first) then ``{slot}`` fillers."""
    text = template
    while True:
        m = _CHOICE.search(text)
        if not m:
            break
        text = text[: m.start()] + rng.choice(m.group(1).split("|")) + text[m.end():]
    return _SLOT.sub(lambda m: fill_slot(m.group(1), rng, ctx), text)


OPEN_PHONE_3RD = ("市民来电反映，", "市民反映，", "来电人称，", "来电人{surname}[先生|女士]反映，",
                  "市民{surname}[先生|女士]来电反映，", "来电人反映，", "来电人反映：")
OPEN_PHONE_1ST = ("来电人反映：", "来电求助：", "市民来电：", "", "")
OPEN_WEB = ("您好，", "领导您好！", "尊敬的领导：您好！", "你好，", "我想反映个问题，", "求助！", "麻烦问一下，",
            "各位领导好，", "", "", "", "", "")
HISTORY = (
    "之前打过12345，[对方|相关部门]说[马上处理|会协调]，到现在也没解决",
    "这个问题已经反映过[{n}次|好几次|不止一次]了",
    "[上周|前几天|上个月]找过社区，社区让找[物业|街道|相关部门]，来回踢皮球",
    "[去年|之前]也反映过，[处理了几天又恢复原样|当时说整改，后来就没动静了]",
    "打了好几次电话都[没人接|占线]，只能打12345了",
    "[社区|街道][来人看过|拍了照片]，说[上报了|等通知]，然后就没下文了",
    "[{when}|上个月]已经打过[一次|两次]12345了，回访的时候说已经处理，实际上根本没处理",
)
GENERIC_INTROS = ("我是{district}的[居民|市民]", "[我|本人]住在{district}", "[我|我们]是{district}{street}的[居民|住户]")
# fit any complaint: they carry the caller's stance rather than facts
GENERIC_DETAILS = (
    "这个问题已经[持续|拖了][好长时间|好一阵子|不少日子]了",
    "[我们|我]也理解[相关部门|工作人员]的难处，但是[问题总得解决|不能一直这样拖着]",
    "[我|我们]不是故意找事，实在是[没办法了|被逼得没招了]",
    "[希望|盼着]这次能真正解决，别再[走过场|敷衍了事]",
    "[每次|每回]都说[研究研究|等通知]，[就没下文了|然后就不了了之]",
    "[周围|身边]好多人都[有这个问题|遇到过]，[只是|就是]没人出头",
    "[我|我们]岁数大了，[来回跑不动|腿脚不好]",
    "[为这事|这件事][我|我们][请了好几天假|跑了不知道多少趟]",
)
COLLOQ = ("真是闹心", "这都第几回了", "咋整啊", "实在没办法了", "真是没招了", "太气人了", "谁来管管啊",
          "我们老百姓也不容易", "这叫什么事儿啊", "不知道该找谁了")
GENERIC_DEMANDS = ("希望有关部门尽快处理", "请相关部门[给个说法|尽快解决]", "[希望|麻烦]12345帮忙[协调一下|督促一下]", "请尽快解决",
                   "希望[能|尽快]得到解决", "恳请领导重视", "请[有关部门|相关单位]核实处理", "请处理",
                   "[希望|请][政府|相关部门][给老百姓|帮我们]做主", "[希望|盼望][早日|尽快]解决[这个问题|]",
                   "请[派人|安排人][来|到现场]看看")
CLOSE_WEB = ("谢谢！", "麻烦了。", "盼回复。", "谢谢领导！", "辛苦了。", "急！", "感谢！", "望回复，谢谢。")
CLOSE_PHONE = ("来电人要求回复。", "请核实处理。", "望尽快处理。", "来电人要求尽快回复。", "来电人情绪激动。",
               "请承办单位核实处理。")
TYPOS = (("物业", "物叶"), ("暖气不热", "暖气不惹"), ("暖气", "暖器"), ("已经", "以经"), ("反映", "反应"),
         ("部门", "部们"), ("投诉", "投述"), ("再次", "在次"), ("一直", "一只"), ("到现在", "道现在"),
         ("小区", "小去"), ("充电桩", "充电装"), ("发票", "发漂"), ("解决", "解绝"), ("没有", "没又"),
         ("希望", "系望"), ("的时候", "地时候"), ("经常", "经长"), ("停车", "停得车"))

_END = "。！？!?…"


def _join(parts: list[str], rng: random.Random) -> str:
    out = ""
    for i, part in enumerate(parts):
        part = part.strip()
        if not part or part.rstrip(_END) in out:  # a core and a detail may say the same thing
            continue
        if out and out[-1] not in _END + "，：,":
            out += "，" if (i <= 2 and rng.random() < 0.5) else "。"
        out += part
    if out and out[-1] not in _END:
        out += "。"
    return out


def third_person(text: str) -> str:
    """Operator summaries speak of the caller as 其 / 来电人, not 我."""
    for a, b in (("我们小区", "其所在小区"), ("我们老百姓", "老百姓"), ("我们", "他们"), ("我家", "其家"),
                 ("本人", "其"), ("我", "其")):
        text = text.replace(a, b)
    return text


def add_typo(text: str, rng: random.Random) -> str:
    """One homophone slip, as pinyin input produces (物叶, 暖气不惹, 以经 ...)."""
    candidates = [(a, b) for a, b in TYPOS if a in text]
    if not candidates:
        return text
    a, b = rng.choice(candidates)
    return text.replace(a, b, 1)


def sloppy(text: str, rng: random.Random) -> str:
    """Mobile-typed messages: spaces or ASCII commas instead of Chinese punctuation."""
    sep = rng.choice((" ", ",", "  "))
    text = text.replace("，", sep).replace("。", sep).strip(" ,")
    return text + rng.choice(("", "!", "！！"))


@dataclass
class Draft:
    title: str
    body: str
    core_index: int


def compose(group: Group, topic: Topic, rng: random.Random, ctx: dict, *, style: str,
            size: str, extra: str = "", prefix: str = "", core_index: int | None = None) -> Draft:
    """Assemble one complaint. ``style`` is "phone" or "web"; ``size`` tiny/short/medium/long/xl.

    ``core_index`` pins the core situation (a repeat caller tells the same story);
    ``prefix`` replaces the opening ("再次来电反映，").
    """
    if core_index is None:
        fitting = [i for i, c in enumerate(topic.cores) if fits(c, ctx)] or list(range(len(topic.cores)))
        core_index = rng.choice(fitting)
    core_i = core_index
    core = expand(_GUARD.sub("", topic.cores[core_i]), rng, ctx)
    shared = not topic.standalone
    details = usable(list(topic.details) * 2 + list(group.details if shared else ()), ctx)  # topic's own weigh more
    demands = list(topic.demands) * 2 + list(group.demands if shared else ()) * 2 \
        + list(GENERIC_DEMANDS if group.generic_demands else ())
    consequences = usable(group.consequences, ctx) if shared and group.consequences else ()
    n_det = {"tiny": 0, "short": rng.choice((0, 1, 1)), "medium": rng.choice((2, 2, 3)),
             "long": rng.choice((3, 4, 5)), "xl": 8}[size]
    parts: list[str] = [core]
    if size in ("medium", "long", "xl") and rng.random() < 0.55:
        parts.insert(0, expand(rng.choice(group.intros or GENERIC_INTROS), rng, ctx))
    picked: list[str] = []
    while len(picked) < n_det and details:
        frag = rng.choice(details)
        details = [d for d in details if d != frag]
        if frag.startswith("?"):  # "?车牌号{plate}": only worth saying if the core did not say it
            if any(name in ctx for name in _SLOT.findall(frag)):
                continue
            frag = frag[1:]
        picked.append(expand(frag, rng, ctx))
    parts += picked
    others = usable([c for i, c in enumerate(topic.cores) if i != core_i and fits(c, ctx)], ctx)
    if others and ((size == "long" and rng.random() < 0.3) or (size == "xl" and rng.random() < 0.8)):
        second = expand(rng.choice(others), rng, ctx)  # the same trouble has more than one face
        parts.insert(len(parts) - len(picked) // 2, rng.choice(("而且", "还有，", "更气人的是，", "另外")) + second)
    big = size in ("long", "xl")
    if size == "xl":
        parts += [expand(f, rng, ctx) for f in rng.sample(GENERIC_DETAILS, 2)]
    elif (size == "long" and rng.random() < 0.6) or (size == "medium" and rng.random() < 0.12):
        parts.append(expand(rng.choice(GENERIC_DETAILS), rng, ctx))
    if size == "xl" or (size == "long" and rng.random() < 0.55):
        parts.append(expand(rng.choice(HISTORY), rng, ctx))
    if consequences and (big or (size == "medium" and rng.random() < 0.35)):
        parts.append(expand(rng.choice(consequences), rng, ctx))
    if extra:
        parts.append(extra)
    if size in ("medium", "long", "xl") and rng.random() < 0.18:
        parts.append(rng.choice(COLLOQ) + rng.choice(("", "！", "。")))
    if size != "tiny" or rng.random() < 0.4:
        parts.append(expand(rng.choice(demands), rng, ctx))
    third = style == "phone" and rng.random() < 0.55
    if style == "phone":
        opening = expand(rng.choice(OPEN_PHONE_3RD if third else OPEN_PHONE_1ST), rng, ctx)
        if size != "tiny" and rng.random() < 0.25:
            parts.append(rng.choice(CLOSE_PHONE))
    else:
        opening = expand(rng.choice(OPEN_WEB), rng, ctx)
        if size != "tiny" and rng.random() < 0.3:
            parts.append(rng.choice(CLOSE_WEB))
    body = _join(parts, rng)
    if third:
        body = third_person(body)
    body = (prefix or opening) + body
    if len(body) < 10:
        body = body.rstrip("。") + "，" + expand(rng.choice(GENERIC_DEMANDS), rng, ctx) + "。"
    if rng.random() < 0.07:
        body = add_typo(body, rng)
    if style == "web" and rng.random() < 0.05:
        body = sloppy(body, rng)
    return Draft(title=make_title(topic, rng, ctx, core, style), body=body, core_index=core_i)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _closest_title(topic: Topic, rng: random.Random, ctx: dict, core: str) -> tuple[str, str]:
    """The topic title that shares most wording with the core, so subject and body agree.

    Titles naming a slot the body never filled (a road when the body speaks of a
    village) are skipped rather than invented.
    """
    core_bi = _bigrams(core)
    scored = []
    for raw in topic.titles:
        if any(name not in ctx for name in _SLOT.findall(raw)):
            continue
        text = expand(raw, rng, ctx)
        own = _bigrams(_SLOT.sub("，", raw))  # score the title's own words, not the place it names
        shared = len(own & core_bi)
        scored.append((shared - 0.35 * (len(own) - shared), raw, text))  # words the body never says cost
    best = max(score for score, _, _ in scored)
    return rng.choice([(raw, text) for score, raw, text in scored if score >= best - 0.8])


VAGUE_TITLES = ("求助", "反映问题", "投诉", "咨询", "请领导看看", "急！！！", "问题反映", "民生诉求")
_WHERE = ("xq", "road", "village", "mall", "school", "hospital")


def make_title(topic: Topic, rng: random.Random, ctx: dict, core: str, style: str) -> str:
    """A subject line: the topic's short title, often with the place in front, as users write them."""
    r = rng.random()
    if style == "web" and r < 0.04:
        return rng.choice(VAGUE_TITLES)  # says nothing about the category: hard to classify on purpose
    if (style == "web" and r < 0.26) or r < 0.08:  # users often retype their first words as the subject
        first = re.split(r"[，。！？,!? ：]", core)[0]
        if 8 <= len(first) <= 25:
            return first
    raw, title = _closest_title(topic, rng, ctx, core)
    wrap = rng.random() < 0.22
    if "{" not in raw and (rng.random() < 0.7 or len(title) < 7):  # "暖气不热" alone is too bare
        where = next((ctx[k] for k in _WHERE if k in ctx), "")
        if where:
            sep = "" if wrap else rng.choice(("", "", "：", "，"))
            title = (ctx["district"] if rng.random() < 0.35 else "") + where + sep + title
        elif rng.random() < 0.5:
            title = ctx["district"] + title
    if wrap:
        tail = ("", "的情况") if title.endswith("问题") else ("的问题", "问题", "的情况")
        return rng.choice(("关于", "反映")) + title + rng.choice(tail)
    if rng.random() < 0.15:
        title += rng.choice(("，请求处理", "，望解决", "，求助", "！", "，希望尽快解决"))
    return title
